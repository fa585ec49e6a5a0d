"""The kit page, the composer's procedure rows, a substance's maximum per session, and the session page."""

from decimal import Decimal

from formulary.catalogue.models import Substance
from formulary.cocktails.kit import default_kit
from formulary.extensions import db
from formulary.treatments.sessions import plan_session
from tests.conftest import post_form
from tests.kit.conftest import TODAY


def kit_rows(kit_clinic, *pairs):
    data = {}
    for index, (key, use) in enumerate(pairs):
        data[f"items-{index}-product"] = str(kit_clinic[key].id) if key else ""
        data[f"items-{index}-use"] = use
    return {**data, "submit": "1"}


def test_a_manager_sets_the_kit_and_everyone_reads_it(client, login_as, kit_clinic):
    login_as("manager")
    response = post_form(client, "/cocktails/kit", kit_rows(
        kit_clinic, ("cream", "topical anaesthetic"), ("antiseptic", "antiseptic"), ("latex", "gloves"), (None, "other")))
    page = response.get_data(as_text=True)
    assert "The kit is saved: 3 items" in page
    assert [i.product.name for i in default_kit()] == [
        "Lidocaine/prilocaine cream 5%", "Chlorhexidine 0.5% skin antiseptic", "Latex examination gloves"]


def test_a_repeated_product_is_refused_on_its_row_and_nothing_changes(client, login_as, kit_clinic):
    login_as("manager")
    response = post_form(client, "/cocktails/kit", kit_rows(kit_clinic, ("latex", "gloves"), ("latex", "gloves")))
    page = response.get_data(as_text=True)
    assert "The kit was not saved" in page and "Latex examination gloves is listed twice." in page
    assert default_kit() == []


def test_a_practitioner_sees_the_kit_but_cannot_change_it(client, login_as, kit_clinic):
    login_as("practitioner")
    page = client.get("/cocktails/kit").get_data(as_text=True)
    assert "A manager sets the clinic's numbing cream" in page
    refused = post_form(client, "/cocktails/kit", kit_rows(kit_clinic, ("latex", "gloves")))
    assert refused.status_code == 403
    assert default_kit() == []


def test_the_composer_saves_a_cocktails_own_procedure_items(client, login_as, kit_clinic):
    login_as("manager")
    cocktail = kit_clinic["cocktail"]
    page = client.get(f"/cocktails/{cocktail.id}/edit").get_data(as_text=True)
    assert "Procedure items" in page
    response = post_form(client, f"/cocktails/{cocktail.id}/edit", {
        "name": cocktail.name, "goals": "hydration",
        "components-0-product": str(kit_clinic["ha"].id), "components-0-amount": "2",
        "components-1-product": str(kit_clinic["lido"].id), "components-1-amount": "0.5",
        "procedure-0-product": str(kit_clinic["latex"].id), "procedure-0-use": "gloves",
        "procedure-1-product": "", "procedure-1-use": "other", "submit": "1"})
    page = response.get_data(as_text=True)
    assert "saved as version 2" in page
    assert "Latex examination gloves" in page and "(gloves)" in page
    assert "Dose per session" in page and "2 % × 0.5 mL" in page


def test_a_manager_sets_a_substances_maximum_and_the_composer_warns(client, login_as, kit_clinic):
    login_as("manager")
    lidocaine = db.session.query(Substance).filter_by(name="lidocaine").one()
    response = post_form(client, f"/catalogue/substances/{lidocaine.id}/max-dose", {"max_mg_per_session": "5"},
                         follow=True)
    assert "Maximum of lidocaine per session: 5 mg" in response.get_data(as_text=True)
    assert lidocaine.max_mg_per_session == Decimal(5)
    page = client.get(f"/cocktails/{kit_clinic['cocktail'].id}").get_data(as_text=True)
    assert "lidocaine 2 % × 0.5 mL = 10 mg; clinic maximum 5 mg" in page
    refused = post_form(client, f"/catalogue/substances/{lidocaine.id}/max-dose", {"max_mg_per_session": "-3"})
    assert "must be more than 0" in refused.get_data(as_text=True)
    assert lidocaine.max_mg_per_session == Decimal(5)


def test_a_practitioner_cannot_set_a_maximum(client, login_as, kit_clinic):
    login_as("practitioner")
    lidocaine = db.session.query(Substance).filter_by(name="lidocaine").one()
    response = post_form(client, f"/catalogue/substances/{lidocaine.id}/max-dose", {"max_mg_per_session": "5"},
                         follow=False)
    assert response.status_code == 403
    assert lidocaine.max_mg_per_session is None


def test_the_session_page_lists_the_kit_and_the_dose(client, login_as, kit_clinic, make_patient):
    user = login_as("manager")
    post_form(client, "/cocktails/kit", kit_rows(kit_clinic, ("cream", "topical anaesthetic"), ("nitrile", "gloves")))
    patient = make_patient("Nora None")
    session = plan_session(patient, kit_clinic["cocktail"], TODAY, practitioner=user, actor=user)
    db.session.commit()
    page = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert "Numbing cream:</span> Lidocaine/prilocaine cream 5%" in page
    assert "Gloves:</span> Nitrile examination gloves" in page
    assert "2 % × 0.5 mL" in page and "10 mg" in page
