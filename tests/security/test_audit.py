"""The audit trail: append-only in the database, one row per sensitive act, and no allergy detail in it.

Every view of a patient's allergies (patient page, session page with a check, API patient added,
read or changed, API session, a check run through the API, an administration refused by the check
on the page or through the API: the refusal's row is written after its rollback), every check run, override, export (recall list, stock workbook), recall and role
change writes exactly one row of
its action, with the time in UTC, the user, the action, the record and the client's address.
The rows never copy the allergy itself: the allergen names and the reaction stay in the
patient's record, under its own access rules.
"""

from datetime import UTC, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from config import TestingConfig
from formulary import create_app
from formulary.audit.log import record
from formulary.audit.models import AuditEvent
from formulary.db import utcnow
from formulary.extensions import db
from formulary.patients.records import AllergyData, add_allergy
from formulary.treatments.sessions import check_session, plan_session
from tests.conftest import csrf_token, log_in, post_form
from tests.security.conftest import TODAY

ADDRESS = "203.0.113.7"  # TEST-NET-3: the client every request of this file comes from
FREE_TEXT, REACTION = "latex examination gloves", "hives on both forearms within minutes"


def test_audit_rows_cannot_be_updated_or_deleted_by_sql_or_by_the_orm(app, make_user, figures):
    """The trigger (PostgreSQL and SQLite alike) refuses; see also tests/test_database.py."""
    event = record("test.event", actor=make_user("admin"), detail="kept forever")
    db.session.commit()
    refused = 0
    for statement in ("UPDATE audit_event SET detail = 'changed' WHERE id = :id",
                      "UPDATE audit_event SET at = at WHERE id = :id",
                      "DELETE FROM audit_event WHERE id = :id",
                      "DELETE FROM audit_event"):
        nested = db.session.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement), {"id": event.id})
        nested.rollback()
        refused += 1
    for change in (lambda: setattr(event, "detail", "changed"), lambda: db.session.delete(event)):
        nested = db.session.begin_nested()
        change()
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.flush()
        nested.rollback()
        refused += 1
    db.session.expire_all()
    assert db.session.get(AuditEvent, event.id).detail == "kept forever"
    figures(f"audit trail on {db.engine.dialect.name}: {refused} changes tried, {refused} refused; "
          "failures: 0")


@pytest.fixture
def callers(app, clinic):
    """Browsers logged in per role and bearer headers per role, all from ADDRESS."""
    browsers = {}
    for role, user in clinic.users.items():
        browser = app.test_client()
        browser.environ_base["REMOTE_ADDR"] = ADDRESS
        log_in(browser, user.username)
        browsers[role] = browser
    api = app.test_client()
    api.environ_base["REMOTE_ADDR"] = ADDRESS
    bearer = {role: {"Authorization": f"Bearer {token}"} for role, token in clinic.tokens.items()}
    return browsers, api, bearer


def _fresh_blocked_session(clinic):
    practitioner = clinic.users["practitioner"]
    session = plan_session(clinic.patient, clinic.cocktail, TODAY, practitioner=practitioner,
                           actor=practitioner)
    _result, check = check_session(session, actor=practitioner)
    db.session.commit()
    return session, check


def _unchecked_session(clinic):
    """A session planned for the allergic patient and never checked: administering it is blocked."""
    practitioner = clinic.users["practitioner"]
    session = plan_session(clinic.patient, clinic.cocktail, TODAY, practitioner=practitioner,
                           actor=practitioner)
    db.session.commit()
    return session


def _scenarios(clinic, browsers, api, bearer):
    """(what, do it → (actor role, record type, record id), the one action it must write)."""
    patient, session, lot = clinic.patient, clinic.session, clinic.lot
    reason = "Patch test on 2026-01-10 was negative; discussed with the patient."
    practitioner, manager, admin = browsers["practitioner"], browsers["manager"], browsers["admin"]

    def page_override():
        fresh, check = _fresh_blocked_session(clinic)
        response = post_form(manager, f"/sessions/{fresh.id}/checks/{check.id}/override",
                             {"override-reason": reason}, follow=False)
        assert response.status_code == 302
        return "manager", "SafetyCheck", check.id

    def api_override():
        fresh, _check = _fresh_blocked_session(clinic)
        response = api.post(f"/api/v1/sessions/{fresh.id}/administer", json={"override_reason": reason},
                            headers=bearer["admin"])
        assert response.status_code == 201
        db.session.expire_all()
        return "admin", "SafetyCheck", fresh.checks[-1].id

    def recall(how):
        def run():
            lot_id = _new_lot(clinic).id
            if how == "lot page":
                response = post_form(manager, f"/stock/lots/{lot_id}/recall",
                                     {"recall-reason": "supplier notice"}, follow=False)
            elif how == "recall page":
                response = post_form(manager, f"/sessions/recall/{lot_id}", {"reason": "supplier notice"},
                                     follow=False)
            else:
                response = api.post(f"/api/v1/lots/{lot_id}/status", headers=bearer["manager"],
                                    json={"status": "recalled", "reason": "supplier notice"})
            assert response.status_code in (200, 302), response.get_data(as_text=True)[:500]
            return "manager", "Lot", lot_id
        return run

    def refused(how):
        def run():
            fresh = _unchecked_session(clinic)
            if how == "page":
                response = post_form(practitioner, f"/sessions/{fresh.id}/administer", {}, follow=False)
            else:
                response = api.post(f"/api/v1/sessions/{fresh.id}/administer", json={},
                                    headers=bearer["practitioner"])
            assert response.status_code == 409, response.get_data(as_text=True)[:500]
            assert "parabens" in response.get_data(as_text=True)  # the refusal names the allergy
            return "practitioner", "Patient", patient.id
        return run

    def expect(response, status, role, record_type, record_id):
        assert response.status_code == status, response.get_data(as_text=True)[:500]
        return role, record_type, record_id

    return [
        ("patient page", "allergy.view", lambda: expect(
            practitioner.get(f"/patients/{patient.id}"), 200, "practitioner", "Patient", patient.id)),
        ("session page with a check", "allergy.view", lambda: expect(
            practitioner.get(f"/sessions/{session.id}"), 200, "practitioner", "Patient", patient.id)),
        ("API patient", "allergy.view", lambda: expect(
            api.get(f"/api/v1/patients/{patient.id}", headers=bearer["practitioner"]), 200,
            "practitioner", "Patient", patient.id)),
        ("API session", "allergy.view", lambda: expect(
            api.get(f"/api/v1/sessions/{session.id}", headers=bearer["manager"]), 200,
            "manager", "Patient", patient.id)),
        ("API patient added", "allergy.view", lambda: expect(
            api.post("/api/v1/patients", headers=bearer["manager"], json={
                "name": "Clara Dias", "date_of_birth": "1990-04-02", "allergy_status": "recorded",
                "allergies": [{"group": "parabens", "criticality": "high"}]}),
            201, "manager", "Patient", _latest_patient_id())),
        ("API patient changed", "allergy.view", lambda: expect(
            api.patch(f"/api/v1/patients/{patient.id}", headers=bearer["manager"], json={"notes": "calm"}),
            200, "manager", "Patient", patient.id)),
        ("API check shows the allergies", "allergy.view", lambda: expect(
            api.post("/api/v1/checks", headers=bearer["practitioner"], json={
                "patient_id": patient.id, "cocktail_id": clinic.cocktail.id, "date": TODAY.isoformat()}),
            200, "practitioner", "Patient", patient.id)),
        ("API session check shows the allergies", "allergy.view", lambda: expect(
            api.post(f"/api/v1/sessions/{session.id}/check", headers=bearer["practitioner"]), 200,
            "practitioner", "Patient", patient.id)),
        ("check on the session page, then the page", "allergy.view", lambda: expect(
            post_form(practitioner, f"/sessions/{session.id}/check", {}, follow=True), 200,
            "practitioner", "Patient", patient.id)),
        ("administering refused on the session page (409)", "allergy.view", refused("page")),
        ("administering refused through the API (409)", "allergy.view", refused("api")),
        ("check on the session page", "check.run", lambda: expect(
            post_form(practitioner, f"/sessions/{session.id}/check", {}, follow=False), 302,
            "practitioner", "SafetyCheck", _latest_check_id())),
        ("API check", "check.run", lambda: expect(
            api.post("/api/v1/checks", headers=bearer["practitioner"], json={
                "patient_id": patient.id, "cocktail_id": clinic.cocktail.id, "date": TODAY.isoformat()}),
            200, "practitioner", "SafetyCheck", _latest_check_id())),
        ("API session check", "check.run", lambda: expect(
            api.post(f"/api/v1/sessions/{session.id}/check", headers=bearer["practitioner"]), 200,
            "practitioner", "SafetyCheck", _latest_check_id())),
        ("override on the session page", "check.override", page_override),
        ("override through API administer", "check.override", api_override),
        ("recall list export (.xlsx)", "recall.export", lambda: expect(
            manager.get(f"/sessions/recall/{lot.id}.xlsx"), 200, "manager", "Lot", lot.id)),
        ("stock workbook export", "stock.export", lambda: expect(
            manager.get("/stock/spreadsheets/export"), 200, "manager", None, None)),
        ("stock workbook export through the API", "stock.export", lambda: expect(
            api.get("/api/v1/stock/export", headers=bearer["practitioner"]), 200,
            "practitioner", None, None)),
        ("recall from the lot page", "lot.recall", recall("lot page")),
        ("recall from the recall page", "lot.recall", recall("recall page")),
        ("recall through the API", "lot.recall", recall("api")),
        ("role change", "user.role", lambda: expect(
            post_form(admin, f"/admin/users/{clinic.other.id}", {"role-role": "manager", "role-submit": "y"},
                      follow=False), 302, "admin", "User", clinic.other.id)),
    ]


def _latest_patient_id() -> int:
    from formulary.patients.models import Patient

    return db.session.scalar(select(func.max(Patient.id)))


def _latest_check_id() -> int:
    from formulary.treatments.models import SafetyCheck

    return db.session.scalar(select(func.max(SafetyCheck.id)))


def _new_lot(clinic):
    from formulary.stock.ledger import receive

    count = db.session.scalar(select(func.count()).select_from(AuditEvent))
    lot = receive(clinic.product, lot_number=f"R-{count}", expiry=TODAY + timedelta(days=90), quantity=4,
                  received_on=TODAY, actor=None)
    db.session.commit()
    return lot


def test_each_sensitive_act_writes_exactly_one_row_with_time_user_action_record_and_address(
    app, clinic, callers, figures,
):
    browsers, api, bearer = callers
    add_allergy(clinic.patient, AllergyData(allergen=FREE_TEXT, criticality="high", reaction=REACTION),
                actor=None)
    db.session.commit()
    secrets = {FREE_TEXT, REACTION, "parabens", "methylparaben"}
    written, failures, acts = [], [], 0
    for name, action, act in _scenarios(clinic, browsers, api, bearer):
        acts += 1
        last = db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))
        started = utcnow()
        role, record_type, record_id = act()
        db.session.expire_all()
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.id > last).order_by(AuditEvent.id)).all()
        written += rows
        mine = [row for row in rows if row.action == action]
        if len(mine) != 1:
            failures.append(f"{name}: {len(mine)} rows of {action} (all: {[r.action for r in rows]})")
            continue
        row, actor = mine[0], clinic.users[role]
        assert row.at.tzinfo is not None and row.at.utcoffset() == timedelta(0), name
        second = timedelta(seconds=1)
        assert started - second <= row.at.astimezone(UTC) <= utcnow() + second, name
        assert (row.user_id, row.username) == (actor.id, actor.username), name
        assert (row.record_type, row.record_id) == (record_type, record_id), name
        assert row.address == ADDRESS, name
    assert not failures, "\n".join(failures)
    leaks = [(row.action, row.detail) for row in written if any(s in row.detail.casefold() for s in secrets)]
    assert not leaks, f"allergy detail copied into the audit trail: {leaks}"
    figures(f"audit: {acts} sensitive acts, {len(written)} rows written, exactly one of each act's action, "
          f"none with allergy detail; failures: 0")


def test_a_session_page_without_a_check_shows_no_allergy_and_writes_no_view(app, clinic, callers):
    browsers, _api, _bearer = callers
    practitioner = clinic.users["practitioner"]
    unchecked = plan_session(clinic.patient, clinic.cocktail, TODAY, practitioner=practitioner,
                             actor=practitioner)
    db.session.commit()
    last = db.session.scalar(select(func.max(AuditEvent.id)))
    page = browsers["practitioner"].get(f"/sessions/{unchecked.id}").get_data(as_text=True)
    assert "parabens" not in page
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.id > last, AuditEvent.action == "allergy.view")) == 0


@pytest.mark.parametrize(("proxies", "recorded"), [(0, "127.0.0.1"), (1, "198.51.100.23")])
def test_the_address_comes_from_the_proxy_only_when_the_proxy_is_trusted(app, make_user, proxies, recorded):
    """Behind a TLS proxy (FORMULARY_TRUSTED_PROXIES=1) the client's address is audited and throttled;
    without it a forged X-Forwarded-For changes nothing."""

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        TRUSTED_PROXIES = proxies

    proxied = create_app(Config)
    proxied.test_client_class = app.test_client_class
    with proxied.app_context():
        client = proxied.test_client()
        token = csrf_token(client, "/login")
        client.post("/login", data={"username": "nobody-at-all", "password": "wrong-password-x",
                                    "csrf_token": token},
                    headers={"X-Forwarded-For": "198.51.100.23", "X-Forwarded-Proto": "https",
                             "Referer": "https://localhost/login"})
    failed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login.failed")).one()
    assert failed.address == recorded
