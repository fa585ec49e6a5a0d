"""The check and session API: /checks, plan, get, check, administer — paths, fields and status codes of API.md."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from formulary.extensions import db
from formulary.stock.models import Lot, StockMovement
from formulary.treatments.checks import stored_findings
from formulary.treatments.models import Override, SafetyCheck, TreatmentSession
from tests.conftest import log_in, post_form
from tests.treatments import conftest as sessions_conftest
from tests.treatments.conftest import TODAY

clinic = sessions_conftest.clinic  # the sessions' small clinic, as a fixture here too


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def practitioner(api_token):
    return bearer(api_token("practitioner")[1])


@pytest.fixture
def manager(api_token):
    return bearer(api_token("manager")[1])


@pytest.fixture
def paula(make_patient):
    patient = make_patient("Paula Paraben", allergies=["parabens"])
    db.session.commit()
    return patient


def plan(client, headers, patient, cocktail, on=TODAY):
    response = client.post("/api/v1/sessions", headers=headers, json={
        "patient_id": patient.id, "cocktail_id": cocktail.id, "scheduled_for": on.isoformat()})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_check_answers_outcome_and_findings_and_is_recorded(client, practitioner, clinic, paula):
    response = client.post("/api/v1/checks", headers=practitioner, json={
        "patient_id": paula.id, "cocktail_id": clinic["cocktail"].id, "date": TODAY.isoformat()})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["outcome"] == "blocked"
    finding = body["findings"][0]
    assert finding["kind"] == "allergy" and finding["severity"] == "block"
    assert finding["message"] == ("Blocked: allergic to parabens (high criticality) — methylparaben is an excipient "
                                  "in the cocktail: Vitamin Complex B 2 mL")
    assert finding["in"] == "cocktail"
    assert finding["substance"] == "methylparaben" and finding["product_id"] == clinic["vit"].id
    assert "lot_id" not in finding
    assert finding["path"][0] == "allergy: parabens"
    assert body["checked"].startswith("Checked 1 active allergy")
    check = db.session.scalars(select(SafetyCheck)).one()
    assert check.session_id is None and check.outcome == "blocked"


def test_a_stock_finding_names_the_lot(client, practitioner, clinic, make_patient):
    from formulary.stock.ledger import set_status

    set_status(clinic["vit_lot"], "quarantined", actor=None, reason="cloudy")
    patient = make_patient()
    db.session.commit()
    body = client.post("/api/v1/checks", headers=practitioner, json={
        "patient_id": patient.id, "cocktail_id": clinic["cocktail"].id, "date": TODAY.isoformat()}).get_json()
    assert body["outcome"] == "blocked"
    assert body["findings"] == [{
        "kind": "stock", "severity": "block", "product_id": clinic["vit"].id, "lot_id": clinic["vit_lot"].id,
        "in": "cocktail",
        "message": f"Blocked: no usable stock of Vitamin Complex B 2 mL for 1 mL on {TODAY.isoformat()} — "
                   "lot VB-1 quarantined",
        "path": ["product: Vitamin Complex B 2 mL", "component 2", "lot VB-1: quarantined", "short by 1 mL"],
    }]


def test_the_page_and_the_api_give_the_same_findings(client, login_as, api_token, clinic, make_patient,
                                                     make_condition):
    patient = make_patient("Mixed Mia", allergies=["parabens", "something odd from a cream"],
                           conditions=["pregnancy"])
    db.session.commit()
    _user, token = api_token("practitioner")
    session = plan(client, bearer(token), patient, clinic["cocktail"], TODAY + timedelta(days=3))
    login_as("practitioner")
    post_form(client, f"/sessions/{session['id']}/check", {})
    page_check = db.session.scalars(select(SafetyCheck).where(SafetyCheck.session_id == session["id"])).one()
    api = client.post("/api/v1/checks", headers=bearer(token), json={
        "patient_id": patient.id, "cocktail_id": clinic["cocktail"].id,
        "date": (TODAY + timedelta(days=3)).isoformat()}).get_json()
    from formulary.api.sessions import finding_json

    assert api["outcome"] == page_check.outcome
    assert api["findings"] == [finding_json(f) for f in stored_findings(page_check)]
    assert len(api["findings"]) >= 2  # the paraben block and the free-text caution at least
    # The session's own check endpoint answers the same.
    again = client.post(f"/api/v1/sessions/{session['id']}/check", headers=bearer(token)).get_json()
    assert again["findings"] == api["findings"]


def test_plan_get_check_and_administer(client, practitioner, clinic, make_patient):
    patient = make_patient("Clara Clear")
    db.session.commit()
    planned = plan(client, practitioner, patient, clinic["cocktail"])
    assert planned["status"] == "planned" and planned["cocktail_version"] == 1
    check = client.post(f"/api/v1/sessions/{planned['id']}/check", headers=practitioner)
    assert check.status_code == 200 and check.get_json() | {"checked": None} == {
        "outcome": "clear", "findings": [], "checked": None}
    response = client.post(f"/api/v1/sessions/{planned['id']}/administer", headers=practitioner,
                           json={"areas": "cheeks, neck"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "administered"
    assert {(d["lot_id"], d["administered"], d["wasted"]) for d in body["draws"]} == {
        (clinic["early"].id, 1.5, 0.5), (clinic["vit_lot"].id, 1.0, 1.0)}
    assert db.session.get(Lot, clinic["early"].id).on_hand == Decimal("2")

    got = client.get(f"/api/v1/sessions/{planned['id']}", headers=practitioner).get_json()
    assert got["status"] == "administered" and got["cocktail_version"] == 1
    assert got["patient_id"] == patient.id and got["cocktail_id"] == clinic["cocktail"].id
    assert got["scheduled_for"] == TODAY.isoformat() and got["areas"] == "cheeks, neck"
    assert [c["outcome"] for c in got["checks"]] == ["clear", "clear"] and got["override"] is None
    assert {(d["lot_id"], d["administered"], d["wasted"]) for d in got["draws"]} == {
        (clinic["early"].id, 1.5, 0.5), (clinic["vit_lot"].id, 1.0, 1.0)}

    twice = client.post(f"/api/v1/sessions/{planned['id']}/administer", headers=practitioner, json={})
    assert twice.status_code == 409 and twice.get_json()["message"] == "This session is already administered."


def test_a_block_is_409_without_an_allowed_override_and_administered_with_one(client, practitioner, manager,
                                                                                clinic, paula):
    planned = plan(client, practitioner, paula, clinic["cocktail"])
    url = f"/api/v1/sessions/{planned['id']}/administer"
    before = count(StockMovement)
    refused = client.post(url, headers=practitioner, json={})
    assert refused.status_code == 409
    message = refused.get_json()["message"]
    assert "must be overridden, with a reason, by a manager or admin" in message
    assert "methylparaben is an excipient in the cocktail: Vitamin Complex B 2 mL" in message
    own = client.post(url, headers=practitioner, json={"override_reason": "Patch test negative; she consents."})
    assert own.status_code == 409 and "Your role (practitioner) may not override" in own.get_json()["message"]
    short = client.post(url, headers=manager, json={"override_reason": "ok"})
    assert short.status_code == 422 and short.get_json()["errors"][0]["field"] == "override_reason"
    assert count(StockMovement) == before and count(Override) == 0
    assert db.session.get(TreatmentSession, planned["id"]).status == "planned"

    done = client.post(url, headers=manager, json={
        "override_reason": "Patch test to parabens negative on 2026-11-01; patient consents in writing."})
    assert done.status_code == 201 and done.get_json()["status"] == "administered"
    got = client.get(f"/api/v1/sessions/{planned['id']}", headers=practitioner).get_json()
    assert got["override"]["reason"].startswith("Patch test to parabens") and got["override"]["by"].startswith("manager")
    assert got["checks"][-1]["outcome"] == "blocked"


def test_an_unacknowledged_caution_is_409(client, practitioner, clinic, make_patient):
    patient = make_patient("Never Asked", allergy_status="unknown")
    db.session.commit()
    planned = plan(client, practitioner, patient, clinic["cocktail"])
    url = f"/api/v1/sessions/{planned['id']}/administer"
    refused = client.post(url, headers=practitioner, json={})
    assert refused.status_code == 409
    assert refused.get_json()["message"] == "Read and acknowledge the cautions before administering."
    assert refused.get_json()["errors"][0]["field"] == "acknowledge_caution"
    assert client.post(url, headers=practitioner, json={"acknowledge_caution": True}).status_code == 201


def test_a_shortage_is_409_naming_the_product(client, practitioner, clinic, make_patient):
    from formulary.stock.ledger import waste

    waste(clinic["vit_lot"], "10", actor=None, reason="broken box")
    patient = make_patient()
    db.session.commit()
    planned = plan(client, practitioner, patient, clinic["cocktail"])
    before = count(StockMovement)
    response = client.post(f"/api/v1/sessions/{planned['id']}/administer", headers=practitioner, json={})
    assert response.status_code == 409
    assert response.get_json()["message"].startswith(
        "Not administered: Blocked: no stock of Vitamin Complex B 2 mL for 1 mL")
    assert count(StockMovement) == before


def test_refusals_and_unknown_ids(client, practitioner, clinic, paula, api_token):
    from formulary.cocktails.recipes import set_retired

    bad = client.post("/api/v1/sessions", headers=practitioner, json={
        "patient_id": 999999, "cocktail_id": clinic["cocktail"].id, "scheduled_for": TODAY.isoformat()})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "patient_id"
    wrong_date = client.post("/api/v1/checks", headers=practitioner, json={
        "patient_id": paula.id, "cocktail_id": clinic["cocktail"].id, "date": "01/12/2026"})
    assert wrong_date.status_code == 422 and wrong_date.get_json()["errors"][0]["field"] == "date"
    for method, url in [("get", "/api/v1/sessions/999999"), ("post", "/api/v1/sessions/999999/check"),
                        ("post", "/api/v1/sessions/999999/administer")]:
        response = getattr(client, method)(url, headers=practitioner, json={} if method == "post" else None)
        assert response.status_code == 404 and response.get_json()["message"] == "There is no session with id 999999."
    set_retired(clinic["cocktail"], True, actor=None)
    db.session.commit()
    retired = client.post("/api/v1/sessions", headers=practitioner, json={
        "patient_id": paula.id, "cocktail_id": clinic["cocktail"].id, "scheduled_for": TODAY.isoformat()})
    assert retired.status_code == 409 and "retired" in retired.get_json()["message"]
    assert count(TreatmentSession) == 0


def test_tokens_and_roles(client, clinic, paula):
    body = {"patient_id": paula.id, "cocktail_id": clinic["cocktail"].id, "date": TODAY.isoformat()}
    assert client.post("/api/v1/checks", json=body).status_code == 401
    assert client.post("/api/v1/checks", json=body, headers=bearer("nonsense")).status_code == 401
    assert count(SafetyCheck) == 0


def test_the_openapi_document_describes_every_endpoint(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ["/api/v1/checks", "/api/v1/sessions", "/api/v1/sessions/{session_id}",
                 "/api/v1/sessions/{session_id}/check", "/api/v1/sessions/{session_id}/administer"]:
        assert path in paths, path
    assert "409" in paths["/api/v1/sessions/{session_id}/administer"]["post"]["responses"]


def test_a_recall_answers_the_patients_who_received_the_lot(client, practitioner, manager, clinic, paula,
                                                            make_patient):
    patient = make_patient("Rita Received", reference="R-7")
    db.session.commit()
    planned = plan(client, practitioner, patient, clinic["cocktail"])
    client.post(f"/api/v1/sessions/{planned['id']}/administer", headers=practitioner, json={})
    recalled = client.post(f"/api/v1/lots/{clinic['early'].id}/status", headers=manager,
                           json={"status": "recalled", "reason": "manufacturer notice"}).get_json()
    assert recalled["recipients"] == {
        "sessions": [{"id": planned["id"], "patient_id": patient.id, "date": TODAY.isoformat()}],
        "patients": [{"id": patient.id, "name": "Rita Received", "reference": "R-7", "phone": "", "email": "",
                      "contact_ok": False}],
    }
    assert client.get(f"/api/v1/lots/{clinic['early'].id}/recipients", headers=practitioner).get_json() \
        == recalled["recipients"]


def test_browser_users_need_a_token(client, clinic, paula, make_user):
    user = make_user("practitioner")
    log_in(client, user.username)
    response = client.post("/api/v1/checks", json={
        "patient_id": paula.id, "cocktail_id": clinic["cocktail"].id, "date": TODAY.isoformat()})
    assert response.status_code == 401
