"""A changed password takes the API tokens with it: by default on the profile page, always on a reset."""

import re

from formulary.auth.tokens import create_token
from formulary.extensions import db
from tests.conftest import post_form

NEW = "my-new-long-password"


def _tokens(user, count: int = 2) -> list[str]:
    texts = [create_token(user, f"system {n}", actor=user)[1] for n in range(count)]
    db.session.commit()
    return texts


def _works(client, token: str) -> bool:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def _change_own_password(client, revoke: bool):
    data = {"pw-current": "a-long-test-password", "pw-password": NEW, "pw-confirm": NEW,
            "pw-submit": "Change my password"}
    if revoke:  # a checked box is sent; an unchecked one is not
        data["pw-revoke_tokens"] = "y"
    return post_form(client, "/profile", data).get_data(as_text=True)


def test_the_profile_offers_to_revoke_the_tokens_checked_by_default(client, login_as):
    user = login_as("manager")
    _tokens(user)
    page = client.get("/profile").get_data(as_text=True)
    assert "Also revoke my 2 API tokens" in page
    checkbox = re.search(r'<input[^>]*name="pw-revoke_tokens"[^>]*>', page).group(0)
    assert 'type="checkbox"' in checkbox and "checked" in checkbox


def test_changing_ones_password_revokes_ones_tokens(client, login_as):
    user = login_as("manager")
    tokens = _tokens(user)
    page = _change_own_password(client, revoke=True)
    assert "Your password is changed; other sessions are logged out and 2 API tokens revoked." in page
    assert not any(_works(client, token) for token in tokens)


def test_unchecking_the_box_keeps_the_tokens(client, login_as):
    user = login_as("manager")
    tokens = _tokens(user)
    assert "Your password is changed" in _change_own_password(client, revoke=False)
    assert all(_works(client, token) for token in tokens)


def test_an_admins_password_reset_revokes_the_users_tokens(app, client, login_as, make_user):
    login_as("admin")
    user = make_user("practitioner")
    tokens = _tokens(user, 1)
    assert "revokes their 1 API token" in client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    page = post_form(client, f"/admin/users/{user.id}", {
        "pw-password": "brand-new-password-1", "pw-confirm": "brand-new-password-1", "pw-submit": "Set password",
    }).get_data(as_text=True)
    assert "and 1 API token revoked" in page
    assert not _works(client, tokens[0])
