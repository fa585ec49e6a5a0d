"""FHIR R4 exchange: a patient's allergies out as a Bundle of AllergyIntolerance, and read back in."""

import copy
import json
from pathlib import Path

import pytest
from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import func, select

from formulary.extensions import db
from formulary.patients.models import Allergy

EXAMPLES = Path(__file__).parent / "fhir_examples"
# fhir.resources' R4B models: R4B left AllergyIntolerance and Bundle as R4 had them (4.0.1).


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def headers(api_token):
    return bearer(api_token("practitioner")[1])


@pytest.fixture
def lidocaine(make_substance):
    substance = make_substance("lidocaine", synonyms=["lignocaine"], groups=["amide local anaesthetics"])
    substance.unii = "98PI200987"
    db.session.commit()
    return substance


def example(name: str, patient) -> dict:
    resource = json.loads((EXAMPLES / f"allergyintolerance-{name}.json").read_text())
    resource["patient"]["reference"] = f"Patient/{patient.id}"  # "Patient/example" is nobody here
    return resource


def url(patient):
    return f"/api/v1/patients/{patient.id}/allergy-intolerances"


def allergies():
    return db.session.scalar(select(func.count()).select_from(Allergy))


def test_a_patients_allergies_come_out_as_a_valid_r4_bundle(client, headers, make_patient, lidocaine):
    patient = make_patient("Ana Silva", allergies=["lidocaine", "amide local anaesthetics", "mango sorbet"])
    db.session.commit()
    response = client.get(url(patient), headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    body = response.get_json(force=True)
    parsed = Bundle.model_validate(body)
    assert parsed.type == "searchset" and parsed.total == 3
    resources = [AllergyIntolerance.model_validate(entry["resource"]) for entry in body["entry"]]
    coded = resources[0]
    assert coded.code.text == "lidocaine"
    assert [(c.system, c.code) for c in coded.code.coding] == [("http://fdasis.nlm.nih.gov", "98PI200987")]
    assert coded.patient.reference == f"Patient/{patient.id}"
    assert coded.criticality == "high"
    assert coded.clinicalStatus.coding[0].code == "active"
    assert coded.verificationStatus.coding[0].code == "confirmed"
    assert resources[1].code.text == "amide local anaesthetics" and resources[1].code.coding is None
    assert resources[2].code.text == "mango sorbet"


def test_hl7s_published_examples_are_read_back_in(client, headers, make_patient):
    patient = make_patient("Carla Cashew")
    db.session.commit()
    response = client.post(url(patient), headers=headers, json=example("example", patient))
    assert response.status_code == 201, response.get_json(force=True)
    assert response.mimetype == "application/fhir+json"
    body = response.get_json(force=True)
    Bundle.model_validate(body)
    [entry] = body["entry"]
    written = AllergyIntolerance.model_validate(entry["resource"])
    assert written.code.text == "Cashew nuts"  # a SNOMED code the library does not hold: its text
    assert written.criticality == "high" and written.type == "allergy" and written.category == ["food"]
    assert str(written.onsetDateTime) == "2004-01-01"
    allergy = db.session.get(Allergy, int(written.id))
    assert (allergy.text, allergy.substance_id) == ("Cashew nuts", None)  # never coded by a guess
    assert "Anaphylactic reaction" in allergy.reaction and "Urticaria" in allergy.reaction

    medication = client.post(url(patient), headers=headers, json=example("medication", patient))
    assert medication.status_code == 201
    allergy = db.session.get(Allergy, int(medication.get_json(force=True)["entry"][0]["resource"]["id"]))
    assert (allergy.text, allergy.verification_status, allergy.category) == ("Penicillin G", "unconfirmed",
                                                                             "medication")


def test_a_unii_code_the_library_holds_codes_the_allergy(client, headers, make_patient, lidocaine):
    patient = make_patient("Lina")
    db.session.commit()
    resource = {"resourceType": "AllergyIntolerance", "patient": {"reference": f"Patient/{patient.id}"},
                "criticality": "low",
                "code": {"coding": [{"system": "http://fdasis.nlm.nih.gov", "code": "98PI200987"}]}}
    response = client.post(url(patient), headers=headers, data=json.dumps(resource),
                           content_type="application/fhir+json")  # FHIR's own media type is read too
    assert response.status_code == 201
    allergy = db.session.scalars(select(Allergy)).one()
    assert allergy.substance_id == lidocaine.id and allergy.text is None


def test_a_bundle_is_recorded_whole_and_the_round_trip_keeps_the_allergies(client, headers, make_patient, lidocaine):
    source = make_patient("Ana Silva", allergies=["lidocaine", "mango sorbet"])
    target = make_patient("Ana Silva (other clinic)")
    db.session.commit()
    exported = client.get(url(source), headers=headers).get_json(force=True)
    for entry in exported["entry"]:
        entry["resource"]["patient"] = {"reference": f"Patient/{target.id}"}
    exported["type"] = "collection"
    response = client.post(url(target), headers=headers, json=exported)
    assert response.status_code == 201
    labels = sorted(a.label for a in db.session.scalars(select(Allergy).where(Allergy.patient_id == target.id)))
    assert labels == ["lidocaine", "mango sorbet"]


@pytest.mark.parametrize("change, field", [
    (lambda r, p: r["patient"].update(reference=f"Patient/{p.id + 1000}"), "patient"),
    (lambda r, p: r.pop("patient"), "patient"),
    (lambda r, p: r.pop("code"), "code"),
    (lambda r, p: r.update(code={"coding": [{"system": "http://snomed.info/sct", "code": "227493005"}]}), "code"),
    (lambda r, p: r["verificationStatus"]["coding"][0].update(code="probably"), "verificationStatus"),
    (lambda r, p: r["clinicalStatus"]["coding"][0].update(code="dormant"), "clinicalStatus"),
    (lambda r, p: r.update(criticality="extreme"), "criticality"),
    (lambda r, p: r.update(onsetDateTime="last spring"), "onsetDateTime"),
])
def test_bad_input_is_a_422_naming_the_field_and_nothing_is_written(client, headers, make_patient, change, field):
    patient = make_patient("Carla Cashew")
    db.session.commit()
    resource = example("example", patient)
    change(resource, patient)
    response = client.post(url(patient), headers=headers, json=resource)
    assert response.status_code == 422, response.get_json()
    assert [e["field"] for e in response.get_json()["errors"]] == [field]
    assert allergies() == 0


def test_one_bad_entry_in_a_bundle_writes_nothing_and_is_named_by_its_place(client, headers, make_patient):
    patient = make_patient("Carla Cashew")
    db.session.commit()
    good = example("example", patient)
    bad = copy.deepcopy(good)
    bad["patient"]["reference"] = "Patient/99999"
    document = {"resourceType": "Bundle", "type": "collection",
                "entry": [{"resource": good}, {"resource": bad}, {"resource": {"resourceType": "Patient"}}]}
    response = client.post(url(patient), headers=headers, json=document)
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == [
        "entry.1.resource.patient", "entry.2.resource.resourceType"]
    assert allergies() == 0


def test_an_unknown_patient_is_a_404(client, headers):
    assert client.get("/api/v1/patients/999999/allergy-intolerances", headers=headers).status_code == 404


def test_entered_in_error_goes_out_without_a_clinical_status(client, headers, make_patient):
    patient = make_patient("Erin")
    db.session.commit()
    resource = {"resourceType": "AllergyIntolerance", "patient": {"reference": f"Patient/{patient.id}"},
                "code": {"text": "mango sorbet"}, "verificationStatus": {"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                    "code": "entered-in-error"}]}}
    assert client.post(url(patient), headers=headers, json=resource).status_code == 201
    [entry] = client.get(url(patient), headers=headers).get_json(force=True)["entry"]
    written = AllergyIntolerance.model_validate(entry["resource"])
    assert written.clinicalStatus is None and written.verificationStatus.coding[0].code == "entered-in-error"
