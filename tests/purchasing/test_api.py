"""The purchasing API: suppliers, the suggested order, drafting and reading orders, and bad input."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from formulary.extensions import db
from formulary.purchasing.models import PurchaseOrder

TODAY = date.today()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def manager(api_token):
    return bearer(api_token("manager")[1])


@pytest.fixture
def practitioner(api_token):
    return bearer(api_token("practitioner")[1])


def test_add_and_list_suppliers(client, manager):
    response = client.post("/api/v1/suppliers", json={"name": "Mesolab", "lead_time_days": 10,
                                                      "email": "orders@mesolab.example", "phone": "+34 600 000"},
                           headers=manager)
    assert response.status_code == 201, response.json
    supplier = response.json
    assert (supplier["name"], supplier["lead_time_days"], supplier["email"]) == ("Mesolab", 10,
                                                                                 "orders@mesolab.example")
    listed = client.get("/api/v1/suppliers", headers=manager).json
    assert listed["total"] == 1 and listed["items"][0]["id"] == supplier["id"]
    assert client.get(f"/api/v1/suppliers/{supplier['id']}", headers=manager).json["name"] == "Mesolab"


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"name": "Mesolab", "lead_time_days": -3}, "lead_time_days", "lead time cannot be negative (got -3 days)"),
    ({"name": " ", "lead_time_days": 3}, "name", ""),
    ({"name": "Mesolab", "lead_time_days": 3, "email": "not-an-address"}, "email", "is not an e-mail address"),
    ({"name": "Mesolab"}, "lead_time_days", ""),
])
def test_a_bad_supplier_is_refused_naming_the_field(client, manager, body, field, words):
    response = client.post("/api/v1/suppliers", json=body, headers=manager)
    assert response.status_code == 422
    assert field in str(response.json)
    assert words in response.json.get("message", "") + str(response.json)
    assert client.get("/api/v1/suppliers", headers=manager).json["total"] == 0


def test_a_practitioner_may_not_add_a_supplier(client, practitioner):
    response = client.post("/api/v1/suppliers", json={"name": "X", "lead_time_days": 1}, headers=practitioner)
    assert response.status_code == 403


def product_body(**changes):
    return {"name": "Vitamin C 5 mL", "category": "vitamin", "unit": "mL", "unit_size": 5, "single_use": False,
            "composition": [{"substance": "ascorbic acid", "role": "active"}], **changes}


def test_products_gain_supplier_and_pack_size(client, manager, make_supplier, make_substance):
    make_substance("ascorbic acid")
    supplier = make_supplier()
    response = client.post("/api/v1/products", json=product_body(supplier_id=supplier.id, pack_size=25,
                                                                 minimum_order_packs=2), headers=manager)
    assert response.status_code == 201, response.json
    product = client.get(f"/api/v1/products/{response.json['id']}", headers=manager).json
    assert (product["supplier_id"], product["pack_size"], product["minimum_order_packs"]) == (supplier.id, 25, 2)


@pytest.mark.parametrize("pack_size", [0, -5])
def test_a_pack_size_of_zero_or_less_is_refused_naming_the_field(client, manager, make_substance, pack_size):
    make_substance("ascorbic acid")
    response = client.post("/api/v1/products", json=product_body(pack_size=pack_size), headers=manager)
    assert response.status_code == 422
    assert {"field": "pack_size", "message": f"Pack size must be more than zero (got {pack_size})."} in \
        response.json["errors"]


def test_the_suggested_order_of_a_supplier(client, manager, make_supplier, make_product, make_lot,
                                           make_cocktail, book):
    supplier = make_supplier(lead_time_days=7)
    vial = make_product("Vitamin C 5 mL", single_use=False, unit_size="5", supplier_id=supplier.id, pack_size="5")
    make_lot(vial, quantity="1")
    cocktail = make_cocktail("Glow", [(vial, "3")])
    book(cocktail, TODAY + timedelta(days=3))
    db.session.commit()
    answer = client.get(f"/api/v1/orders/suggested?supplier_id={supplier.id}&horizon_days=10", headers=manager)
    assert answer.status_code == 200, answer.json
    [item] = answer.json["items"]
    assert {key: item[key] for key in ("product_id", "on_hand_usable", "needed", "suggested_packs",
                                       "suggested_quantity")} == {
        "product_id": vial.id, "on_hand_usable": 1, "needed": 3, "suggested_packs": 1, "suggested_quantity": 5}
    assert "1 booked session needs 3 mL" in item["reason"]


@pytest.mark.parametrize(("query", "status"), [("supplier_id=999999", 404), ("horizon_days=0", 422),
                                               ("horizon_days=lots", 422)])
def test_the_suggested_order_refuses_bad_queries(client, manager, query, status):
    assert client.get(f"/api/v1/orders/suggested?{query}", headers=manager).status_code == status


def test_draft_and_read_an_order(client, manager, make_supplier, make_product):
    supplier = make_supplier()
    vial = make_product("HA 2 mL", supplier_id=supplier.id, pack_size="20")
    db.session.commit()
    response = client.post("/api/v1/orders", json={"supplier_id": supplier.id,
                                                   "lines": [{"product_id": vial.id, "packs": 3}]}, headers=manager)
    assert response.status_code == 201, response.json
    order = client.get(f"/api/v1/orders/{response.json['id']}", headers=manager).json
    assert order["status"] == "draft" and order["supplier_id"] == supplier.id
    [line] = order["lines"]
    assert (line["product_id"], line["packs"], line["quantity"], line["received"], line["short"]) == \
        (vial.id, 3, 60, 0, 60)


def test_an_order_line_of_zero_packs_is_refused_naming_the_line(client, manager, make_supplier, make_product):
    supplier = make_supplier()
    first, second = make_product("HA 2 mL"), make_product("Vitamin B 2 mL")
    db.session.commit()
    response = client.post("/api/v1/orders", json={"supplier_id": supplier.id, "lines": [
        {"product_id": first.id, "packs": 2}, {"product_id": second.id, "packs": 0}]}, headers=manager)
    assert response.status_code == 422
    assert response.json["errors"] == [{"field": "lines.1.packs", "message":
                                        "Line 2 (Vitamin B 2 mL): an order line needs at least one pack (got 0); "
                                        "remove the line instead."}]
    assert db.session.scalar(select(func.count(PurchaseOrder.id))) == 0  # nothing half-written


@pytest.mark.parametrize(("body", "field"), [
    ({"supplier_id": 999999, "lines": [{"product_id": 1, "packs": 1}]}, "supplier_id"),
    ({"lines": []}, "supplier_id"),
])
def test_an_order_to_an_unknown_supplier_is_refused(client, manager, body, field):
    response = client.post("/api/v1/orders", json=body, headers=manager)
    assert response.status_code == 422 and field in str(response.json)


def test_an_unknown_order_is_404(client, manager):
    assert client.get("/api/v1/orders/4242", headers=manager).status_code == 404


@pytest.mark.parametrize("product_id", [-5, 0, 2**63, 10**30])
def test_an_impossible_product_id_is_refused_naming_the_line(client, manager, make_supplier, product_id):
    supplier = make_supplier()
    db.session.commit()
    response = client.post("/api/v1/orders", json={"supplier_id": supplier.id,
                                                   "lines": [{"product_id": product_id, "packs": 1}]}, headers=manager)
    assert response.status_code == 422
    assert response.json["errors"] == [{"field": "lines.0.product_id",
                                        "message": f"Line 1: no product with id {product_id!r}."}]
