"""Patients the clinic can reach and find: contacts and permission, accent- and case-blind search,
the warning when a patient seems entered twice (page and API)."""

from datetime import date

import pytest
from sqlalchemy import func, insert, select

from formulary.extensions import db
from formulary.patients.folding import fold, search_key
from formulary.patients.models import Patient
from formulary.patients.queries import patient_query, possible_duplicates
from formulary.patients.records import PatientData, PatientError, create_patient, update_patient
from tests.conftest import post_form

BORN = date(1990, 5, 1)


def text(response) -> str:
    return response.get_data(as_text=True)


def names(query_text: str) -> list[str]:
    """The names found, sorted accent-blind here (the list itself orders by lower(name): "í" after "z")."""
    return sorted((p.name for p in db.session.scalars(patient_query(query_text))), key=fold)


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Patient))


@pytest.mark.parametrize("typed, folded", [
    ("Lucía", "lucia"), ("PETROVIĆ", "petrovic"), ("  Ørsted   Ålund ", "orsted alund"), ("Łukasz Straße", "lukasz strasse"),
    ("Zoë Ñúñez", "zoe nunez"), ("", ""), (None, ""),
])
def test_fold_drops_case_and_accents_and_keeps_one_space(typed, folded):
    assert fold(typed) == folded


@pytest.fixture
def people(make_patient):
    for name, reference in [("Lucía Fernández", "P-1025"), ("Nina Petrović", "P-1017"), ("Luciano Berti", None),
                            ("Ana Silva", "LUC-9")]:
        make_patient(name, reference=reference, date_of_birth=BORN)
    db.session.commit()


def test_search_ignores_accents_and_case_in_either_direction(people):
    assert names("lucia") == ["Lucía Fernández", "Luciano Berti"]
    assert names("LUCÍA") == ["Lucía Fernández", "Luciano Berti"]
    assert names("petrovic") == ["Nina Petrović"]
    assert names("Petrović") == ["Nina Petrović"]
    assert names("fernandez lucia") == ["Lucía Fernández"]  # every word, in any order
    assert names("p-1025") == ["Lucía Fernández"]  # the clinic reference too
    assert names("luc") == ["Ana Silva", "Lucía Fernández", "Luciano Berti"]  # LUC-9 is Ana's reference
    assert names("100%") == [] and names("_") == []  # LIKE's wildcards are searched as themselves


def test_the_search_key_follows_every_change_of_name_or_reference(people):
    patient = db.session.scalar(select(Patient).where(Patient.name == "Nina Petrović"))
    update_patient(patient, PatientData(name="Nina Đorđević", reference="NĐ-1", date_of_birth=BORN,
                                        allergy_status="none-known"), actor=None)
    db.session.commit()
    assert names("djordjevic") == [] and names("dordevic") == ["Nina Đorđević"] and names("nd-1") == ["Nina Đorđević"]
    assert names("petrovic") == []


def test_a_bulk_insert_that_bypasses_the_model_gets_its_search_key_too():
    db.session.execute(insert(Patient), [{"name": "Zoë Ñúñez", "reference": "B-1", "allergy_status": "unknown"},
                                         {"name": "Óscar Ruiz", "allergy_status": "unknown"}])
    db.session.commit()
    assert names("zoe nunez") == ["Zoë Ñúñez"] and names("oscar") == ["Óscar Ruiz"]
    assert db.session.scalar(select(Patient.search_key).where(Patient.reference == "B-1")) == search_key("Zoë Ñúñez", "B-1")


def test_the_patient_list_finds_lucia_without_the_accent(client, login_as, people):
    login_as("practitioner")
    page = text(client.get("/patients/?q=lucia"))
    assert "Lucía Fernández" in page and "Luciano Berti" in page and "Nina Petrović" not in page


def test_the_api_searches_the_same_way(client, api_token, people):
    token = api_token("practitioner")[1]
    answer = client.get("/api/v1/patients?q=petrovic", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [p["name"] for p in answer["items"]] == ["Nina Petrović"] and answer["total"] == 1


# --- contacts ------------------------------------------------------------------------------------

def test_contacts_are_kept_tidy_and_a_wrong_one_is_refused_naming_it(make_patient):
    patient = make_patient("Ana Silva", phone="  +44 (0)20  7946-0958 ", email=" ana@example.org ", contact_ok=True)
    assert (patient.phone, patient.email, patient.contact_ok) == ("+44 (0)20 7946-0958", "ana@example.org", True)
    with pytest.raises(PatientError) as refused:
        create_patient(PatientData(name="Bea", phone="call me", email="bea@", allergy_status="unknown"), actor=None)
    assert dict(refused.value.errors) == {
        "phone": "'call me' is not a phone number: use digits, spaces and + ( ) - (at least 6 digits, at most 40 "
                 "characters).",
        "email": "'bea@' is not an e-mail address (name@example.com).",
    }
    with pytest.raises(PatientError):
        create_patient(PatientData(name="Cy", phone="12 34", allergy_status="unknown"), actor=None)  # 4 digits


def test_the_form_records_contacts_and_the_page_shows_them(client, login_as):
    login_as("practitioner")
    response = post_form(client, "/patients/new", {
        "name": "Lucía Fernández", "date_of_birth": "1990-05-01", "allergy_status": "none-known",
        "phone": "+44 7700 900125", "email": "lucia@example.org", "contact_ok": "y",
    })
    page = text(response)
    assert "Patient Lucía Fernández added." in page
    assert 'href="tel:+447700900125"' in page and 'href="mailto:lucia@example.org"' in page
    assert "May we contact?" in page and ">Yes</span>" in page

    refused = post_form(client, "/patients/new", {"name": "Bea", "allergy_status": "unknown", "phone": "soon"})
    assert refused.status_code == 200 and "&#39;soon&#39; is not a phone number" in text(refused)
    assert count() == 1


def test_the_api_writes_and_reads_contacts(client, api_token):
    headers = {"Authorization": f"Bearer {api_token('practitioner')[1]}"}
    body = {"name": "Ana Silva", "date_of_birth": "1990-05-01", "allergy_status": "none-known",
            "phone": "+351 912 345 678", "email": "ana@example.org", "contact_ok": True}
    created = client.post("/api/v1/patients", json=body, headers=headers)
    assert created.status_code == 201
    patient = created.get_json()
    assert (patient["phone"], patient["email"], patient["contact_ok"]) == ("+351 912 345 678", "ana@example.org", True)
    changed = client.patch(f"/api/v1/patients/{patient['id']}", json={"contact_ok": False, "email": ""}, headers=headers)
    assert changed.status_code == 200 and changed.get_json()["contact_ok"] is False
    assert changed.get_json()["email"] == "" and changed.get_json()["phone"] == "+351 912 345 678"
    refused = client.patch(f"/api/v1/patients/{patient['id']}", json={"email": "nobody"}, headers=headers)
    assert refused.status_code == 422 and "'nobody' is not an e-mail address" in str(refused.get_json())
    listed = client.get("/api/v1/patients", headers=headers).get_json()["items"][0]
    assert listed["phone"] == "+351 912 345 678" and listed["contact_ok"] is False


# --- duplicates ----------------------------------------------------------------------------------

def test_the_same_name_and_birthday_is_a_possible_duplicate_whatever_the_accents(people):
    found = possible_duplicates("LUCIA  fernandez", BORN)
    assert [d.name for d in found] == ["Lucía Fernández"]
    assert possible_duplicates("Lucía Fernández", date(1990, 5, 2)) == []  # another birthday: another person
    assert possible_duplicates("Lucía", BORN) == []  # a part of the name is not the name
    assert possible_duplicates("Lucía Fernández", None) == []
    assert possible_duplicates("Lucía Fernández", BORN, other_than=found[0].id) == []


def test_the_new_patient_form_warns_with_a_link_and_saves_only_when_told(client, login_as, people):
    login_as("practitioner")
    existing = db.session.scalar(select(Patient.id).where(Patient.name == "Lucía Fernández"))
    form = {"name": "Lucia FERNANDEZ", "date_of_birth": "1990-05-01", "allergy_status": "unknown"}
    warned = post_form(client, "/patients/new", form)
    page = text(warned)
    assert warned.status_code == 200 and "This may be a patient you already have: nothing was saved yet." in page
    assert f'href="/patients/{existing}"' in page and "This is a different person: add them anyway" in page
    assert count() == 4
    saved = post_form(client, "/patients/new", {**form, "same_person_checked": "y"})
    assert "Patient Lucia FERNANDEZ added." in text(saved) and count() == 5


def test_the_api_adds_the_patient_and_names_the_possible_duplicates(client, api_token, people):
    headers = {"Authorization": f"Bearer {api_token('practitioner')[1]}"}
    body = {"name": "nina petrovic", "date_of_birth": BORN.isoformat(), "allergy_status": "unknown"}
    created = client.post("/api/v1/patients", json=body, headers=headers)
    assert created.status_code == 201
    duplicates = created.get_json()["possible_duplicates"]
    assert [(d["name"], d["reference"], d["date_of_birth"]) for d in duplicates] == [
        ("Nina Petrović", "P-1017", "1990-05-01")]
    other = client.post("/api/v1/patients", json={**body, "name": "Nina Other"}, headers=headers)
    assert other.status_code == 201 and other.get_json()["possible_duplicates"] == []
