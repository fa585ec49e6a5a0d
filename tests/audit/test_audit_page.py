"""The admin's audit page lists and filters what happened."""

from tests.conftest import log_in


def test_admin_filters_the_audit_trail_by_user_and_action(client, login_as, make_user):
    admin = login_as("admin")
    other = make_user("manager")
    log_in(client.application.test_client(), other.username, "wrong-password-here")
    page = client.get("/admin/audit?action=login.failed").get_data(as_text=True)
    assert "login.failed" in page and other.username in page
    assert f">{admin.username}<" not in page
    page = client.get(f"/admin/audit?user={admin.username}").get_data(as_text=True)
    assert "<code>login</code>" in page
    empty = client.get("/admin/audit?user=nobody").get_data(as_text=True)
    assert "No audit events match" in empty


def test_audit_page_is_for_admins_only(client, login_as):
    login_as("manager")
    assert client.get("/admin/audit").status_code == 403
