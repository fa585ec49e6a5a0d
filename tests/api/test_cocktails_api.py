"""The cocktail API: compose, revise, list, read and availability, as API.md describes them."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from formulary.catalogue.models import TreatmentGoal
from formulary.catalogue.products import set_retired as retire_product
from formulary.cocktails.models import Cocktail, CocktailVersion
from formulary.extensions import db
from formulary.reference.names import normalize_name


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def counts():
    return (db.session.scalar(select(func.count()).select_from(Cocktail)),
            db.session.scalar(select(func.count()).select_from(CocktailVersion)))


@pytest.fixture
def manager(api_token):
    return bearer(api_token("manager")[1])


@pytest.fixture
def practitioner(api_token):
    return bearer(api_token("practitioner")[1])


@pytest.fixture
def stock(make_product, make_substance, make_lot):
    """Goals, and three products with a lot each."""
    for name in ("hydration", "brightening", "radiance"):
        db.session.add(TreatmentGoal(name=name, key=normalize_name(name), origin="reference"))
    make_substance("lidocaine", synonyms=["xylocaine"])
    ha = make_product("HA 1% 2 mL", composition=[("sodium hyaluronate", "active")])
    vit = make_product("Vitamin C 10% 2 mL", category="vitamin",
                       composition=[("ascorbic acid", "active"), ("sodium bicarbonate", "excipient")])
    lido = make_product("Lidocaine 2% 2 mL", category="anaesthetic", composition=[("lidocaine", "active")])
    for product in (ha, vit, lido):
        make_lot(product, quantity="10", unit_cost="3")
    db.session.commit()
    return {"ha": ha, "vit": vit, "lido": lido}


def body(stock, **changes):
    data = {
        "name": "Hydra glow", "goals": ["hydration", "radiance"],
        "components": [{"product_id": stock["ha"].id, "amount": 1}, {"product_id": stock["vit"].id, "amount": 1.5}],
        "series_sessions": 4, "series_interval_days": 14, "notes": "Nappage, 4 mm, 30G.",
    }
    return {**data, **changes}


def test_post_composes_version_1(client, manager, stock):
    response = client.post("/api/v1/cocktails", json=body(stock), headers=manager)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer == {
        "id": answer["id"], "name": "Hydra glow", "version": 1, "version_id": answer["version_id"],
        "total_volume": 2.5, "goals": ["hydration", "radiance"],
        "components": [
            {"product_id": stock["ha"].id, "product": "HA 1% 2 mL", "amount": 1.0, "unit": "mL"},
            {"product_id": stock["vit"].id, "product": "Vitamin C 10% 2 mL", "amount": 1.5, "unit": "mL"},
        ],
        "series_sessions": 4, "series_interval_days": 14, "notes": "Nappage, 4 mm, 30G.", "retired": False,
        "procedure": [],  # no procedure items beyond the clinic's kit
    }
    assert counts() == (1, 1)


def test_put_makes_a_new_version_and_an_unchanged_recipe_keeps_it(client, manager, stock):
    cocktail_id = client.post("/api/v1/cocktails", json=body(stock), headers=manager).get_json()["id"]
    changed = body(stock, components=[{"product_id": stock["ha"].id, "amount": 2},
                                      {"product_id": stock["vit"].id, "amount": 1.5}])
    response = client.put(f"/api/v1/cocktails/{cocktail_id}", json=changed, headers=manager)
    assert response.status_code == 200
    assert response.get_json()["version"] == 2 and response.get_json()["total_volume"] == 3.5
    again = client.put(f"/api/v1/cocktails/{cocktail_id}", json=changed, headers=manager)
    assert again.status_code == 200 and again.get_json()["version"] == 2
    renamed = client.put(f"/api/v1/cocktails/{cocktail_id}", json={**changed, "name": "Hydra glow II"},
                         headers=manager)
    assert renamed.get_json()["version"] == 2 and renamed.get_json()["name"] == "Hydra glow II"
    assert counts() == (1, 2)


def test_get_one_and_list_with_filters_and_pages(client, manager, practitioner, stock):
    first = client.post("/api/v1/cocktails", json=body(stock), headers=manager).get_json()
    client.post("/api/v1/cocktails", json=body(stock, name="Numb bright", goals=["brightening"], components=[
        {"product_id": stock["vit"].id, "amount": 2}, {"product_id": stock["lido"].id, "amount": 0.5}]),
        headers=manager)
    one = client.get(f"/api/v1/cocktails/{first['id']}", headers=practitioner)
    assert one.status_code == 200 and one.get_json() == first
    listed = client.get("/api/v1/cocktails", headers=practitioner).get_json()
    assert listed["total"] == 2 and [i["name"] for i in listed["items"]] == ["Hydra glow", "Numb bright"]
    by_goal = client.get("/api/v1/cocktails?goal=Brightening", headers=practitioner).get_json()
    assert [i["name"] for i in by_goal["items"]] == ["Numb bright"]
    by_substance = client.get("/api/v1/cocktails?substance=XYLOCAINE", headers=practitioner).get_json()
    assert [i["name"] for i in by_substance["items"]] == ["Numb bright"]
    excipient = client.get("/api/v1/cocktails?substance=sodium bicarbonate", headers=practitioner).get_json()
    assert excipient["total"] == 2
    paged = client.get("/api/v1/cocktails?per_page=1&page=2", headers=practitioner).get_json()
    assert paged["total"] == 2 and [i["name"] for i in paged["items"]] == ["Numb bright"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [("goal=unicorns", "goal", "Unknown treatment goal 'unicorns'."),
     ("substance=unobtainium", "substance", "Unknown substance 'unobtainium'."),
     ("page=0", "page", None), ("retired=maybe", "retired", None)],
)
def test_bad_list_filters_are_422_naming_the_field(client, practitioner, stock, query, field, message):
    response = client.get(f"/api/v1/cocktails?{query}", headers=practitioner)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert errors[0]["field"] == field
    if message:
        assert errors[0]["message"] == message


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"components": []}, "components", "A cocktail needs at least one component."),
        ({"components": [{"product_id": "HA", "amount": 0}]}, "components.0.product_id", None),
        ("zero", "components.0.amount", "must be more than zero (got 0)"),
        ("negative", "components.0.amount", "must be more than zero (got -1)"),
        ("twice", "components.1.product", "HA 1% 2 mL is listed twice"),
        ({"components": [{"product_id": 999999, "amount": 1}]}, "components.0.product", "unknown product 999999"),
        ("retired", "components.0.product", "Old serum is retired and cannot go into a cocktail."),
        ({"components": [{"product_id": 1, "amount": "lots"}]}, "components.0.amount", None),
        ({"components": [{"product_id": 1, "amount": 1.0001}]}, "components.0.amount", "at most 3 decimal places"),
        ({"goals": []}, "goals", "Choose at least one treatment goal."),
        ({"goals": ["unicorns"]}, "goals", "Unknown treatment goal 'unicorns'."),
        ({"name": ""}, "name", "Give the cocktail a name."),
        ({"name": None}, "name", None),
        ({"series_sessions": 0}, "series_sessions", None),
        ({"notes": "x" * 5001}, "notes", "Longer than 5000 characters."),
    ],
)
def test_invalid_recipes_are_422_naming_each_field_and_nothing_is_saved(
    client, manager, stock, make_product, change, field, message
):
    old = make_product("Old serum")
    retire_product(old, True, actor=None)
    db.session.commit()
    ha = stock["ha"].id
    named = {
        "zero": {"components": [{"product_id": ha, "amount": 0}]},
        "negative": {"components": [{"product_id": ha, "amount": -1}]},
        "twice": {"components": [{"product_id": ha, "amount": 1}, {"product_id": ha, "amount": 2}]},
        "retired": {"components": [{"product_id": old.id, "amount": 1}]},
    }
    response = client.post("/api/v1/cocktails", json=body(stock, **(named[change] if isinstance(change, str) else change)), headers=manager)
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]
    assert any(e["field"] == field and (message is None or message in e["message"]) for e in errors), errors
    assert counts() == (0, 0)


def test_a_duplicate_name_is_409_and_nothing_is_saved(client, manager, stock):
    client.post("/api/v1/cocktails", json=body(stock), headers=manager)
    response = client.post("/api/v1/cocktails", json=body(stock), headers=manager)
    assert response.status_code == 409
    answer = response.get_json()
    assert answer["errors"] == [{"field": "name", "message": "A cocktail named 'Hydra glow' already exists."}]
    assert "was not saved" in answer["message"]
    other = client.post("/api/v1/cocktails", json=body(stock, name="Other"), headers=manager).get_json()
    renamed = client.put(f"/api/v1/cocktails/{other['id']}", json=body(stock), headers=manager)
    assert renamed.status_code == 409
    assert counts() == (2, 2)


def test_a_retired_cocktail_cannot_be_changed(client, manager, stock):
    from formulary.cocktails.recipes import set_retired

    cocktail_id = client.post("/api/v1/cocktails", json=body(stock), headers=manager).get_json()["id"]
    set_retired(db.session.get(Cocktail, cocktail_id), True, actor=None)
    db.session.commit()
    response = client.put(f"/api/v1/cocktails/{cocktail_id}",
                          json=body(stock, components=[{"product_id": stock["ha"].id, "amount": 3}]), headers=manager)
    assert response.status_code == 409 and "retired" in response.get_json()["message"]
    assert client.get(f"/api/v1/cocktails/{cocktail_id}", headers=manager).get_json()["retired"] is True
    assert counts() == (1, 1)


def test_availability(client, manager, practitioner, stock):
    cocktail_id = client.post("/api/v1/cocktails", json=body(stock), headers=manager).get_json()["id"]
    response = client.get(f"/api/v1/cocktails/{cocktail_id}/availability", headers=practitioner)
    assert response.status_code == 200
    # 10 mL of each in 2 mL single-use vials: 5 sessions of HA (1 mL), 5 of vitamin C (1.5 mL, one vial each).
    assert response.get_json() == {
        "date": date.today().isoformat(), "version": 1, "sessions_possible": 5, "capped": False,
        "limiting_product_id": stock["ha"].id, "limiting_product": "HA 1% 2 mL",
    }
    later = (date.today() + timedelta(days=400)).isoformat()  # the lots expire after a year
    answer = client.get(f"/api/v1/cocktails/{cocktail_id}/availability?date={later}&sessions=2&interval_days=7",
                        headers=practitioner).get_json()
    assert answer["sessions_possible"] == 0 and answer["date"] == later
    assert [s["covered"] for s in answer["series"]] == [False, False]
    assert "not enough HA 1% 2 mL in date" in answer["series"][0]["problem"]


@pytest.mark.parametrize("query", ["date=2027-02-30", "date=tomorrow", "sessions=2", "sessions=0&interval_days=7"])
def test_bad_availability_queries_are_422(client, manager, stock, query):
    cocktail_id = client.post("/api/v1/cocktails", json=body(stock), headers=manager).get_json()["id"]
    response = client.get(f"/api/v1/cocktails/{cocktail_id}/availability?{query}", headers=manager)
    assert response.status_code == 422 and response.get_json()["errors"]


@pytest.mark.parametrize("path", ["/api/v1/cocktails/999999", "/api/v1/cocktails/999999/availability"])
def test_unknown_ids_are_404(client, manager, path):
    response = client.get(path, headers=manager)
    assert response.status_code == 404
    assert response.get_json()["message"] == "There is no cocktail with id 999999."


def test_unknown_id_on_put_is_404(client, manager, stock):
    assert client.put("/api/v1/cocktails/999999", json=body(stock), headers=manager).status_code == 404


def test_tokens_and_roles(client, practitioner, stock):
    assert client.get("/api/v1/cocktails").status_code == 401
    assert client.post("/api/v1/cocktails", json=body(stock)).status_code == 401
    refused = client.post("/api/v1/cocktails", json=body(stock), headers=practitioner)
    assert refused.status_code == 403 and "may not edit cocktails" in refused.get_json()["message"]
    assert client.get("/api/v1/cocktails", headers=practitioner).status_code == 200
    assert counts() == (0, 0)


def test_openapi_documents_every_cocktail_endpoint(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert set(paths["/api/v1/cocktails"]) >= {"get", "post"}
    assert set(paths["/api/v1/cocktails/{cocktail_id}"]) >= {"get", "put"}
    assert "get" in paths["/api/v1/cocktails/{cocktail_id}/availability"]
    post = paths["/api/v1/cocktails"]["post"]
    assert {"201", "401", "403", "409", "422"} <= set(post["responses"])
    assert {"200", "404", "409", "422"} <= set(paths["/api/v1/cocktails/{cocktail_id}"]["put"]["responses"])
    availability = paths["/api/v1/cocktails/{cocktail_id}/availability"]["get"]
    assert {p["name"] for p in availability["parameters"]} >= {"date", "sessions", "interval_days"}
    schema = spec["components"]["schemas"]["Availability"]
    assert {"sessions_possible", "limiting_product_id", "capped", "date"} <= set(schema["properties"])
