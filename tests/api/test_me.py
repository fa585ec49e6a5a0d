"""The API skeleton: bearer tokens, the JSON error format and the generated OpenAPI document."""

from sqlalchemy import select

from formulary.auth.models import ApiToken
from formulary.auth.tokens import revoke_token, token_hash
from formulary.auth.users import set_active
from formulary.extensions import db


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_me_answers_who_the_token_belongs_to(client, api_token):
    user, token = api_token("practitioner")
    body = client.get("/api/v1/me", headers=bearer(token)).get_json()
    assert body["username"] == user.username and body["role"] == "practitioner"
    assert "override_block" not in body["permissions"] and "run_checks" in body["permissions"]


def test_only_a_hash_of_the_token_is_stored(api_token):
    _user, token = api_token()
    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and token_hash(token) in stored


def test_missing_bad_revoked_and_dead_user_tokens_get_401_json(client, api_token, make_user):
    user, token = api_token()
    assert client.get("/api/v1/me").status_code == 401
    response = client.get("/api/v1/me", headers=bearer("fmy_made-up"))
    assert response.status_code == 401
    assert response.get_json()["message"].startswith("A valid API token is required")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    revoke_token(db.session.scalar(select(ApiToken)), actor=user)
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    user2, token2 = api_token()
    set_active(user2, False, actor=make_user("admin"))
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(token2)).status_code == 401


def test_session_cookie_does_not_open_the_api(client, login_as):
    login_as("admin")
    assert client.get("/api/v1/me").status_code == 401


def test_unknown_api_path_is_a_json_404(client, api_token):
    _user, token = api_token()
    response = client.get("/api/v1/nothing-here", headers=bearer(token))
    assert response.status_code == 404
    assert "message" in response.get_json()


def test_openapi_document_is_generated_and_describes_me(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/me" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "message" in spec["components"]["schemas"]["Error"]["properties"]


def test_token_created_on_profile_page_is_shown_once_and_works(client, login_as):
    from tests.conftest import post_form

    login_as("manager")
    page = post_form(client, "/profile", {"tok-name": "booking system", "tok-submit": "Create token"},
                     follow=False).get_data(as_text=True)
    start = page.index('id="new-token">') + len('id="new-token">')
    token = page[start:page.index("<", start)]
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert token not in client.get("/profile").get_data(as_text=True)


def test_an_address_too_long_gets_a_json_414_under_the_api_and_the_page_elsewhere(client, api_token, login_as):
    from formulary.errors import MAX_URL_LENGTH

    _user, token = api_token("practitioner")
    long = "x" * MAX_URL_LENGTH
    answer = client.get(f"/api/v1/patients?q={long}", headers=bearer(token))
    assert answer.status_code == 414 and answer.is_json
    assert "longer than" in answer.get_json()["message"]
    assert client.get(f"/api/v1/patients?q={long[:150]}", headers=bearer(token)).status_code == 200
    login_as("practitioner")
    page = client.get(f"/patients/?q={long}")
    assert page.status_code == 414 and "text/html" in page.content_type
