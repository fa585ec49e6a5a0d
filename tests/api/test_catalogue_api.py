"""The catalogue API: substances, allergen groups and products, as API.md describes them."""

import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from formulary.catalogue.models import CrossReaction, Product
from formulary.extensions import db


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def product_count():
    return db.session.scalar(select(func.count(Product.id)))


def product_body(**changes):
    body = {
        "name": "Vitamin C 20% 5 mL", "category": "vitamin", "manufacturer": "Lumen Labs",
        "gtin": "9506000134352", "unit": "mL", "unit_size": 5, "single_use": True,
        "reorder_level": 10, "expiry_margin_days": 7,
        "composition": [
            {"substance": "vitamin C", "role": "active", "strength": "200 mg/mL"},
            {"substance": "benzyl alcohol", "role": "excipient"},
        ],
    }
    return {**body, **changes}


@pytest.fixture
def manager(api_token):
    return bearer(api_token("manager")[1])


@pytest.fixture
def catalogue(make_substance):
    """Two substances with synonyms and groups, as the reference library would give."""
    ascorbic = make_substance("ascorbic acid", synonyms=["Vitamin C", "L-ascorbic acid"], groups=["antioxidants"])
    make_substance("benzyl alcohol", groups=["preservatives"])
    make_substance("cyanocobalamin", synonyms=["vitamin B12"])
    return ascorbic


# --- substances ---------------------------------------------------------------------------------

@pytest.mark.parametrize("q", ["VITAMIN-c", "vitamin c", "Ascórbic", "l ascorbic", "corbic"])
def test_substances_match_name_or_synonym_in_any_case_accent_or_hyphen(client, manager, catalogue, q):
    body = client.get("/api/v1/substances", query_string={"q": q}, headers=manager).get_json()
    assert body["total"] == 1
    assert body["items"] == [{
        "id": catalogue.id, "name": "ascorbic acid", "category": "other",
        "synonyms": ["L-ascorbic acid", "Vitamin C"], "groups": ["antioxidants"],
    }]


def test_substances_list_everything_by_page(client, manager, catalogue):
    first = client.get("/api/v1/substances?per_page=2", headers=manager).get_json()
    second = client.get("/api/v1/substances?per_page=2&page=2", headers=manager).get_json()
    assert first["total"] == second["total"] == 3
    names = [item["name"] for item in first["items"] + second["items"]]
    assert names == ["ascorbic acid", "benzyl alcohol", "cyanocobalamin"]


def test_substance_search_finding_nothing_is_an_empty_list(client, manager, catalogue):
    body = client.get("/api/v1/substances?q=lidocaine", headers=manager).get_json()
    assert body == {"items": [], "total": 0}


@pytest.mark.parametrize("query", ["page=0", "per_page=abc", "per_page=100000", "page=-1"])
def test_bad_paging_is_422_naming_the_field(client, manager, query):
    response = client.get(f"/api/v1/substances?{query}", headers=manager)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == query.split("=")[0]


# --- allergen groups ----------------------------------------------------------------------------

def test_allergen_groups_list_members_and_cross_reactions_both_ways(client, manager, make_substance):
    procaine = make_substance("procaine", groups=["ester anaesthetics"])
    make_substance("methylparaben", groups=["parabens"])
    make_substance("propylparaben", groups=["parabens"])
    ester, parabens = procaine.groups[0], make_substance("methylparaben").groups[0]
    sulfite = make_substance("sodium metabisulfite")
    db.session.add_all([
        CrossReaction(source_group=ester, target_group=parabens, strength="moderate"),
        CrossReaction(source_substance=sulfite, target_group=ester, strength="low", note="rare"),
    ])
    db.session.commit()
    items = {g["name"]: g for g in client.get("/api/v1/allergen-groups", headers=manager).get_json()["items"]}
    assert items["parabens"]["members"] == ["methylparaben", "propylparaben"]
    assert items["parabens"]["cross_reacts_with"] == [
        {"name": "ester anaesthetics", "kind": "group", "strength": "moderate", "note": ""}
    ]
    assert sorted(items["ester anaesthetics"]["cross_reacts_with"], key=lambda r: r["name"]) == [
        {"name": "parabens", "kind": "group", "strength": "moderate", "note": ""},
        {"name": "sodium metabisulfite", "kind": "substance", "strength": "low", "note": "rare"},
    ]


# --- products -----------------------------------------------------------------------------------

def test_post_product_creates_it_with_its_composition(client, manager, catalogue):
    response = client.post("/api/v1/products", json=product_body(), headers=manager)
    assert response.status_code == 201
    body = response.get_json()
    assert body["name"] == "Vitamin C 20% 5 mL" and body["gtin"] == "09506000134352"
    assert body["unit_size"] == 5 and body["reorder_level"] == 10 and body["on_hand"] == 0
    assert body["composition"] == [
        {"substance": "ascorbic acid", "substance_id": catalogue.id, "role": "active", "strength": "200 mg/mL"},
        {"substance": "benzyl alcohol", "substance_id": body["composition"][1]["substance_id"],
         "role": "excipient", "strength": ""},
    ]
    product = db.session.get(Product, body["id"])
    assert product.expiry_margin_days == 7 and product.unit_size == Decimal("5")
    assert client.get(f"/api/v1/products/{product.id}", headers=manager).get_json() == body


def test_post_product_takes_contraindications_and_multi_dose_details(client, manager, catalogue):
    from formulary.catalogue.models import Condition

    db.session.add(Condition(name="Pregnancy", key="pregnancy"))
    db.session.commit()
    body = product_body(single_use=False, opened_shelf_life_days=28, storage="2–8 °C",
                        contraindications=[{"condition": "pregnancy", "severity": "caution"}])
    answer = client.post("/api/v1/products", json=body, headers=manager).get_json()
    assert answer["opened_shelf_life_days"] == 28 and answer["storage"] == "2–8 °C"
    assert answer["contraindications"] == [{"condition": "Pregnancy", "severity": "caution"}]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"composition": [{"substance": "xyz", "role": "active"}]}, "composition.0.substance",
         "Unknown substance 'xyz'"),
        ({"gtin": "9506000134353"}, "gtin", "fails its check digit"),
        ({"composition": []}, "composition", "at least one substance"),
        ({"composition": [{"substance": "vitamin C", "role": "solvent"}]}, "composition.0.role", "'solvent'"),
        ({"category": "potion"}, "category", "Unknown category 'potion'"),
        ({"unit_size": 0}, "unit_size", "more than zero"),
        ({"unit_size": "NaN"}, "unit_size", "nan or infinity"),
        ({"unit_size": 1e300}, "unit_size", "largest value"),
        ({"unit_size": 10**9}, "unit_size", "largest value"),
        ({"reorder_level": 1_000_001}, "reorder_level", "largest value"),
        ({"unit_size": 0.0001}, "unit_size", "decimal places"),
        ({"unit_size": "lots"}, "unit_size", "number"),
        ({"single_use": "perhaps"}, "single_use", "boolean"),
        ({"expiry_margin_days": 1.5}, "expiry_margin_days", "integer"),
        ({"expiry_margin_days": -1}, "expiry_margin_days", "greater than or equal to 0"),
        ({"name": ""}, "name", "name is required"),
        ({"name": "x" * 201}, "name", "Longer than 200"),
        ({"name": "Vita\x00min"}, "name", "cannot be stored"),
        ({"composition": "vitamin C"}, "composition", "Not a valid list"),
        ({"contraindications": [{"condition": "moonlight"}]}, "contraindications.0", "Unknown condition"),
        ({"colour": "blue"}, "colour", "Unknown field"),
    ],
)
def test_post_product_refuses_bad_input_with_422_naming_the_field(client, manager, catalogue, changes, field,
                                                                   words):
    response = client.post("/api/v1/products", json=product_body(**changes), headers=manager)
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"]
    errors = {error["field"]: error["message"] for error in body["errors"]}
    assert words in errors[field]
    assert product_count() == 0


def test_post_product_refuses_a_missing_required_field(client, manager, catalogue):
    body = product_body()
    del body["unit_size"], body["name"]
    response = client.post("/api/v1/products", json=body, headers=manager)
    assert response.status_code == 422
    assert {e["field"] for e in response.get_json()["errors"]} == {"unit_size", "name"}


def test_post_product_refuses_a_duplicate_name(client, manager, catalogue, make_product):
    make_product("Vitamin C 20% 5 mL")
    db.session.commit()
    response = client.post("/api/v1/products", json=product_body(), headers=manager)
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"field": "name", "message": "A product named 'Vitamin C 20% 5 mL' already exists."}
    ]
    assert product_count() == 1


@pytest.mark.parametrize(
    "data",
    ["{not json", '{"name": "x",}', "[1, 2", "\x00", b'{"name": "\xff"}',
     "[" * 100_000 + "]" * 100_000,  # deeper than Python's JSON reader goes
     '{"unit_size": ' + "9" * 5000 + "}"],  # longer than Python turns into an int
    ids=["broken", "trailing-comma", "unclosed", "nul", "not-utf8", "deep", "huge-int"],
)
def test_unparseable_json_is_400(client, manager, data):
    response = client.post("/api/v1/products", data=data, content_type="application/json", headers=manager)
    assert response.status_code == 400
    assert response.get_json()["message"]


@pytest.mark.parametrize("data", ["[]", '"text"', "42", "null", "{}"])
def test_json_that_is_not_a_product_is_422(client, manager, data):
    response = client.post("/api/v1/products", data=data, content_type="application/json", headers=manager)
    assert response.status_code == 422
    assert response.get_json()["errors"]


def test_practitioner_reads_the_catalogue_but_may_not_add_products(client, api_token, catalogue):
    _user, token = api_token("practitioner")
    assert client.get("/api/v1/products", headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/substances", headers=bearer(token)).status_code == 200
    response = client.post("/api/v1/products", json=product_body(), headers=bearer(token))
    assert response.status_code == 403
    assert "may not edit the catalogue" in response.get_json()["message"]
    # The role is refused before its input is read: a broken body is still a 403.
    assert client.post("/api/v1/products", json={}, headers=bearer(token)).status_code == 403
    assert product_count() == 0


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", "/api/v1/substances"), ("get", "/api/v1/allergen-groups"), ("get", "/api/v1/products"),
     ("get", "/api/v1/products/1"), ("post", "/api/v1/products")],
)
def test_no_token_is_401(client, method, url):
    response = getattr(client, method)(url, json={})
    assert response.status_code == 401
    assert response.get_json()["message"].startswith("A valid API token is required")


def test_product_list_and_detail_show_composition_and_on_hand(client, manager, make_product, make_lot):
    serum = make_product("Hyaluronic serum 2 mL", manufacturer="Aqua", reorder_level="4")
    make_product("Glutathione 600 mg", category="antioxidant", composition=[("glutathione", "active")])
    make_lot(serum, quantity="10")
    make_lot(serum, quantity="2.5", status="quarantined")
    db.session.commit()
    listed = client.get("/api/v1/products", headers=manager).get_json()
    assert listed["total"] == 2
    assert [p["name"] for p in listed["items"]] == ["Glutathione 600 mg", "Hyaluronic serum 2 mL"]
    assert [p["on_hand"] for p in listed["items"]] == [0, 12.5]
    detail = client.get(f"/api/v1/products/{serum.id}", headers=manager).get_json()
    assert detail["on_hand"] == 12.5 and detail["reorder_level"] == 4
    assert detail["composition"][0]["substance"] == "sodium hyaluronate"
    assert detail == listed["items"][1]


def test_product_list_filters_by_search_and_category(client, manager, make_product):
    make_product("Hyaluronic serum 2 mL", manufacturer="Aqua")
    make_product("Glutathione 600 mg", category="antioxidant", composition=[("glutathione", "active")])
    db.session.commit()
    search = client.get("/api/v1/products?q=AQUA", headers=manager).get_json()
    assert [p["name"] for p in search["items"]] == ["Hyaluronic serum 2 mL"]
    category = client.get("/api/v1/products?category=antioxidant", headers=manager).get_json()
    assert [p["name"] for p in category["items"]] == ["Glutathione 600 mg"]
    response = client.get("/api/v1/products?category=potion", headers=manager)
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "category"


@pytest.mark.parametrize("product_id", ["999999", "2147483648", "99999999999999999999999999"])
def test_unknown_product_is_404(client, manager, product_id):
    response = client.get(f"/api/v1/products/{product_id}", headers=manager)
    assert response.status_code == 404
    assert response.get_json()["message"] == f"There is no product with id {product_id}."


# --- never a 5xx ----------------------------------------------------------------------------------

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
JSON_VALUES = st.recursive(
    JSON_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
COMPONENT = st.fixed_dictionaries(
    {"substance": st.sampled_from(["vitamin C", "Benzyl-Alcohol", "cyanocobalamin", "xyz", ""]) | st.text()},
    optional={"role": st.sampled_from(["active", "excipient"]) | JSON_VALUES, "strength": st.text() | JSON_VALUES},
)
# One or two fields of a valid body changed to something plausible or to any JSON at all.
FIELD_VALUES = {
    "name": st.text(max_size=210), "category": st.sampled_from(["vitamin", "antioxidant", "potion"]),
    "gtin": st.sampled_from(["4006381333931", "12345", None]) | st.text(max_size=20),
    "unit": st.text(max_size=25), "unit_size": st.decimals(allow_nan=True, places=4).map(str) | st.floats(),
    "single_use": st.booleans() | st.text(max_size=5), "reorder_level": st.floats() | st.integers(),
    "expiry_margin_days": st.integers(), "opened_shelf_life_days": st.integers() | st.floats(),
    "storage": st.text(max_size=210), "notes": st.text(), "composition": st.lists(COMPONENT | JSON_VALUES, max_size=3),
    "contraindications": st.lists(st.fixed_dictionaries({"condition": st.text(max_size=20)},
                                                        optional={"severity": st.text(max_size=8)}), max_size=2),
}
CHANGE = st.sampled_from(sorted(FIELD_VALUES)).flatmap(
    lambda key: (FIELD_VALUES[key] | JSON_VALUES).map(lambda value: (key, value))
)
PRODUCT_BODIES = st.builds(
    lambda name, changes, dropped: {key: value for key, value in
                                    {**product_body(name=name, gtin=None), **dict(changes)}.items()
                                    if key not in dropped},
    st.text(min_size=1, max_size=40),
    st.lists(CHANGE, max_size=2),
    st.sets(st.sampled_from(sorted(FIELD_VALUES)), max_size=1),
) | JSON_VALUES


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=PRODUCT_BODIES)
def test_random_product_bodies_never_get_a_5xx(client, manager, catalogue, body):
    response = client.post("/api/v1/products", data=json.dumps(body), content_type="application/json",
                           headers=manager)
    assert response.status_code in (201, 400, 422), response.get_data(as_text=True)
    if response.status_code != 201:
        assert response.get_json()["message"]
