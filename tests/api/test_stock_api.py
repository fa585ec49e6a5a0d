"""The stock API: receiving lots (typed or scanned), FEFO lists, movements, status and recalls."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from formulary.extensions import db
from formulary.stock.models import Lot, StockMovement

GTIN = "09506000134352"
TODAY = date.today()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def lot_count():
    return db.session.scalar(select(func.count(Lot.id)))


def movement_count():
    return db.session.scalar(select(func.count(StockMovement.id)))


@pytest.fixture
def manager(api_token):
    return bearer(api_token("manager")[1])


@pytest.fixture
def practitioner(api_token):
    return bearer(api_token("practitioner")[1])


@pytest.fixture
def serum(make_product):
    product = make_product("Hyaluronic serum 2 mL", gtin=GTIN)
    db.session.commit()
    return product


@pytest.fixture
def lot(serum, make_lot):
    lot = make_lot(serum, quantity="10", lot_number="A100", unit_cost="3.25", supplier="MesoSupply")
    db.session.commit()
    return lot


def receive(client, headers, **body):
    return client.post("/api/v1/lots", json=body, headers=headers)


# --- receiving ----------------------------------------------------------------------------------

def test_post_lot_by_product_id_with_a_month_expiry(client, manager, serum):
    response = receive(client, manager, product_id=serum.id, lot_number="B7", expiry="2031-02", quantity=5,
                       received_on="2026-01-10", supplier="MesoSupply", unit_cost=12.5)
    assert response.status_code == 201
    body = response.get_json()
    assert body == {
        "id": body["id"], "product_id": serum.id, "product": "Hyaluronic serum 2 mL", "unit": "mL",
        "lot_number": "B7", "expiry": "2031-02-28", "received_on": "2026-01-10", "on_hand": 5,
        "status": "available", "expired": False, "supplier": "MesoSupply", "unit_cost": 12.5,
        "currency": "EUR", "counted_at": None,
    }
    lot = db.session.get(Lot, body["id"])
    assert lot.on_hand == Decimal("5") and [m.kind for m in lot.movements] == ["receive"]


def test_post_lot_by_gtin_received_today_by_default(client, manager, serum):
    response = receive(client, manager, gtin="9506000134352", lot_number="G1", expiry="2031-06-30",
                       quantity=2.5)
    assert response.status_code == 201
    body = response.get_json()
    assert body["product_id"] == serum.id and body["received_on"] == TODAY.isoformat()
    assert body["on_hand"] == 2.5 and body["unit_cost"] is None


@pytest.mark.parametrize(
    "scan",
    ["(01)09506000134352(17)310300(10)SC-42(21)XYZ",  # day 00: the month's last day
     "]d2010950600013435217310331" + "10SC-42\x1d21XYZ"],
)
def test_post_lot_by_scan_fills_product_lot_and_expiry(client, manager, serum, scan):
    response = receive(client, manager, scan=scan, quantity=3)
    assert response.status_code == 201
    body = response.get_json()
    assert (body["product_id"], body["lot_number"], body["expiry"]) == (serum.id, "SC-42", "2031-03-31")
    movement = db.session.get(Lot, body["id"]).movements[0]
    assert movement.reason == "received; serial XYZ"


def test_scan_without_a_lot_takes_it_from_the_body(client, manager, serum):
    response = receive(client, manager, scan="0109506000134352", lot_number="TYPED", expiry="2031-01", quantity=1)
    assert response.status_code == 201
    assert response.get_json()["lot_number"] == "TYPED"


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"scan": "hello world"}, "scan", "is not a GS1 barcode"),
        ({"scan": "(01)09506000134353(10)X"}, "scan", "fails its check digit"),
        ({"scan": "(01)04006381333931(17)310331(10)X"}, "scan", "No product in the catalogue has GTIN 04006381333931"),
        ({"scan": "(01)09506000134352(17)311340(10)X"}, "scan", "invalid expiry date"),
        ({"scan": "(01)09506000134352(17)310331(10)X", "lot_number": "Y"}, "lot_number", "The scan says lot X"),
        ({"product_id": 1, "lot_number": "L", "expiry": "2031-01", "quantity": 0}, "quantity", "more than zero"),
        ({"product_id": 1, "lot_number": "L", "expiry": "2031-01", "quantity": -4}, "quantity", "more than zero"),
        ({"product_id": 1, "lot_number": "L", "expiry": "2025-12-31", "received_on": "2026-01-10"}, "expiry",
         "Expiry 2025-12-31 is before the receipt date 2026-01-10"),
        ({"product_id": 1, "lot_number": "L", "expiry": "2031-02-30"}, "expiry", "Not a valid expiry"),
        ({"product_id": 1, "lot_number": "L", "expiry": "31/01/2031"}, "expiry", "YYYY-MM-DD"),
        ({"product_id": 1, "lot_number": "L", "expiry": "2031-01", "received_on": "2026-1-5"}, "received_on",
         "Not a valid date"),
        ({"product_id": 1, "lot_number": "", "expiry": "2031-01"}, "lot_number", "A lot number is required"),
        ({"product_id": 1, "lot_number": "L" * 41, "expiry": "2031-01"}, "lot_number", "longer than 40"),
        ({"product_id": 1, "lot_number": "L"}, "expiry", "An expiry is required"),
        ({"lot_number": "L", "expiry": "2031-01"}, "product_id", "give product_id, gtin or scan"),
        ({"product_id": 424242, "lot_number": "L", "expiry": "2031-01"}, "product_id", "no product with id 424242"),
        ({"product_id": "1", "lot_number": "L", "expiry": "2031-01"}, "product_id", "Not a valid integer"),
        ({"product_id": 2**31, "lot_number": "L", "expiry": "2031-01"}, "product_id", "less than or equal to"),
        ({"gtin": "12345", "lot_number": "L", "expiry": "2031-01"}, "gtin", "not 8, 12, 13 or 14 digits"),
        ({"gtin": "4006381333931", "lot_number": "L", "expiry": "2031-01"}, "gtin", "No product in the catalogue"),
        ({"product_id": 1, "lot_number": "L", "expiry": "2031-01", "quantity": "NaN"}, "quantity", "nan"),
        ({"product_id": 1, "lot_number": "L", "expiry": "2031-01", "quantity": 10**30}, "quantity", "largest"),
        ({"product_id": 1, "lot_number": "L", "expiry": "2031-01", "unit_cost": -1}, "unit_cost", "negative"),
        ({"product_id": 1, "lot_number": "L", "expiry": "2031-01", "supplier": "\x00"}, "supplier", "stored"),
    ],
)
def test_post_lot_refuses_bad_input_with_422_naming_the_field(client, manager, serum, body, field, words):
    body = {"quantity": 5, **body}
    if body.get("product_id") == 1:
        body["product_id"] = serum.id
    response = client.post("/api/v1/lots", json=body, headers=manager)
    assert response.status_code == 422, response.get_json()
    errors = {error["field"]: error["message"] for error in response.get_json()["errors"]}
    assert words.lower() in errors[field].lower()
    assert lot_count() == 0 and movement_count() == 0


def test_post_lot_naming_two_different_products_is_refused(client, manager, serum, make_product):
    other = make_product("Vitamin C 5 mL", category="vitamin", composition=[("ascorbic acid", "active")])
    db.session.commit()
    response = receive(client, manager, scan="(01)09506000134352(17)310331(10)X", product_id=other.id, quantity=1)
    assert response.status_code == 422
    assert response.get_json()["errors"] == [{
        "field": "scan",
        "message": "The product is named twice, differently: scan names Hyaluronic serum 2 mL "
                   "and product_id names Vitamin C 5 mL.",
    }]
    assert lot_count() == 0


def test_post_lot_for_a_retired_product_names_the_product(client, manager, serum):
    from formulary.catalogue.products import set_retired

    set_retired(serum, True, actor=None)
    db.session.commit()
    response = receive(client, manager, gtin=GTIN, lot_number="R1", expiry="2031-01", quantity=1)
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"field": "gtin", "message": "Hyaluronic serum 2 mL is retired; stock cannot be received for it."}
    ]


def test_duplicate_lot_is_409_and_writes_nothing(client, manager, lot):
    response = receive(client, manager, product_id=lot.product_id, lot_number="A100", expiry="2031-01",
                       quantity=1)
    assert response.status_code == 409
    body = response.get_json()
    assert body["message"].startswith("Hyaluronic serum 2 mL already has a lot A100")
    assert body["errors"][0]["field"] == "lot_number"
    assert lot_count() == 1 and movement_count() == 1


# --- listing ------------------------------------------------------------------------------------

def test_get_lots_in_fefo_order_with_filters(client, manager, serum, make_product, make_lot):
    other = make_product("Vitamin C 5 mL", category="vitamin", composition=[("ascorbic acid", "active")])
    late = make_lot(serum, lot_number="LATE", expiry=TODAY + timedelta(days=200))
    second = make_lot(serum, lot_number="SECOND", expiry=TODAY + timedelta(days=20), received_on=date(2026, 2, 1))
    first = make_lot(serum, lot_number="FIRST", expiry=TODAY + timedelta(days=20), received_on=date(2026, 1, 1))
    old = make_lot(serum, lot_number="OLD", expiry=TODAY - timedelta(days=1), received_on=date(2020, 1, 1))
    vitamin = make_lot(other, lot_number="VIT", expiry=TODAY + timedelta(days=60), status="quarantined")
    db.session.commit()

    body = client.get("/api/v1/lots", headers=manager).get_json()
    assert [item["lot_number"] for item in body["items"]] == ["OLD", "FIRST", "SECOND", "VIT", "LATE"]
    assert body["total"] == 5
    assert body["items"][0]["expired"] is True and body["items"][1]["expired"] is False
    assert body["items"][0]["on_hand"] == 10 and body["items"][0]["received_on"] == "2020-01-01"

    def numbers(query):
        answer = client.get(f"/api/v1/lots?{query}", headers=manager)
        assert answer.status_code == 200, answer.get_json()
        return [item["id"] for item in answer.get_json()["items"]]

    assert numbers(f"product_id={serum.id}") == [old.id, first.id, second.id, late.id]
    assert numbers("status=quarantined") == [vitamin.id]
    assert numbers("expiring_within_days=30") == [first.id, second.id]
    assert numbers("expiring_within_days=60&status=available") == [first.id, second.id]
    assert numbers("per_page=2&page=2") == [second.id, vitamin.id]


def test_get_lots_in_stock_leaves_out_empty_lots(client, manager, lot, make_lot, serum):
    from formulary.stock.ledger import waste

    empty = make_lot(serum, lot_number="EMPTY", quantity="1")
    waste(empty, Decimal(1), actor=None, reason="broken")
    db.session.commit()
    assert client.get("/api/v1/lots", headers=manager).get_json()["total"] == 2
    body = client.get("/api/v1/lots?in_stock=true", headers=manager).get_json()
    assert [item["lot_number"] for item in body["items"]] == ["A100"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("status=expired", "status"), ("product_id=abc", "product_id"), ("expiring_within_days=-1",
     "expiring_within_days"), ("expiring_within_days=99999999999", "expiring_within_days")],
)
def test_get_lots_refuses_bad_filters(client, manager, query, field):
    response = client.get(f"/api/v1/lots?{query}", headers=manager)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == field


# --- movements ----------------------------------------------------------------------------------

def test_waste_return_and_adjust_are_movements(client, manager, lot):
    url = f"/api/v1/lots/{lot.id}/movements"
    wasted = client.post(url, json={"kind": "waste", "quantity": 1.5, "reason": "vial broke"}, headers=manager)
    assert wasted.status_code == 201
    body = wasted.get_json()
    assert body == {"id": body["id"], "lot_id": lot.id, "kind": "waste", "quantity": -1.5, "on_hand_after": 8.5,
                    "reason": "vial broke", "at": body["at"]}
    assert body["at"].startswith(TODAY.isoformat()[:4])
    returned = client.post(url, json={"kind": "return", "quantity": 0.5, "reason": "damaged box"}, headers=manager)
    assert returned.get_json()["on_hand_after"] == 8
    counted = client.post(url, json={"kind": "adjust", "quantity": 9, "reason": "stocktake"}, headers=manager)
    assert counted.status_code == 201
    assert counted.get_json()["quantity"] == 1 and counted.get_json()["on_hand_after"] == 9
    lot_answer = client.get(f"/api/v1/lots/{lot.id}", headers=manager).get_json()
    assert lot_answer["on_hand"] == 9
    assert [m.kind for m in db.session.get(Lot, lot.id).movements] == ["receive", "waste", "return", "adjust"]


def test_adjust_to_the_same_count_records_nothing(client, manager, lot):
    response = client.post(f"/api/v1/lots/{lot.id}/movements",
                           json={"kind": "adjust", "quantity": 10, "reason": "stocktake"}, headers=manager)
    assert response.status_code == 200
    assert response.get_json()["id"] is None and response.get_json()["on_hand_after"] == 10
    assert movement_count() == 1


@pytest.mark.parametrize("kind", ["waste", "return"])
def test_taking_more_than_on_hand_is_409_and_changes_nothing(client, manager, lot, kind):
    response = client.post(f"/api/v1/lots/{lot.id}/movements",
                           json={"kind": kind, "quantity": 11, "reason": "too much"}, headers=manager)
    assert response.status_code == 409
    assert response.get_json()["message"] == (
        "Not enough stock: 11 mL needed from lot A100 of Hyaluronic serum 2 mL, only 10 mL available."
    )
    assert db.session.get(Lot, lot.id).on_hand == Decimal("10") and movement_count() == 1


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"kind": "administer", "quantity": 1, "reason": "x"}, "kind", "Must be one of"),
        ({"kind": "waste", "quantity": 0, "reason": "x"}, "quantity", "more than zero"),
        ({"kind": "waste", "quantity": 1, "reason": "  "}, "reason", "Give a reason"),
        ({"kind": "waste", "quantity": 1}, "reason", "Missing data"),
        ({"kind": "adjust", "quantity": -1, "reason": "count"}, "quantity", "cannot be negative"),
        ({"kind": "waste", "quantity": "Infinity", "reason": "x"}, "quantity", "infinity"),
        ({"kind": "waste", "quantity": True, "reason": "x"}, "quantity", "Not a valid number"),
    ],
)
def test_bad_movements_are_422_naming_the_field(client, manager, lot, body, field, words):
    response = client.post(f"/api/v1/lots/{lot.id}/movements", json=body, headers=manager)
    assert response.status_code == 422
    errors = {error["field"]: error["message"] for error in response.get_json()["errors"]}
    assert words in errors[field]
    assert movement_count() == 1


@pytest.mark.parametrize("lot_id", ["424242", "2147483648", "99999999999999999999999"])
def test_unknown_lot_is_404(client, manager, lot_id):
    for method, url, body in [
        ("get", f"/api/v1/lots/{lot_id}", None),
        ("post", f"/api/v1/lots/{lot_id}/movements", {"kind": "waste", "quantity": 1, "reason": "x"}),
        ("post", f"/api/v1/lots/{lot_id}/status", {"status": "recalled", "reason": "x"}),
        ("get", f"/api/v1/lots/{lot_id}/recipients", None),
    ]:
        response = getattr(client, method)(url, json=body, headers=manager)
        assert response.status_code == 404, url
        assert response.get_json()["message"] == f"There is no lot with id {lot_id}."


# --- status and recall --------------------------------------------------------------------------

def test_quarantine_and_release_answer_the_lot(client, manager, lot):
    url = f"/api/v1/lots/{lot.id}/status"
    held = client.post(url, json={"status": "quarantined", "reason": "cold chain broken"}, headers=manager)
    assert held.status_code == 200
    assert held.get_json()["status"] == "quarantined" and "recipients" not in held.get_json()
    released = client.post(url, json={"status": "available", "reason": "checked"}, headers=manager)
    assert released.get_json()["status"] == "available"
    kinds = [m.kind for m in db.session.get(Lot, lot.id).movements]
    assert kinds == ["receive", "quarantine", "release"]


def test_recall_answers_the_lot_with_its_recipients_and_cannot_be_undone(client, manager, lot):
    url = f"/api/v1/lots/{lot.id}/status"
    recalled = client.post(url, json={"status": "recalled", "reason": "manufacturer notice 12"}, headers=manager)
    assert recalled.status_code == 200
    body = recalled.get_json()
    assert body["status"] == "recalled" and body["id"] == lot.id and body["lot_number"] == "A100"
    assert body["recipients"] == {"sessions": [], "patients": []}
    assert client.get(f"/api/v1/lots/{lot.id}/recipients", headers=manager).get_json() == body["recipients"]
    undone = client.post(url, json={"status": "available", "reason": "oops"}, headers=manager)
    assert undone.status_code == 409
    assert undone.get_json()["message"] == "Lot A100 is recalled; a recall cannot be undone."
    assert db.session.get(Lot, lot.id).status == "recalled"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"status": "expired", "reason": "x"}, "status"), ({"status": "recalled", "reason": ""}, "reason"),
     ({"status": "recalled"}, "reason"), ({"status": ["recalled"], "reason": "x"}, "status")],
)
def test_bad_status_changes_are_422(client, manager, lot, body, field):
    response = client.post(f"/api/v1/lots/{lot.id}/status", json=body, headers=manager)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == field
    assert db.session.get(Lot, lot.id).status == "available"


# --- who may ------------------------------------------------------------------------------------

def test_practitioner_reads_stock_but_may_not_change_it(client, practitioner, lot):
    assert client.get("/api/v1/lots", headers=practitioner).status_code == 200
    assert client.get(f"/api/v1/lots/{lot.id}/recipients", headers=practitioner).status_code == 200
    for url, body in [
        ("/api/v1/lots", {"product_id": lot.product_id, "lot_number": "P1", "expiry": "2031-01", "quantity": 1}),
        (f"/api/v1/lots/{lot.id}/movements", {"kind": "waste", "quantity": 1, "reason": "x"}),
        (f"/api/v1/lots/{lot.id}/status", {"status": "recalled", "reason": "x"}),
    ]:
        response = client.post(url, json=body, headers=practitioner)
        assert response.status_code == 403, url
        assert "may not change stock" in response.get_json()["message"]
    assert lot_count() == 1 and movement_count() == 1 and db.session.get(Lot, lot.id).status == "available"


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", "/api/v1/lots"), ("post", "/api/v1/lots"), ("get", "/api/v1/lots/1"),
     ("post", "/api/v1/lots/1/movements"), ("post", "/api/v1/lots/1/status"), ("get", "/api/v1/lots/1/recipients")],
)
def test_no_token_is_401(client, method, url):
    assert getattr(client, method)(url, json={}).status_code == 401


# --- the OpenAPI document -----------------------------------------------------------------------

def test_openapi_documents_every_catalogue_and_stock_endpoint(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    expected = {
        "/api/v1/substances": {"get"}, "/api/v1/allergen-groups": {"get"},
        "/api/v1/products": {"get", "post"}, "/api/v1/products/{product_id}": {"get"},
        "/api/v1/lots": {"get", "post"}, "/api/v1/lots/{lot_id}/movements": {"post"},
        "/api/v1/lots/{lot_id}/status": {"post"}, "/api/v1/lots/{lot_id}/recipients": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(spec["paths"][path]), path
    receive_doc = spec["paths"]["/api/v1/lots"]["post"]
    assert {"201", "401", "403", "409", "422"} <= set(receive_doc["responses"])
    body_schema = spec["components"]["schemas"]["LotIn"]["properties"]
    assert {"product_id", "gtin", "scan", "lot_number", "expiry", "quantity"} <= set(body_schema)
    assert body_schema["quantity"]["type"] == "number"
    lot_schema = spec["components"]["schemas"]["Lot"]["properties"]
    assert lot_schema["on_hand"]["type"] == "number" and lot_schema["expiry"]["format"] == "date"
    params = {p["name"] for p in spec["paths"]["/api/v1/lots"]["get"]["parameters"]}
    assert {"product_id", "status", "expiring_within_days", "page", "per_page"} <= params


# --- never a 5xx ----------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
# One or two fields of a valid receipt changed to something plausible or to any JSON at all.
FIELD_VALUES = {
    "product_id": st.integers(),
    "gtin": st.sampled_from(["09506000134352", "9506000134352", "12345", "4006381333931", ""]) | st.text(),
    "scan": st.sampled_from(["(01)09506000134352(17)310300(10)X1", "(01)09506000134352(17)311399(10)X",
                             "0109506000134352", "]d201095060001343521731033110AB\x1d21S"]) | st.text(),
    "lot_number": st.text(max_size=50),
    "expiry": st.sampled_from(["2031-02", "2031-02-29", "2020-01-01", "9999-12", "0000-01"]) | st.text(),
    "quantity": st.decimals(allow_nan=True, places=4).map(str) | st.floats() | st.integers(),
    "received_on": st.dates().map(date.isoformat) | st.text(),
    "supplier": st.text(max_size=210),
    "unit_cost": st.floats() | st.decimals(allow_nan=True, places=5).map(str),
}
CHANGE = st.sampled_from(sorted(FIELD_VALUES)).flatmap(
    lambda key: (FIELD_VALUES[key] | JSON_VALUES).map(lambda value: (key, value))
)
VALID_RECEIPT = st.fixed_dictionaries({
    "gtin": st.just(GTIN), "lot_number": st.text(min_size=1, max_size=40),
    "expiry": st.sampled_from(["2031-02", "2032-12-31"]),
    "quantity": st.decimals(min_value="0.001", max_value=1000, places=3).map(float),
})
LOT_BODIES = st.builds(
    lambda base, changes, dropped: {k: v for k, v in {**base, **dict(changes)}.items() if k not in dropped},
    VALID_RECEIPT, st.lists(CHANGE, max_size=2), st.sets(st.sampled_from(sorted(FIELD_VALUES)), max_size=1),
) | JSON_VALUES


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=LOT_BODIES)
def test_random_lot_bodies_never_get_a_5xx(client, manager, serum, body):
    response = client.post("/api/v1/lots", data=json.dumps(body), content_type="application/json",
                           headers=manager)
    assert response.status_code in (200, 201, 400, 409, 422), response.get_data(as_text=True)
    if response.status_code not in (200, 201):  # 200: a scan of a lot in stock received more of it
        assert response.get_json()["message"]
