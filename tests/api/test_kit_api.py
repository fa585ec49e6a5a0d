"""API additions: the procedure kit, cocktails' procedure items, reactions, clinic substances and groups."""

from datetime import date

import pytest
from sqlalchemy import func, select

from formulary.catalogue.models import AllergenGroup, Substance
from formulary.cocktails.kit import default_kit
from formulary.extensions import db
from formulary.patients.models import Allergy
from formulary.treatments.models import Reaction
from tests.kit import conftest as kit_conftest

kit_clinic = kit_conftest.kit_clinic  # the kit's small clinic, as a fixture here too

TODAY = date.today()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def manager(api_token):
    return bearer(api_token("manager")[1])


@pytest.fixture
def practitioner(api_token):
    return bearer(api_token("practitioner")[1])


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def put_kit(client, headers, kit_clinic, gloves="latex"):
    return client.put("/api/v1/procedure-kit", headers=headers, json={"items": [
        {"product_id": kit_clinic["cream"].id, "use": "topical anaesthetic"},
        {"product_id": kit_clinic["antiseptic"].id, "use": "antiseptic"},
        {"product_id": kit_clinic[gloves].id, "use": "gloves"},
    ]})


def test_the_kit_is_put_and_read_back(client, manager, practitioner, kit_clinic):
    assert client.get("/api/v1/procedure-kit", headers=practitioner).get_json() == {"items": []}
    response = put_kit(client, manager, kit_clinic)
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [(i["product"], i["use"]) for i in items] == [
        ("Lidocaine/prilocaine cream 5%", "topical anaesthetic"),
        ("Chlorhexidine 0.5% skin antiseptic", "antiseptic"),
        ("Latex examination gloves", "gloves"),
    ]
    assert client.get("/api/v1/procedure-kit", headers=practitioner).get_json()["items"] == items


def test_a_practitioner_may_read_the_kit_but_not_change_it(client, practitioner, kit_clinic):
    assert put_kit(client, practitioner, kit_clinic).status_code == 403
    assert default_kit() == []


@pytest.mark.parametrize("item, field", [
    ({"product_id": 999_999, "use": "gloves"}, "items.0.product_id"),
    ({"product_id": 1, "use": "gauze"}, "items.0.use"),
])
def test_a_bad_kit_item_is_a_422_naming_it_and_nothing_changes(client, manager, kit_clinic, item, field):
    put_kit(client, manager, kit_clinic)
    response = client.put("/api/v1/procedure-kit", headers=manager, json={"items": [item]})
    assert response.status_code == 422
    assert field in {error["field"] for error in response.get_json()["errors"]}
    assert len(default_kit()) == 3


def test_a_kit_item_is_checked_and_its_finding_says_in_procedure(client, manager, practitioner, kit_clinic,
                                                                   make_patient):
    patient = make_patient("Lena Latex", allergies=["latex"])
    db.session.commit()
    put_kit(client, manager, kit_clinic)
    body = client.post("/api/v1/checks", headers=practitioner, json={
        "patient_id": patient.id, "cocktail_id": kit_clinic["cocktail"].id, "date": TODAY.isoformat()}).get_json()
    assert body["outcome"] == "blocked"
    [finding] = body["findings"]
    assert finding["in"] == "procedure" and finding["product_id"] == kit_clinic["latex"].id
    assert "in the gloves: Latex examination gloves" in finding["message"]


def test_a_cocktails_components_findings_say_in_cocktail(client, practitioner, kit_clinic, make_patient):
    patient = make_patient("Amy Amide", allergies=["lidocaine"])
    db.session.commit()
    body = client.post("/api/v1/checks", headers=practitioner, json={
        "patient_id": patient.id, "cocktail_id": kit_clinic["cocktail"].id, "date": TODAY.isoformat()}).get_json()
    assert [f["in"] for f in body["findings"]] == ["cocktail"]


def test_a_cocktail_takes_procedure_items_per_version(client, manager, kit_clinic):
    cocktail = kit_clinic["cocktail"]
    body = {"name": cocktail.name, "goals": ["hydration"], "components": [
        {"product_id": kit_clinic["ha"].id, "amount": 2}, {"product_id": kit_clinic["lido"].id, "amount": 0.5}],
        "procedure": [{"product_id": kit_clinic["latex"].id, "use": "gloves"}]}
    response = client.put(f"/api/v1/cocktails/{cocktail.id}", headers=manager, json=body)
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["version"] == 2
    assert answer["procedure"] == [{"product_id": kit_clinic["latex"].id, "product": "Latex examination gloves",
                                    "use": "gloves"}]
    body["procedure"] = [{"product_id": kit_clinic["latex"].id, "use": "hat"}]
    refused = client.put(f"/api/v1/cocktails/{cocktail.id}", headers=manager, json=body)
    assert refused.status_code == 422
    created = client.post("/api/v1/cocktails", headers=manager, json={**body, "name": "New", "procedure": []})
    assert created.status_code == 201 and created.get_json()["procedure"] == []


# --- reactions ------------------------------------------------------------------------------------

def administered_session(client, headers, patient, cocktail):
    planned = client.post("/api/v1/sessions", headers=headers, json={
        "patient_id": patient.id, "cocktail_id": cocktail.id, "scheduled_for": TODAY.isoformat()}).get_json()
    response = client.post(f"/api/v1/sessions/{planned['id']}/administer", headers=headers, json={})
    assert response.status_code == 201, response.get_json()
    return planned["id"]


def test_a_reaction_records_the_allergy_it_is_put_down_to(client, practitioner, kit_clinic, make_patient):
    patient = make_patient("Nora None")
    db.session.commit()
    session_id = administered_session(client, practitioner, patient, kit_clinic["cocktail"])
    response = client.post(f"/api/v1/sessions/{session_id}/reactions", headers=practitioner, json={
        "description": "Hives on both cheeks", "severity": "moderate", "substance": "lidocaine"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["severity"] == "moderate" and body["session_id"] == session_id
    assert body["allergy"]["substance"] == "lidocaine" and body["allergy"]["criticality"] == "high"
    assert db.session.get(Allergy, body["allergy"]["id"]).patient_id == patient.id


def test_a_reaction_without_an_allergen_records_no_allergy(client, practitioner, kit_clinic, make_patient):
    patient = make_patient("Nora None")
    db.session.commit()
    session_id = administered_session(client, practitioner, patient, kit_clinic["cocktail"])
    response = client.post(f"/api/v1/sessions/{session_id}/reactions", headers=practitioner, json={
        "description": "Redness for a day", "severity": "mild"})
    assert response.status_code == 201 and response.get_json()["allergy"] is None
    assert count(Allergy) == 0


def test_a_reaction_on_a_session_not_administered_is_a_422_and_nothing_written(client, practitioner, kit_clinic,
                                                                                  make_patient):
    patient = make_patient("Nora None")
    db.session.commit()
    planned = client.post("/api/v1/sessions", headers=practitioner, json={
        "patient_id": patient.id, "cocktail_id": kit_clinic["cocktail"].id,
        "scheduled_for": TODAY.isoformat()}).get_json()
    response = client.post(f"/api/v1/sessions/{planned['id']}/reactions", headers=practitioner, json={
        "description": "Hives", "severity": "mild", "substance": "lidocaine"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "session_id"
    assert count(Reaction) == 0 and count(Allergy) == 0


def test_a_reaction_naming_an_unknown_substance_is_a_422_and_nothing_written(client, practitioner, kit_clinic,
                                                                              make_patient):
    patient = make_patient("Nora None")
    db.session.commit()
    session_id = administered_session(client, practitioner, patient, kit_clinic["cocktail"])
    response = client.post(f"/api/v1/sessions/{session_id}/reactions", headers=practitioner, json={
        "description": "Hives", "severity": "severe", "substance": "unobtainium"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "substance"
    assert count(Reaction) == 0 and count(Allergy) == 0
    assert client.post("/api/v1/sessions/999999/reactions", headers=practitioner, json={
        "description": "Hives", "severity": "mild"}).status_code == 404


# --- clinic substances and groups ------------------------------------------------------------------

def test_a_clinic_substance_is_added_with_synonyms_and_groups(client, manager, kit_clinic):
    response = client.post("/api/v1/substances", headers=manager, json={
        "name": "Tetracaine", "synonyms": ["amethocaine"], "groups": ["amide local anaesthetics"]})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["name"] == "Tetracaine" and body["synonyms"] == ["amethocaine"]
    assert body["groups"] == ["amide local anaesthetics"]
    found = client.get("/api/v1/substances?q=amethocaine", headers=manager).get_json()["items"]
    assert [s["name"] for s in found] == ["Tetracaine"]


@pytest.mark.parametrize("body", [{"name": "Lidocaine"}, {"name": "New one", "synonyms": ["latex"]}])
def test_a_name_or_synonym_already_taken_is_a_409(client, manager, kit_clinic, body):
    before = count(Substance)
    response = client.post("/api/v1/substances", headers=manager, json=body)
    assert response.status_code == 409
    assert count(Substance) == before


def test_an_unknown_group_is_a_422(client, manager, kit_clinic):
    response = client.post("/api/v1/substances", headers=manager, json={"name": "X", "groups": ["nope"]})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "groups"


def test_a_practitioner_may_not_add_substances(client, practitioner, kit_clinic):
    assert client.post("/api/v1/substances", headers=practitioner, json={"name": "X"}).status_code == 403


def test_an_allergen_group_is_added_with_members(client, manager, kit_clinic):
    response = client.post("/api/v1/allergen-groups", headers=manager, json={
        "name": "Rubber accelerators", "members": ["nitrile rubber", "latex"]})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["members"] == ["natural rubber latex", "nitrile rubber"]
    again = client.post("/api/v1/allergen-groups", headers=manager, json={"name": "rubber accelerators"})
    assert again.status_code == 409
    assert count(AllergenGroup) == 2  # amide local anaesthetics and the new one
