"""Sessions and response headers: cookies, renewal at login, timeouts, security headers, no-store, passwords.

Covered elsewhere, not repeated here: a deactivated user and a changed password end existing
sessions (tests/auth/test_login.py::test_deactivated_user_is_refused_on_the_next_request,
::test_changing_password_ends_other_sessions; API tokens of a deactivated user in
tests/api/test_me.py and tests/security/test_access_matrix.py), and logins are throttled per
account and per address, counted in the database so that every gunicorn worker sees them
(tests/auth/test_login.py::test_logins_are_throttled_per_account_after_repeated_failures,
::test_logins_are_throttled_per_address_across_accounts).
"""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select

from config import ProductionConfig
from formulary import ROOT, create_app
from formulary.audit.models import AuditEvent
from formulary.auth.passwords import MAX_LENGTH, MIN_LENGTH, WeakPassword, check_policy
from formulary.db import utcnow
from formulary.extensions import db
from tests.conftest import PASSWORD, csrf_token, log_in, post_form
from tests.security.helpers import assert_security_headers

COOKIE = "session"


def set_cookie(response, name: str = COOKIE) -> dict:
    """The attributes of the Set-Cookie header for one cookie, keys in lower case ('' for a bare flag)."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            parts = [part.strip() for part in header.split(";")]
            attributes = {"value": parts[0].split("=", 1)[1]}
            for part in parts[1:]:
                key, _, value = part.partition("=")
                attributes[key.lower()] = value
            return attributes
    raise AssertionError(f"no {name} cookie set; headers: {response.headers}")


# --- cookies, renewal at login, logout ------------------------------------------------------

def test_session_cookie_is_httponly_and_samesite_lax_and_renewed_at_login(app, client, make_user, figures):
    user = make_user("practitioner")
    before = set_cookie(client.get("/login"))  # the CSRF token lives in the session already
    assert "httponly" in before and before["samesite"] == "Lax" and "secure" not in before
    response = log_in(client, user.username, follow=False)
    after = set_cookie(response)
    assert "httponly" in after and after["samesite"] == "Lax"
    assert after["value"] != before["value"]
    # A copy of the cookie taken before login does not carry the login.
    stale = app.test_client()
    stale.set_cookie(COOKIE, before["value"])
    assert stale.get("/").status_code == 302
    fresh = app.test_client()
    fresh.set_cookie(COOKIE, after["value"])
    assert fresh.get("/").status_code == 200
    figures(f"cookies: HttpOnly, SameSite={after['samesite']}; value changed at login; stale copy refused")


def test_logout_makes_every_copy_of_the_login_cookie_worthless(app, client, make_user):
    user = make_user("manager")
    cookie = set_cookie(log_in(client, user.username, follow=False))["value"]
    copy = app.test_client()
    copy.set_cookie(COOKIE, cookie)
    assert copy.get("/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get("/").status_code == 302
    assert copy.get("/").status_code == 302  # the copy died with the logout
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "logout")).user_id == user.id


@pytest.fixture
def production_app(app):
    """The production configuration with a real secret key, on the test database."""

    class Production(ProductionConfig):
        SECRET_KEY = "a-real-secret-key-for-the-production-test-0123456789"
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]

    production = create_app(Production)
    production.test_client_class = app.test_client_class
    with production.app_context():
        yield production


def test_production_cookies_are_secure_and_hsts_is_sent(production_app, make_user):
    client = production_app.test_client()
    response = client.get("/login", base_url="https://formulary.example")
    cookie = set_cookie(response)
    assert {"secure", "httponly"} <= cookie.keys() and cookie["samesite"] == "Lax"
    assert_security_headers(response, production=True)
    assert "includeSubDomains" in response.headers["Strict-Transport-Security"]
    assert_security_headers(client.get("/api/v1/me", base_url="https://formulary.example"), production=True)


def test_production_refuses_to_start_with_the_default_secret_key():
    class Careless(ProductionConfig):
        SECRET_KEY = "dev-only-not-secret"

    with pytest.raises(RuntimeError, match="FORMULARY_SECRET_KEY is not set"):
        create_app(Careless)


# --- idle timeout and absolute lifetime -----------------------------------------------------

def _stamp(client, *, login_ago: timedelta, seen_ago: timedelta) -> None:
    now = utcnow()
    with client.session_transaction() as session:
        session["login_at"] = (now - login_ago).isoformat()
        session["seen_at"] = (now - seen_ago).isoformat()


@pytest.fixture
def config_override(app):
    """Change app.config keys for one test and put them back."""
    saved = {}

    def override(**values):
        for key, value in values.items():
            saved.setdefault(key, app.config[key])
            app.config[key] = value

    yield override
    app.config.update(saved)


def test_idle_timeout_defaults_to_30_minutes_and_is_enforced(app, client, make_user):
    assert app.config["IDLE_TIMEOUT"] == timedelta(minutes=30)
    user = make_user("practitioner")
    log_in(client, user.username)
    _stamp(client, login_ago=timedelta(minutes=40), seen_ago=timedelta(minutes=29))
    assert client.get("/").status_code == 200
    _stamp(client, login_ago=timedelta(minutes=40), seen_ago=timedelta(minutes=31))
    response = client.get("/patients/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    assert client.get("/").status_code == 302  # and it stays ended
    assert "Your session has ended" in client.get("/login").get_data(as_text=True)


def test_absolute_lifetime_defaults_to_12_hours_even_for_a_busy_session(app, client, make_user):
    assert app.config["SESSION_LIFETIME"] == timedelta(hours=12)
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=12)  # the cookie's own expiry
    user = make_user("manager")
    log_in(client, user.username)
    _stamp(client, login_ago=timedelta(hours=11, minutes=59), seen_ago=timedelta(seconds=5))
    assert client.get("/").status_code == 200
    _stamp(client, login_ago=timedelta(hours=12, minutes=1), seen_ago=timedelta(seconds=5))
    assert client.get("/").status_code == 302


def test_both_limits_follow_the_configuration(app, client, make_user, config_override):
    config_override(IDLE_TIMEOUT=timedelta(minutes=5), SESSION_LIFETIME=timedelta(hours=1))
    user = make_user("practitioner")
    log_in(client, user.username)
    _stamp(client, login_ago=timedelta(minutes=10), seen_ago=timedelta(minutes=4))
    assert client.get("/").status_code == 200
    _stamp(client, login_ago=timedelta(minutes=10), seen_ago=timedelta(minutes=6))
    assert client.get("/").status_code == 302
    log_in(client, user.username)
    _stamp(client, login_ago=timedelta(minutes=61), seen_ago=timedelta(minutes=1))
    assert client.get("/").status_code == 302


def test_limits_are_read_from_the_environment():
    code = "import config; print(config.Config.IDLE_TIMEOUT, config.Config.SESSION_LIFETIME)"
    env = {**os.environ, "FORMULARY_IDLE_TIMEOUT_MINUTES": "7", "FORMULARY_SESSION_LIFETIME_HOURS": "3"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.split() == ["0:07:00", "3:00:00"]


def test_a_session_without_its_timestamps_is_not_trusted(client, make_user):
    user = make_user("manager")
    log_in(client, user.username)
    with client.session_transaction() as session:
        session.pop("login_at")
    assert client.get("/").status_code == 302


# --- headers on every kind of response ------------------------------------------------------

def test_security_headers_on_pages_errors_api_and_static_files(app, client, login_as, api_token, figures):
    _user, token = api_token("practitioner")
    bearer = {"Authorization": f"Bearer {token}"}
    # (who, method, path, what else is sent, the status expected)
    requests = [
        ("anonymous", "GET", "/login", {}, 200),
        ("anonymous", "GET", "/stock", {}, 302),
        ("anonymous", "POST", "/login", {"data": {"username": "x", "password": "y"}}, 400),  # no CSRF token
        ("anonymous", "GET", "/static/app.css", {}, 200),
        ("anonymous", "GET", "/static/app.js", {}, 200),
        ("anonymous", "GET", _bootstrap_css(app), {}, 200),
        ("anonymous", "GET", "/api/v1/openapi.json", {}, 200),
        ("anonymous", "GET", "/api/v1/me", {}, 401),
        ("token", "GET", "/api/v1/me", {"headers": bearer}, 200),
        ("token", "GET", "/api/v1/nothing-here", {"headers": bearer}, 404),
        ("token", "POST", "/api/v1/lots/1/movements", {"headers": bearer, "json": {}}, 403),
        ("token", "POST", "/api/v1/checks",
         {"headers": bearer, "data": "{not json", "content_type": "application/json"}, 400),
        ("practitioner", "GET", "/", {}, 200),
        ("practitioner", "GET", "/no/such/page", {}, 404),
        ("practitioner", "GET", "/stock/receive", {}, 403),
        ("practitioner", "PUT", "/", {}, 405),
    ]
    for who, method, path, extra, status in requests:
        if who == "practitioner" and client.get("/").status_code == 302:
            login_as("practitioner")
        response = client.open(path, method=method, **extra)
        assert response.status_code == status, (method, path)
        assert_security_headers(response, path)
    figures(f"security headers checked on {len(requests)} kinds of answer: failures: 0")


def _bootstrap_css(app) -> str:
    from flask import url_for

    with app.test_request_context():
        return url_for("bootstrap.static", filename="css/bootstrap.min.css")


def test_no_store_on_patient_and_session_pages_check_answers_and_exports(
    client, login_as, api_token, make_patient, make_cocktail, make_product, make_lot, figures,
):
    product = make_product("HA 1% 2 mL")
    lot = make_lot(product, quantity="10")
    cocktail = make_cocktail("Hydra glow", [(product, "1")])
    patient = make_patient("Ana Silva", allergies=["methylparaben"])
    _user, token = api_token("practitioner")
    bearer = {"Authorization": f"Bearer {token}"}
    planned = client.post("/api/v1/sessions", headers=bearer, json={
        "patient_id": patient.id, "cocktail_id": cocktail.id, "scheduled_for": "2030-01-02"})
    session_id = planned.get_json()["id"]
    api = {
        "POST /checks": client.post("/api/v1/checks", headers=bearer, json={
            "patient_id": patient.id, "cocktail_id": cocktail.id, "date": "2030-01-02"}),
        "POST /sessions/{id}/check": client.post(f"/api/v1/sessions/{session_id}/check", headers=bearer),
        "GET /sessions/{id}": client.get(f"/api/v1/sessions/{session_id}", headers=bearer),
        "GET /patients/{id}": client.get(f"/api/v1/patients/{patient.id}", headers=bearer),
        "GET /patients": client.get("/api/v1/patients", headers=bearer),
        "GET /lots/{id}/recipients": client.get(f"/api/v1/lots/{lot.id}/recipients", headers=bearer),
    }
    login_as("manager")
    pages = {
        "patient list": client.get("/patients/"),
        "patient page": client.get(f"/patients/{patient.id}"),
        "patient edit": client.get(f"/patients/{patient.id}/edit"),
        "session page": client.get(f"/sessions/{session_id}"),
        "sessions list": client.get("/sessions"),
        "dashboard (today's sessions)": client.get("/"),
        "recall page": client.get(f"/sessions/recall/{lot.id}"),
        "recall .xlsx": client.get(f"/sessions/recall/{lot.id}.xlsx"),
        "stock workbook": client.get("/stock/spreadsheets/export"),
        "API stock workbook": client.get("/api/v1/stock/export", headers=bearer),
    }
    answers = {**api, **pages}
    for name, response in answers.items():
        assert response.status_code == 200, name
        assert response.headers.get("Cache-Control") == "no-store", name
    assert client.get("/static/app.css").headers.get("Cache-Control") != "no-store"  # files may be cached
    figures(f"Cache-Control: no-store on {len(answers)} answers holding patient data: failures: 0")


# --- passwords ------------------------------------------------------------------------------

@pytest.mark.parametrize(("password", "refusal"), [
    ("x7#kLm2$qR9", "at least 12 characters"),                 # 11 characters
    ("a" * 5 + "x7#kLm2$qR9" * 12, "at most 128 characters"),  # 137 characters
    ("123456789012", "too common"),
    ("Password1234", "too common"),
    ("aaaaaaaaaaaaaaaa", "too common"),
    ("nurse.joy-rocks-2026", "must not contain the username"),
])
def test_password_policy_refuses(password, refusal):
    with pytest.raises(WeakPassword, match=refusal):
        check_policy(password, "nurse.joy")


def test_password_policy_accepts_12_to_128_characters():
    assert (MIN_LENGTH, MAX_LENGTH) == (12, 128)
    check_policy("x7#kLm2$qR9w", "nurse.joy")
    check_policy(("x7#kLm2$qR9w" * 11)[:128], "nurse.joy")


def test_a_weak_new_password_is_refused_on_the_profile_page_and_nothing_changes(client, login_as):
    user = login_as("practitioner")
    before = user.password_hash
    page = post_form(client, "/profile", {
        "pw-current": PASSWORD, "pw-password": "123456789012", "pw-confirm": "123456789012", "pw-submit": "y",
    }).get_data(as_text=True)
    assert "This password is too common" in page
    db.session.refresh(user)
    assert user.password_hash == before
    assert log_in(client.application.test_client(), user.username).status_code == 200

