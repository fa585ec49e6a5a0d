"""A clinic's own conditions: listed with the library's, added on a page or through the API, read by the check."""

import html
from datetime import date

from sqlalchemy import func, select

from formulary.catalogue.models import Condition
from formulary.extensions import db
from tests.conftest import post_form

TODAY = date.today()
KELOIDS = {"name": "Keloid scarring", "synonyms": "keloids\nkeloid scars",
           "description": "Raised scars that grow past the wound.",
           "session_caution": "Keloid scarring: needle marks may heal as raised scars; discuss before each session."}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def conditions() -> int:
    return db.session.scalar(select(func.count()).select_from(Condition))


def test_a_manager_adds_a_condition_and_it_is_listed_as_the_clinics_own(client, login_as, make_condition):
    make_condition("pregnancy")
    db.session.commit()
    login_as("manager")
    answer = post_form(client, "/catalogue/conditions/new", KELOIDS)
    listed = text(answer)
    assert "Condition Keloid scarring added." in listed
    assert "keloid scars, keloids" in listed and "Clinic's own" in listed
    assert "needle marks may heal as raised scars" in listed and "pregnancy" in listed


def test_a_name_another_condition_goes_by_is_refused_naming_it_and_nothing_is_added(client, login_as,
                                                                                    make_condition):
    make_condition("pregnancy")
    db.session.commit()
    before = conditions()
    login_as("manager")
    answer = post_form(client, "/catalogue/conditions/new", {"name": "Pregnancy", "synonyms": ""})
    assert answer.status_code == 200
    assert "'Pregnancy' already names the condition pregnancy." in text(answer)
    assert conditions() == before


def test_a_practitioner_reads_the_conditions_but_cannot_add_one(client, login_as):
    login_as("practitioner")
    assert client.get("/catalogue/conditions").status_code == 200
    assert client.get("/catalogue/conditions/new").status_code == 403


def test_the_api_adds_a_condition_refuses_a_taken_name_and_the_check_gives_its_caution(
        client, api_token, make_product, make_lot, make_cocktail, make_patient):
    ha = make_product("HA 1% 2 mL", unit_size="2")
    make_lot(ha, lot_number="HA-1", quantity="10")
    cocktail = make_cocktail("Hydra", [(ha, "2")])
    _manager, token = api_token("manager")
    manager = {"Authorization": f"Bearer {token}"}
    body = {"name": "Keloid scarring", "synonyms": ["keloids"], "session_caution": KELOIDS["session_caution"]}
    answer = client.post("/api/v1/conditions", json=body, headers=manager)
    assert answer.status_code == 201, answer.json
    assert answer.json["synonyms"] == ["keloids"] and answer.json["origin"] == "clinic"
    again = client.post("/api/v1/conditions", json={"name": "Keloids"}, headers=manager)
    assert again.status_code == 409 and again.json["errors"][0]["field"] == "name"
    listed = client.get("/api/v1/conditions", headers=manager).json["items"]
    assert "Keloid scarring" in [item["name"] for item in listed]

    # A patient recorded with it by a synonym: every session carries its caution, whatever the products say.
    patient = make_patient("Kim Keloid", allergy_status="none-known")
    db.session.commit()
    _practitioner, token = api_token("practitioner")
    practitioner = {"Authorization": f"Bearer {token}"}
    patched = client.patch(f"/api/v1/patients/{patient.id}", json={"conditions": ["keloids"]}, headers=practitioner)
    assert patched.status_code == 200 and patched.json["conditions"] == ["Keloid scarring"]
    check = client.post("/api/v1/checks", headers=practitioner, json={
        "patient_id": patient.id, "cocktail_id": cocktail.id, "date": TODAY.isoformat()}).json
    assert check["outcome"] == "caution"
    [finding] = [f for f in check["findings"] if f["kind"] == "condition"]
    assert finding["severity"] == "caution" and "needle marks may heal as raised scars" in finding["message"]
