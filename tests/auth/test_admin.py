"""Admin pages: create, change role, reset password, deactivate; friendly 403 for others."""

from sqlalchemy import select

from formulary.audit.models import AuditEvent
from formulary.auth.models import User
from formulary.auth.users import find_user
from formulary.extensions import db
from tests.conftest import log_in
from tests.conftest import post_form as _post


def test_admin_creates_a_user_who_can_log_in(app, client, login_as):
    login_as("admin")
    page = _post(client, "/admin/users/new", {
        "username": "Nina", "full_name": "Nina Nurse", "role": "practitioner",
        "password": "a-perfectly-fine-password", "confirm": "a-perfectly-fine-password",
    }).get_data(as_text=True)
    assert "User nina created as practitioner." in page
    other = app.test_client()
    assert "Nina Nurse" in log_in(other, "nina", "a-perfectly-fine-password").get_data(True)


def test_weak_or_mismatched_password_is_refused_and_nothing_saved(client, login_as):
    login_as("admin")
    page = _post(client, "/admin/users/new", {
        "username": "weak", "role": "manager", "password": "password1234", "confirm": "password1234",
    }).get_data(as_text=True)
    assert "too common" in page
    page = _post(client, "/admin/users/new", {
        "username": "short", "role": "manager", "password": "short", "confirm": "short",
    }).get_data(as_text=True)
    assert "at least 12 characters" in page
    page = _post(client, "/admin/users/new", {
        "username": "differ", "role": "manager",
        "password": "a-perfectly-fine-password", "confirm": "another-fine-password",
    }).get_data(as_text=True)
    assert "The two passwords differ." in page
    assert find_user("weak") is None and find_user("short") is None and find_user("differ") is None


def test_duplicate_username_is_refused(client, login_as, make_user):
    login_as("admin")
    make_user("manager", username="maria")
    page = _post(client, "/admin/users/new", {
        "username": "MARIA", "role": "manager",
        "password": "a-perfectly-fine-password", "confirm": "a-perfectly-fine-password",
    }).get_data(as_text=True)
    assert "A user named &#39;maria&#39; already exists." in page


def test_deactivate_reset_and_role_change_are_audited(app, client, login_as, make_user):
    admin = login_as("admin")
    target = make_user("practitioner")
    url = f"/admin/users/{target.id}"
    _post(client, url, {"role-role": "manager", "role-submit": "Change role"})
    _post(client, url, {"pw-password": "brand-new-password-1", "pw-confirm": "brand-new-password-1",
                        "pw-submit": "Set password"})
    page = _post(client, f"{url}/active", {"toggle-submit": "Confirm"}).get_data(as_text=True)
    assert f"{target.username} is deactivated." in page
    db.session.expire_all()
    user = db.session.get(User, target.id)
    assert (user.role, user.active) == ("manager", False)
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.record_id == target.id,
                                        AuditEvent.user_id == admin.id).order_by(AuditEvent.id)
    ).all()
    assert actions == ["user.role", "user.password", "user.deactivate"]


def test_the_only_admin_cannot_deactivate_or_demote_themself(client, login_as):
    admin = login_as("admin")
    page = _post(client, f"/admin/users/{admin.id}/active", {"toggle-submit": "Confirm"}).get_data(True)
    assert "You cannot deactivate your own account." in page
    page = _post(client, f"/admin/users/{admin.id}",
                 {"role-role": "manager", "role-submit": "Change role"}).get_data(True)
    assert "only active admin" in page


def test_wrong_role_gets_a_friendly_403(client, login_as):
    login_as("practitioner")
    response = client.get("/admin/users")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Your role (practitioner) may not manage users" in page
    assert "Traceback" not in page


def test_profile_changes_own_password(app, client, login_as):
    user = login_as("manager")
    page = _post(client, "/profile", {
        "pw-current": "a-long-test-password", "pw-password": "my-new-long-password",
        "pw-confirm": "my-new-long-password", "pw-submit": "Change my password",
    }).get_data(as_text=True)
    assert "Your password is changed" in page
    assert client.get("/profile").status_code == 200  # this session continues
    other = app.test_client()
    assert "Unknown username" in log_in(other, user.username).get_data(True)
    assert user.username in log_in(other, user.username, "my-new-long-password").get_data(True)
