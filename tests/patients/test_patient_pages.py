"""The patient pages: list and search, profile, the patient and allergy forms, and what they audit."""

import re
from datetime import date

import pytest
from sqlalchemy import event, func, select

from formulary.audit.models import AuditEvent
from formulary.auth.permissions import PERMISSIONS, Permission, Role
from formulary.extensions import db
from formulary.patients.models import Allergy, Patient
from tests.conftest import post_form


def text(response) -> str:
    return response.get_data(as_text=True)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def audit_rows(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


@pytest.fixture
def people(make_patient, make_substance):
    make_substance("methylparaben", groups=["parabens"])
    make_substance("lidocaine")
    ana = make_patient("Ana Silva", reference="P-1001", date_of_birth=date(1984, 7, 12),
                       allergies=["methylparaben", "lidocaine"])
    ben = make_patient("Ben Okafor", reference="P-1002", date_of_birth=date(1990, 1, 3), allergy_status="unknown")
    cleo = make_patient("Cleo Silvano", reference="X-77", date_of_birth=date(1984, 2, 29),
                        allergy_status="none-known")
    db.session.commit()
    return ana, ben, cleo


# --- the list ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("silva", {"Ana Silva", "Cleo Silvano"}),
        ("SILVA ana", {"Ana Silva"}),
        ("p-100", {"Ana Silva", "Ben Okafor"}),
        ("X-77", {"Cleo Silvano"}),
        ("1984-07-12", {"Ana Silva"}),
        ("12/07/1984", {"Ana Silva"}),  # the clinic's day order (DMY by default)
        ("1984", {"Ana Silva", "Cleo Silvano"}),
        ("", {"Ana Silva", "Ben Okafor", "Cleo Silvano"}),
    ],
)
def test_search_by_name_reference_or_date_of_birth(client, login_as, people, q, found):
    login_as("practitioner")
    page = text(client.get("/patients/", query_string={"q": q}))
    shown = {name for name in ("Ana Silva", "Ben Okafor", "Cleo Silvano") if f">{name}</a>" in page}
    assert shown == found


def test_the_list_shows_age_and_allergy_status_badges(client, login_as, people, monkeypatch):
    login_as("practitioner")
    page = text(client.get("/patients/"))
    assert "Unknown — never asked" in page  # Ben
    assert "No known allergies" in page  # Cleo
    assert "2 allergies" in page  # Ana
    born = date(1984, 7, 12)
    today = date.today()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    assert f"1984-07-12 <span class=\"text-body-secondary\">({age})</span>" in page
    assert 'href="/patients/new"' in page


def test_a_search_that_finds_nothing_says_so(client, login_as, people):
    login_as("practitioner")
    page = text(client.get("/patients/?q=Zebedee"))
    assert "No patient matches “Zebedee”" in page


def test_an_empty_clinic_invites_adding_the_first_patient(client, login_as):
    login_as("practitioner")
    page = text(client.get("/patients/"))
    assert "No patients yet" in page and "Add the first patient" in page


def test_the_list_pages(client, login_as, make_patient, monkeypatch, app):
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    for name in ("Ana", "Ben", "Cleo"):
        make_patient(name)
    db.session.commit()
    login_as("practitioner")
    first, second = text(client.get("/patients/")), text(client.get("/patients/?page=2"))
    assert ">Ana</a>" in first and ">Ben</a>" in first and ">Cleo</a>" not in first
    assert ">Cleo</a>" in second and "3–3 of 3" in second


def test_the_list_does_not_query_per_row(app, client, login_as, make_patient, make_substance, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 50)
    make_substance("lidocaine")
    login_as("practitioner")

    def statements_for_list(total: int) -> int:
        while count(Patient) < total:
            make_patient(f"Patient {count(Patient):03d}", allergies=["lidocaine", "free text allergy"],
                         conditions=["pregnancy"])
        db.session.commit()
        db.session.expunge_all()  # the page must load every row itself
        statements = []

        def count_statement(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count_statement)
        try:
            response = client.get("/patients/")
        finally:
            event.remove(db.engine, "before_cursor_execute", count_statement)
        assert response.status_code == 200
        assert text(response).count("2 allergies") == total
        return len(statements)

    five, twenty_five = statements_for_list(5), statements_for_list(25)
    assert five == twenty_five, f"{five} statements for 5 patients, {twenty_five} for 25"


def test_patient_pages_need_a_login(client, people):
    ana = people[0]
    for url in ("/patients/", f"/patients/{ana.id}", "/patients/allergen-suggestions?q=li"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not audit_rows("allergy.view")


# --- the profile ------------------------------------------------------------------------------

def test_the_profile_shows_identity_allergies_and_conditions(client, login_as, make_patient, make_substance):
    make_substance("methylparaben", groups=["parabens"])
    patient = make_patient("Ana Silva", reference="P-1001", date_of_birth=date(1984, 7, 12), skin_type="III",
                           notes="Prefers morning appointments.", allergies=["parabens", "glow booster"],
                           conditions=["keloid tendency"])
    db.session.commit()
    login_as("practitioner")
    page = text(client.get(f"/patients/{patient.id}"))
    assert "Ana Silva" in page and "P-1001" in page and "1984-07-12" in page and "Fitzpatrick III" in page
    assert "Prefers morning appointments." in page and "keloid tendency" in page
    assert "parabens</a>" in page and "allergen group" in page
    assert "“glow booster”" in page and "free text" in page
    assert "Not coded: the check reads its words at every session." in page
    assert "2 allergies" in page


def test_the_profile_says_when_allergies_were_never_asked(client, login_as, make_patient):
    patient = make_patient("Ben Okafor", allergy_status="unknown")
    db.session.commit()
    login_as("practitioner")
    page = text(client.get(f"/patients/{patient.id}"))
    assert "Allergy history <strong>never asked</strong>" in page
    assert client.get("/patients/999999").status_code == 404


def test_every_view_of_allergies_is_audited_without_clinical_detail(client, login_as, people):
    ana = people[0]
    user = login_as("practitioner")
    before = len(audit_rows("allergy.view"))
    client.get(f"/patients/{ana.id}")
    client.get(f"/patients/{ana.id}")
    client.get("/patients/")  # the list shows no allergy, so it is not an allergy view
    views = audit_rows("allergy.view")
    assert len(views) == before + 2
    for row in views[-2:]:
        assert (row.username, row.record_type, row.record_id) == (user.username, "Patient", ana.id)
        assert "lidocaine" not in row.detail and "paraben" not in row.detail


def test_patient_pages_are_never_cached(client, login_as, people):
    ana = people[0]
    login_as("practitioner")
    for url in ("/patients/", f"/patients/{ana.id}", f"/patients/{ana.id}/edit", "/patients/new",
                f"/patients/{ana.id}/allergies/new", "/patients/allergen-suggestions?q=li", "/patients/999999"):
        response = client.get(url)
        assert response.headers["Cache-Control"] == "no-store", url


# --- new and edit -----------------------------------------------------------------------------

def test_a_practitioner_adds_a_patient(client, login_as, make_condition):
    make_condition("pregnancy")
    make_condition("keloid tendency")
    db.session.commit()
    user = login_as("practitioner")
    response = post_form(client, "/patients/new", {
        "name": "  Dana   Lee ", "date_of_birth": "1991-04-03", "reference": "P-2001", "skin_type": "IV",
        "allergy_status": "none-known", "conditions": ["pregnancy", "keloid tendency"], "notes": "Nervous of needles.",
    })
    page = text(response)
    assert "Patient Dana Lee added." in page
    patient = db.session.scalar(select(Patient).where(Patient.reference == "P-2001"))
    assert (patient.name, patient.date_of_birth, patient.skin_type, patient.allergy_status) == (
        "Dana Lee", date(1991, 4, 3), "IV", "none-known")
    assert sorted(pc.condition.name for pc in patient.conditions) == ["keloid tendency", "pregnancy"]
    [created] = audit_rows("patient.create")
    assert created.username == user.username and created.record_id == patient.id


def test_a_new_patient_with_allergies_goes_on_to_record_them(client, login_as):
    login_as("practitioner")
    response = post_form(client, "/patients/new", {"name": "Eve Park", "allergy_status": "recorded"}, follow=False)
    patient = db.session.scalar(select(Patient).where(Patient.name == "Eve Park"))
    assert response.headers["Location"].endswith(f"/patients/{patient.id}/allergies/new")


def test_refused_patient_values_are_shown_on_their_fields_and_nothing_is_saved(client, login_as, make_patient):
    make_patient("Taken", reference="P-1001")
    db.session.commit()
    login_as("practitioner")
    before = count(Patient)
    page = text(post_form(client, "/patients/new", {
        "name": "   ", "date_of_birth": "2999-01-01", "reference": "P-1001", "allergy_status": "unknown",
    }))
    assert "Nothing was saved" in page or "nothing was saved" in page
    assert "The patient&#39;s name is required." in page
    assert "Date of birth 2999-01-01 is not plausible." in page
    assert "Reference P-1001 already belongs to another patient." in page
    assert page.count("is-invalid") >= 3
    assert count(Patient) == before


def test_a_date_of_birth_that_is_not_a_date_is_named(client, login_as):
    login_as("practitioner")
    page = text(post_form(client, "/patients/new", {"name": "Fay", "date_of_birth": "12th of May"}))
    assert "Write the date of birth as YYYY-MM-DD (got &#39;12th of May&#39;)." in page
    assert count(Patient) == 0


def test_a_practitioner_edits_a_patient(client, login_as, make_patient, make_condition):
    make_condition("breastfeeding")
    patient = make_patient("Ana Silva", conditions=["pregnancy"])
    db.session.commit()
    login_as("practitioner")
    form = text(client.get(f"/patients/{patient.id}/edit"))
    assert 'value="Ana Silva"' in form
    assert re.search(r'<input checked[^>]*value="pregnancy"', form)
    page = text(post_form(client, f"/patients/{patient.id}/edit", {
        "name": "Ana Silva-Reis", "allergy_status": "none-known", "conditions": ["breastfeeding"],
    }))
    assert "Patient Ana Silva-Reis saved." in page
    db.session.expire_all()
    assert patient.name == "Ana Silva-Reis"
    assert [pc.condition.name for pc in patient.conditions] == ["breastfeeding"]


def test_no_known_allergies_over_active_ones_is_refused_on_the_form(client, login_as, make_patient, make_substance):
    make_substance("lidocaine")
    patient = make_patient("Ana Silva", allergies=["lidocaine"])
    db.session.commit()
    login_as("practitioner")
    page = text(post_form(client, f"/patients/{patient.id}/edit", {"name": "Renamed", "allergy_status": "none-known"}))
    assert "The patient has active allergies" in page
    db.session.expire_all()
    assert (patient.name, patient.allergy_status) == ("Ana Silva", "recorded")


def test_editing_needs_the_edit_permission(client, login_as, people, monkeypatch):
    monkeypatch.setitem(PERMISSIONS, Permission.EDIT_PATIENTS, frozenset({Role.ADMIN}))
    ana = people[0]
    login_as("practitioner")
    assert client.get(f"/patients/{ana.id}/edit").status_code == 403
    assert client.get("/patients/new").status_code == 403
    response = post_form(client, f"/patients/{ana.id}/allergies/new", {"allergen": "latex"}, follow=False)
    assert response.status_code == 403
    page = text(client.get(f"/patients/{ana.id}"))
    assert "Record an allergy" not in page and "Edit patient" not in page
    assert count(Allergy) == 2


# --- allergies --------------------------------------------------------------------------------

def test_an_allergy_typed_as_a_synonym_is_coded_and_said_so(client, login_as, make_patient, make_substance):
    make_substance("cyanocobalamin", synonyms=["vitamin B12"])
    patient = make_patient("Ana Silva", allergy_status="unknown")
    db.session.commit()
    user = login_as("practitioner")
    page = text(post_form(client, f"/patients/{patient.id}/allergies/new", {
        "allergen": "Vitamin B-12", "criticality": "high", "reaction": "Hives", "status": "active",
    }))
    assert "Allergy to cyanocobalamin (substance) recorded. “Vitamin B-12” is another name for it." in page
    assert "cyanocobalamin</a>" in page and "Hives" in page
    [allergy] = db.session.scalars(select(Allergy)).all()
    assert (allergy.substance.name, allergy.text, allergy.criticality) == ("cyanocobalamin", None, "high")
    assert allergy.recorded_by_id == user.id
    db.session.expire_all()
    assert patient.allergy_status == "recorded"


def test_an_allergy_nothing_matches_is_kept_as_free_text_and_said_so(client, login_as, make_patient):
    patient = make_patient("Ana Silva")
    db.session.commit()
    login_as("practitioner")
    page = text(post_form(client, f"/patients/{patient.id}/allergies/new", {
        "allergen": "that glow booster", "criticality": "unable-to-assess", "status": "active",
    }))
    assert ("Allergy recorded as free text: “that glow booster”. The check reads its words at every session "
            "and asks for a review when they name nothing it checks.") in page
    assert "free text</span>" in page
    assert db.session.scalar(select(Allergy.text)) == "that glow booster"


def test_a_refused_allergy_saves_nothing(client, login_as, make_patient):
    patient = make_patient("Ana Silva")
    db.session.commit()
    login_as("practitioner")
    page = text(post_form(client, f"/patients/{patient.id}/allergies/new", {"allergen": "  ", "status": "active"}))
    assert "Name the substance, group or describe the allergy." in page
    page = text(post_form(client, f"/patients/{patient.id}/allergies/new", {"allergen": "latex",
                                                                          "criticality": "extreme"}))
    assert "Not a valid choice" in page
    assert count(Allergy) == 0


def test_an_allergy_status_changes_and_the_allergy_is_kept(client, login_as, make_patient, make_substance):
    make_substance("lidocaine")
    patient = make_patient("Ana Silva", allergies=["lidocaine"])
    other = make_patient("Ben Okafor", allergies=["lidocaine"])
    db.session.commit()
    allergy, others = patient.allergies[0], other.allergies[0]
    login_as("practitioner")
    url = f"/patients/{patient.id}/allergies/{allergy.id}/status"
    page = text(post_form(client, url, {"status": "resolved"}))
    assert "The allergy to lidocaine is now resolved (confirmed)." in page
    db.session.expire_all()
    assert allergy.status == "resolved" and count(Allergy) == 2
    assert [row.detail for row in audit_rows("allergy.status")] == [f"allergy #{allergy.id}: resolved"]
    page = text(post_form(client, url, {"status": "deleted"}))
    assert "Choose active, inactive or resolved; nothing was changed." in page
    wrong = post_form(client, f"/patients/{patient.id}/allergies/{others.id}/status", {"status": "resolved"},
                      follow=False)
    assert wrong.status_code == 404
    db.session.expire_all()
    assert (allergy.status, others.status) == ("resolved", "active")


def test_suggestions_offer_names_synonyms_and_groups_with_what_they_resolve_to(client, login_as):
    from formulary.catalogue.reference_sync import sync_reference_library

    sync_reference_library()
    login_as("practitioner")

    def labels(q):
        return [item["label"] for item in client.get("/patients/allergen-suggestions", query_string={"q": q})
                .get_json()["items"]]

    assert labels("Vitamin B-12")[0] == "vitamin B12 → vitamin B12 forms (cobalamins) (group)"
    assert "sulphites → sulfites (group)" in labels("sulphi")
    assert labels("methylparaben")[0] == "methylparaben (substance)"
    assert labels("PARABENS")[0] == "parabens (group)"
    first = client.get("/patients/allergen-suggestions?q=vitamin+b12").get_json()["items"][0]
    assert (first["value"], first["resolves_to"], first["kind"]) == (
        "vitamin B12 forms (cobalamins)", "vitamin B12 forms (cobalamins)", "group")
    assert labels("glow booster") == [] and labels("") == []
    assert len(labels("a")) == 10


def test_the_list_shows_the_last_and_next_session(client, login_as, make_patient, make_product, make_cocktail):
    from datetime import timedelta

    from formulary.treatments.models import TreatmentSession

    patient = make_patient("Ana Silva")
    cocktail = make_cocktail("Hydra glow", [(make_product(), "2")])
    today = date.today()
    for days, status in [(-60, "administered"), (-30, "administered"), (-5, "cancelled"), (14, "planned"),
                         (40, "checked"), (7, "cancelled")]:
        db.session.add(TreatmentSession(patient=patient, cocktail_version=cocktail.current, status=status,
                                        scheduled_for=today + timedelta(days=days)))
    db.session.commit()
    login_as("practitioner")
    page = text(client.get("/patients/"))
    last, upcoming = today - timedelta(days=30), today + timedelta(days=14)
    assert f"<td class=\"text-nowrap\">{last:%Y-%m-%d}</td>" in page
    assert f"<td class=\"text-nowrap\">{upcoming:%Y-%m-%d}</td>" in page
