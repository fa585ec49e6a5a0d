"""The patients API: create, list, read and change patients with their allergies, as API.md describes."""

import pytest
from sqlalchemy import func, select

from formulary.audit.models import AuditEvent
from formulary.auth.permissions import PERMISSIONS, Permission, Role
from formulary.extensions import db
from formulary.patients.models import Allergy, Patient, PatientCondition


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def views_audited() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "allergy.view"))


@pytest.fixture
def practitioner(api_token):
    return bearer(api_token("practitioner")[1])


@pytest.fixture
def library(make_substance, make_condition):
    """What the reference library would give: substances with synonyms, groups with a synonym, conditions."""
    from formulary.catalogue.lookup import find_group
    from formulary.catalogue.models import GroupSynonym
    from formulary.reference.names import normalize_name

    make_substance("cyanocobalamin", synonyms=["vitamin B12"], groups=["cobalt compounds"])
    make_substance("sodium metabisulfite", groups=["sulfites"])
    make_substance("methylparaben", groups=["parabens"])
    sulfites = find_group("sulfites")
    sulfites.synonyms.append(GroupSynonym(name="sulphites", key=normalize_name("sulphites")))
    make_condition("pregnancy")
    make_condition("keloid tendency")
    db.session.commit()


def patient_body(**changes):
    body = {
        "name": "Ana Silva", "date_of_birth": "1984-07-12", "reference": "P-1001", "allergy_status": "recorded",
        "allergies": [
            {"substance": "Vitamin B-12", "criticality": "high", "reaction": "Hives"},
            {"group": "sulphites", "criticality": "low"},
            {"text": "reacted to 'glow booster' at another clinic", "criticality": "unable-to-assess"},
        ],
        "conditions": ["pregnancy"],
    }
    return {**body, **changes}


def test_a_patient_is_created_with_coded_and_free_text_allergies(client, practitioner, library):
    response = client.post("/api/v1/patients", json=patient_body(skin_type="III"), headers=practitioner)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert {key: body[key] for key in ("name", "date_of_birth", "reference", "skin_type", "allergy_status",
                                       "conditions")} == {
        "name": "Ana Silva", "date_of_birth": "1984-07-12", "reference": "P-1001", "skin_type": "III",
        "allergy_status": "recorded", "conditions": ["pregnancy"],
    }
    coded = [(a["substance"], a["group"], a["text"], a["criticality"], a["status"]) for a in body["allergies"]]
    assert coded == [
        ("cyanocobalamin", None, None, "high", "active"),
        (None, "sulfites", None, "low", "active"),
        (None, None, "reacted to 'glow booster' at another clinic", "unable-to-assess", "active"),
    ]
    first = body["allergies"][0]
    assert first["reaction"] == "Hives" and first["recorded_by"].startswith("practitioner")
    assert first["recorded_at"] and isinstance(first["id"], int)
    assert response.headers["Cache-Control"] == "no-store"


def test_one_unknown_allergen_refuses_the_whole_patient(client, practitioner, library):
    body = patient_body()
    body["allergies"].insert(1, {"substance": "unobtainium", "criticality": "high"})
    body["allergies"].append({"group": "no such group", "criticality": "low"})
    response = client.post("/api/v1/patients", json=body, headers=practitioner)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert {"field": "allergies.1.substance",
            "message": "Unknown substance 'unobtainium': use a name or synonym from the catalogue, "
                       "or send it as text."} in errors
    assert any(e["field"] == "allergies.4.group" and "no such group" in e["message"] for e in errors)
    assert (count(Patient), count(Allergy), count(PatientCondition)) == (0, 0, 0)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "  "}, "name", "The patient's name is required."),
        ({"name": None}, "name", "Field may not be null."),
        ({"date_of_birth": "12/07/1984"}, "date_of_birth", "write it YYYY-MM-DD"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "not plausible"),
        ({"allergy_status": "maybe"}, "allergy_status", "Unknown allergy status 'maybe'"),
        ({"skin_type": "VII"}, "skin_type", "Unknown skin type 'VII'"),
        ({"conditions": ["being a vampire"]}, "conditions", "Unknown condition 'being a vampire'"),
        ({"allergies": [{"substance": "methylparaben", "criticality": "extreme"}]}, "allergies.0.criticality",
         "Unknown criticality 'extreme'"),
        ({"allergies": [{"substance": "methylparaben"}]}, "allergies.0.criticality", "Missing data"),
        ({"allergies": [{"substance": "methylparaben", "text": "x", "criticality": "low"}]}, "allergies.0",
         "Give exactly one of substance, group or text."),
        ({"allergies": [{"criticality": "low"}]}, "allergies.0", "Give exactly one of substance, group or text."),
        ({"allergies": [{"text": "   ", "criticality": "low"}]}, "allergies.0.text", "Name the substance"),
        ({"allergy_status": "none-known"}, "allergy_status", "contradicts the active allergies"),
    ],
)
def test_invalid_input_is_422_naming_the_field_and_nothing_is_saved(client, practitioner, library, changes,
                                                                       field, message):
    response = client.post("/api/v1/patients", json=patient_body(**changes), headers=practitioner)
    assert response.status_code == 422
    body = response.get_json()
    assert any(e["field"] == field and message in e["message"] for e in body["errors"]), body
    assert body["message"]
    assert (count(Patient), count(Allergy)) == (0, 0)


def test_a_taken_reference_is_refused(client, practitioner, library, make_patient):
    make_patient("Someone", reference="P-1001")
    db.session.commit()
    response = client.post("/api/v1/patients", json=patient_body(), headers=practitioner)
    assert response.status_code == 422
    assert response.get_json()["errors"][0] == {"field": "reference",
                                                "message": "Reference P-1001 already belongs to another patient."}
    assert count(Patient) == 1


def test_the_list_searches_and_pages(client, practitioner, make_patient, make_substance):
    make_substance("lidocaine")
    make_patient("Ana Silva", reference="P-1001", allergies=["lidocaine"])
    make_patient("Ben Okafor", reference="P-1002", allergy_status="unknown")
    make_patient("Cleo Silvano", reference="P-1003")
    db.session.commit()
    body = client.get("/api/v1/patients?q=silva", headers=practitioner).get_json()
    assert body["total"] == 2
    assert [(p["name"], p["allergy_status"], p["active_allergies"]) for p in body["items"]] == [
        ("Ana Silva", "recorded", 1), ("Cleo Silvano", "none-known", 0)]
    second = client.get("/api/v1/patients?per_page=2&page=2", headers=practitioner)
    assert second.get_json()["total"] == 3 and [p["name"] for p in second.get_json()["items"]] == ["Cleo Silvano"]
    assert second.headers["Cache-Control"] == "no-store"
    assert views_audited() == 0  # the list holds no allergy


def test_reading_a_patient_is_audited_and_never_cached(client, api_token, library, make_patient):
    patient = make_patient("Ana Silva", allergies=["methylparaben"], conditions=["keloid tendency"])
    db.session.commit()
    user, token = api_token("practitioner")
    response = client.get(f"/api/v1/patients/{patient.id}", headers=bearer(token))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["allergies"][0]["substance"] == "methylparaben" and body["conditions"] == ["keloid tendency"]
    client.get(f"/api/v1/patients/{patient.id}", headers=bearer(token))
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "allergy.view")).all()
    assert len(rows) == 2
    assert all((r.username, r.record_id, r.detail) == (user.username, patient.id, "api") for r in rows)


def test_unknown_patient_is_404(client, practitioner):
    for method in ("get", "patch"):
        response = getattr(client, method)("/api/v1/patients/999999", json={}, headers=practitioner)
        assert response.status_code == 404
        assert response.get_json()["message"] == "There is no patient with id 999999."
        assert response.headers["Cache-Control"] == "no-store"
    assert client.get(f"/api/v1/patients/{2**40}", headers=practitioner).status_code == 404


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", "/api/v1/patients"), ("post", "/api/v1/patients"), ("get", "/api/v1/patients/1"),
     ("patch", "/api/v1/patients/1")],
)
def test_no_token_is_401(client, method, url):
    response = getattr(client, method)(url, json={})
    assert response.status_code == 401 and response.headers["Cache-Control"] == "no-store"


def test_a_role_without_the_permission_is_403(client, api_token, library, make_patient, monkeypatch):
    patient = make_patient("Ana Silva")
    db.session.commit()
    _user, token = api_token("practitioner")
    monkeypatch.setitem(PERMISSIONS, Permission.EDIT_PATIENTS, frozenset({Role.ADMIN}))
    response = client.post("/api/v1/patients", json=patient_body(), headers=bearer(token))
    assert response.status_code == 403 and "may not edit patients" in response.get_json()["message"]
    assert client.patch(f"/api/v1/patients/{patient.id}", json={"name": "X"}, headers=bearer(token)).status_code == 403
    monkeypatch.setitem(PERMISSIONS, Permission.VIEW_PATIENTS, frozenset({Role.ADMIN}))
    assert client.get(f"/api/v1/patients/{patient.id}", headers=bearer(token)).status_code == 403
    assert client.get("/api/v1/patients", headers=bearer(token)).status_code == 403
    assert count(Patient) == 1 and views_audited() == 0


# --- PATCH --------------------------------------------------------------------------------------

def test_patch_changes_fields_adds_allergies_and_changes_status(client, practitioner, library, make_patient):
    patient = make_patient("Ana Silva", reference="P-1001", allergies=["methylparaben"], conditions=["pregnancy"])
    db.session.commit()
    old = patient.allergies[0].id
    response = client.patch(f"/api/v1/patients/{patient.id}", headers=practitioner, json={
        "name": "Ana Silva-Reis", "conditions": ["keloid tendency"],
        "allergies": [{"id": old, "status": "resolved"},
                      {"substance": "vitamin B12", "criticality": "low", "reaction": "Rash"}],
    })
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["name"], body["reference"], body["conditions"]) == ("Ana Silva-Reis", "P-1001", ["keloid tendency"])
    assert [(a["id"] == old, a["substance"], a["status"]) for a in body["allergies"]] == [
        (True, "methylparaben", "resolved"), (False, "cyanocobalamin", "active")]
    assert count(Allergy) == 2 and views_audited() == 1
    assert response.headers["Cache-Control"] == "no-store"


def test_patch_can_resolve_the_last_allergy_and_record_none_known_at_once(client, practitioner, library,
                                                                            make_patient):
    patient = make_patient("Ana Silva", allergies=["methylparaben"])
    db.session.commit()
    allergy_id = patient.allergies[0].id
    alone = client.patch(f"/api/v1/patients/{patient.id}", json={"allergy_status": "none-known"},
                         headers=practitioner)
    assert alone.status_code == 422 and alone.get_json()["errors"][0]["field"] == "allergy_status"
    both = client.patch(f"/api/v1/patients/{patient.id}", headers=practitioner, json={
        "allergy_status": "none-known", "allergies": [{"id": allergy_id, "status": "resolved"}]})
    assert both.status_code == 200 and both.get_json()["allergy_status"] == "none-known"


@pytest.mark.parametrize(
    ("allergies", "field", "message"),
    [
        ([{"id": 999999, "status": "resolved"}], "allergies.0.id", "no allergy with id 999999"),
        ([{"id": "OTHER", "status": "resolved"}], "allergies.0.id", "no allergy with id"),
        ([{"id": "MINE"}], "allergies.0.status", "Give the allergy's new status or verification status."),
        ([{"id": "MINE", "status": "resolved", "criticality": "high"}], "allergies.0",
         "Only the statuses of a recorded allergy can change"),
        ([{"id": "MINE", "status": "resolved"}, {"substance": "unobtainium", "criticality": "low"}],
         "allergies.1.substance", "Unknown substance 'unobtainium'"),
    ],
)
def test_a_bad_patch_changes_nothing(client, practitioner, library, make_patient, allergies, field, message):
    patient = make_patient("Ana Silva", allergies=["methylparaben"])
    other = make_patient("Ben Okafor", allergies=["methylparaben"])
    db.session.commit()
    ids = {"MINE": patient.allergies[0].id, "OTHER": other.allergies[0].id}
    for item in allergies:
        if item.get("id") in ids:
            item["id"] = ids[item["id"]]
    response = client.patch(f"/api/v1/patients/{patient.id}", headers=practitioner,
                            json={"name": "Renamed", "allergies": allergies})
    assert response.status_code == 422
    assert any(e["field"] == field and message in e["message"] for e in response.get_json()["errors"])
    db.session.expire_all()
    assert patient.name == "Ana Silva" and [a.status for a in patient.allergies] == ["active"]
    assert count(Allergy) == 2 and views_audited() == 0


def test_patch_refuses_bad_patient_values_after_valid_allergy_changes(client, practitioner, library, make_patient):
    patient = make_patient("Ana Silva", allergies=["methylparaben"])
    db.session.commit()
    response = client.patch(f"/api/v1/patients/{patient.id}", headers=practitioner, json={
        "conditions": ["being a vampire"], "allergies": [{"id": patient.allergies[0].id, "status": "inactive"},
                                                         {"text": "latex gloves", "criticality": "high"}]})
    assert response.status_code == 422
    db.session.expire_all()
    assert [a.status for a in patient.allergies] == ["active"] and count(Allergy) == 1


def test_openapi_documents_the_patient_paths(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"get", "post"} <= set(spec["paths"]["/api/v1/patients"])
    assert {"get", "patch"} <= set(spec["paths"]["/api/v1/patients/{patient_id}"])
    post = spec["paths"]["/api/v1/patients"]["post"]
    assert {"201", "401", "403", "422"} <= set(post["responses"])
    assert {"404", "422"} <= set(spec["paths"]["/api/v1/patients/{patient_id}"]["patch"]["responses"])
    schemas = spec["components"]["schemas"]
    assert {"name", "date_of_birth", "reference", "allergy_status", "allergies", "conditions"} <= set(
        schemas["PatientIn"]["properties"])
    assert {"substance", "group", "text", "criticality", "reaction", "status"} <= set(
        schemas["AllergyIn"]["properties"])
    assert {"id", "substance", "group", "text", "criticality", "reaction", "status", "recorded_at",
            "recorded_by"} <= set(schemas["Allergy"]["properties"])
    assert schemas["Patient"]["properties"]["date_of_birth"]["format"] == "date"


# --- Allergy certainty, free text read, conditions in words (issue 13) ------------------------------------


@pytest.fixture
def reference():
    """The whole shipped reference library, as `formulary setup` loads it."""
    from formulary.catalogue.reference_sync import sync_reference_library

    sync_reference_library()
    db.session.commit()


def test_the_fhir_fields_go_in_and_come_back(client, practitioner, reference):
    body = patient_body(allergies=[
        {"substance": "lidocaine", "criticality": "high", "verification_status": "unconfirmed", "type": "allergy",
         "category": "medication", "onset": "2019-05-01", "clinical_status": "active"},
        {"substance": "procaine", "criticality": "low", "verification_status": "refuted"},
        {"substance": "methylparaben", "criticality": "low", "verification_status": "entered-in-error",
         "status": "inactive"},
    ], conditions=[])
    answer = client.post("/api/v1/patients", json=body, headers=practitioner).get_json()
    first, refuted, error = answer["allergies"]
    assert (first["verification_status"], first["type"], first["category"], first["onset"],
            first["clinical_status"], first["status"]) == ("unconfirmed", "allergy", "medication", "2019-05-01",
                                                            "active", "active")
    assert refuted["verification_status"] == "refuted" and refuted["clinical_status"] == "active"
    assert (error["verification_status"], error["status"]) == ("entered-in-error", "inactive")
    patched = client.patch(f"/api/v1/patients/{answer['id']}", headers=practitioner, json={
        "allergies": [{"id": first["id"], "verification_status": "confirmed"}]}).get_json()
    assert patched["allergies"][0]["verification_status"] == "confirmed"


@pytest.mark.parametrize(("allergy", "field"), [
    ({"substance": "lidocaine", "criticality": "low", "verification_status": "probable"},
     "verification_status"),
    ({"substance": "lidocaine", "criticality": "low", "type": "sensitivity"}, "type"),
    ({"substance": "lidocaine", "criticality": "low", "category": "drug"}, "category"),
    ({"substance": "lidocaine", "criticality": "low", "status": "active", "clinical_status": "resolved"},
     "clinical_status"),
    ({"substance": "lidocaine", "criticality": "low", "onset": "2999-01-01"}, "onset"),
])
def test_an_unknown_certainty_value_is_refused_naming_the_field_and_nothing_is_written(
        client, practitioner, reference, allergy, field):
    before = count(Patient), count(Allergy)
    response = client.post("/api/v1/patients", json=patient_body(allergies=[allergy], conditions=[]),
                           headers=practitioner)
    assert response.status_code == 422
    assert field in str(response.get_json()["errors"])
    assert (count(Patient), count(Allergy)) == before


def test_none_known_with_an_active_allergy_is_a_contradiction_but_a_refuted_one_is_not(
        client, practitioner, reference):
    active = {"substance": "lidocaine", "criticality": "low"}
    response = client.post("/api/v1/patients", headers=practitioner,
                           json=patient_body(allergy_status="none-known", allergies=[active], conditions=[]))
    assert response.status_code == 422 and "allergy_status" in str(response.get_json()["errors"])
    assert count(Patient) == 0
    refuted = {**active, "verification_status": "refuted"}
    response = client.post("/api/v1/patients", headers=practitioner,
                           json=patient_body(allergy_status="none-known", allergies=[refuted], conditions=[]))
    assert response.status_code == 201 and response.get_json()["allergy_status"] == "none-known"


def test_free_text_is_answered_with_what_it_names_and_never_coded(client, practitioner, reference):
    allergies = [{"text": text, "criticality": "low"} for text in
                 ("lidocaine (hives)", "Lidocaína", "water", "PPD", "reacted to the blue serum")]
    answer = client.post("/api/v1/patients", json=patient_body(allergies=allergies, conditions=[]),
                         headers=practitioner).get_json()
    lidocaine = db.session.scalar(select(Allergy.id).where(Allergy.text == "lidocaine (hives)"))
    assert lidocaine is not None
    hives, spanish, water, ppd, blue = answer["allergies"]
    assert all(item["substance"] is None and item["group"] is None for item in answer["allergies"])
    for item in (hives, spanish):
        [match] = item["matches"]
        assert (match["kind"], match["name"]) == ("substance", "lidocaine") and isinstance(match["id"], int)
    assert (water["text"], water["matches"], water["ambiguous"]) == ("water", [], ["water"])
    assert (ppd["matches"], ppd["ambiguous"]) == ([], ["PPD"])
    assert (blue["matches"], blue["ambiguous"]) == ([], [])


def test_conditions_take_a_synonym_or_words_and_refuse_an_unknown_name(client, practitioner, reference):
    body = patient_body(allergies=[], allergy_status="none-known",
                        conditions=["pregnant", {"text": "on isotretinoin until May"}, {"text": "smokes"}])
    answer = client.post("/api/v1/patients", json=body, headers=practitioner).get_json()
    assert answer["conditions"] == ["pregnancy", {"text": "on isotretinoin until May"}, {"text": "smokes"}]
    refused = client.post("/api/v1/patients", headers=practitioner,
                          json=patient_body(reference="P-2", allergies=[], conditions=["smoker"]))
    assert refused.status_code == 422 and "smoker" in str(refused.get_json()["errors"])
    patched = client.patch(f"/api/v1/patients/{answer['id']}", headers=practitioner,
                           json={"conditions": ["breastfeeding", {"text": "smokes"}]}).get_json()
    assert patched["conditions"] == ["breastfeeding", {"text": "smokes"}]


def test_the_check_blocks_on_a_free_text_allergy_naming_the_substance_and_cautions_on_pregnancy(
        client, practitioner, reference, make_product, make_cocktail, make_lot):
    vial = make_product("Lidocaine 2% 5 mL", composition=[("lidocaine", "active")], category="anaesthetic")
    make_lot(vial, quantity="10")
    cocktail = make_cocktail("Numbing", [(vial, "1")])
    body = patient_body(allergies=[{"text": "allergic to Lidocaína (hives)", "criticality": "low"}],
                        conditions=["pregnant"])
    patient = client.post("/api/v1/patients", json=body, headers=practitioner).get_json()
    answer = client.post("/api/v1/checks", headers=practitioner, json={
        "patient_id": patient["id"], "cocktail_id": cocktail.id, "date": "2026-12-10"}).get_json()
    assert answer["outcome"] == "blocked"
    block, caution = answer["findings"]
    assert (block["kind"], block["severity"], block["substance"], block["in"]) == (
        "text-match", "block", "lidocaine", "cocktail")
    assert "'allergic to Lidocaína (hives)'" in block["message"] and "in the cocktail: Lidocaine 2% 5 mL" in block["message"]
    assert (caution["kind"], caution["severity"]) == ("condition", "caution") and "pregnancy" in caution["message"]
