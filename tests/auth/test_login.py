"""Logging in and out, the same answer for every failure, and sessions that end."""

from sqlalchemy import select

from formulary.audit.models import AuditEvent
from formulary.extensions import db
from tests.conftest import PASSWORD, csrf_token, log_in


def test_login_shows_dashboard_and_logout_ends_session(client, make_user):
    user = make_user("practitioner")
    page = log_in(client, user.username).get_data(as_text=True)
    assert "Dashboard" in page and user.username in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")}, follow_redirects=True)
    assert client.get("/").status_code == 302


def test_wrong_password_and_unknown_user_get_the_same_message_and_are_audited(client, make_user):
    user = make_user("manager")
    wrong = log_in(client, user.username, "not-the-password-at-all").get_data(as_text=True)
    unknown = log_in(client, "nobody-here", PASSWORD).get_data(as_text=True)
    message = "Unknown username or wrong password."
    assert message in wrong and message in unknown
    failures = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "login.failed").order_by(AuditEvent.id)
    ).all()
    # What was typed for an unknown user may be a password: the trail keeps none of it.
    assert [(e.username, e.detail.split(";")[0]) for e in failures] == [
        (user.username, "wrong password"),
        ("", "unknown user"),
    ]
    assert all(e.address == "127.0.0.1" for e in failures)


def test_every_page_but_login_needs_a_user(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert client.get("/login").status_code == 200


def test_login_form_without_csrf_token_is_refused_with_a_clear_page(client, make_user):
    user = make_user("manager")
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "nothing was saved" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not logged in
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "login")) is None


def test_unknown_url_gives_the_404_page(client, login_as):
    login_as("manager")
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_next_parameter_cannot_send_the_user_to_another_site(client, make_user):
    user = make_user("manager")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=//evil.example/",
        data={"username": user.username, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_deactivated_user_is_refused_on_the_next_request(client, make_user):
    from formulary.auth.users import set_active

    admin = make_user("admin")
    user = make_user("practitioner")
    log_in(client, user.username)
    assert client.get("/").status_code == 200
    set_active(user, False, actor=admin)
    db.session.commit()
    assert client.get("/").status_code == 302
    assert "Unknown username or wrong password." in log_in(client, user.username).get_data(True)


def test_changing_password_ends_other_sessions(app, make_user):
    from formulary.auth.users import set_password

    user = make_user("manager")
    laptop, tablet = app.test_client(), app.test_client()
    log_in(laptop, user.username)
    log_in(tablet, user.username)
    set_password(user, "another-long-password", actor=user)
    db.session.commit()
    assert laptop.get("/").status_code == 302
    assert tablet.get("/").status_code == 302


def test_idle_session_times_out(app, client, make_user):
    user = make_user("manager")
    log_in(client, user.username)
    with client.session_transaction() as session:
        session["seen_at"] = "2000-01-01T00:00:00+00:00"
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_security_headers_on_every_page(client):
    headers = client.get("/login").headers
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_logins_are_throttled_per_account_after_repeated_failures(app, client, make_user, clock):
    user = make_user("manager")
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        assert "Unknown username or wrong password." in log_in(client, user.username, "wrong-password-x").get_data(True)
        clock.advance(seconds=30)  # past each slowdown wait
    # Even the right password is refused now from this address, without being checked.
    response = log_in(client, user.username, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins for this account from your address" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    clock.advance(minutes=app.config["LOGIN_THROTTLE_MINUTES"] - 3)
    assert log_in(client, user.username, PASSWORD).status_code == 429
    locked = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login.locked")).all()
    assert [e.username for e in locked] == [user.username]
    clock.advance(minutes=3)  # the lock has run its course
    assert "Dashboard" in log_in(client, user.username, PASSWORD).get_data(as_text=True)


def test_logins_are_throttled_per_address_across_accounts(app, client, make_user, browser_at):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    for number in range(limit):
        log_in(client, f"guess{number}", "wrong-password-x")
    other = make_user("practitioner")
    response = log_in(client, other.username, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins from your address" in response.get_data(as_text=True)
    assert log_in(browser_at("198.51.100.7"), other.username, PASSWORD).status_code == 200
