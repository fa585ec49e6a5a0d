"""A supplier's name typed twice is refused in words, whatever its letters (SQLite folds only ASCII case)."""


def test_a_non_ascii_name_posted_twice_is_a_409_naming_it_not_a_server_error(client, api_token):
    _user, token = api_token("manager")
    headers = {"Authorization": f"Bearer {token}"}
    body = {"name": "Ĩnnovación Estética", "lead_time_days": 10}
    assert client.post("/api/v1/suppliers", json=body, headers=headers).status_code == 201
    again = client.post("/api/v1/suppliers", json=body, headers=headers)
    assert again.status_code == 409 and again.json["errors"][0]["field"] == "name"
    assert "already exists" in again.json["message"] or "already exists" in again.json["errors"][0]["message"]


def test_an_id_no_row_can_have_is_refused_naming_it_on_every_database(client, api_token):
    _user, token = api_token("manager")
    headers = {"Authorization": f"Bearer {token}"}
    export = client.get("/api/v1/stock/export?product_id=-858758688882", headers=headers)
    assert export.status_code == 422 and "product_id" in str(export.json["errors"])
