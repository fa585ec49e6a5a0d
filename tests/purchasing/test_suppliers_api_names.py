"""A supplier's name typed twice is refused in words, whatever its letters (SQLite folds only ASCII case)."""


def test_a_non_ascii_name_posted_twice_is_a_409_naming_it_not_a_server_error(client, api_token):
    _user, token = api_token("manager")
    headers = {"Authorization": f"Bearer {token}"}
    body = {"name": "Ĩnnovación Estética", "lead_time_days": 10}
    assert client.post("/api/v1/suppliers", json=body, headers=headers).status_code == 201
    again = client.post("/api/v1/suppliers", json=body, headers=headers)
    assert again.status_code == 409 and again.json["errors"][0]["field"] == "name"
    assert "already exists" in again.json["message"] or "already exists" in again.json["errors"][0]["message"]
