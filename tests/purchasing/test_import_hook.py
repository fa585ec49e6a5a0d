"""A delivery import naming its order: the lots it brings are booked against the order's lines."""

import io
from datetime import date, timedelta

import pytest

from formulary.extensions import db
from formulary.purchasing.orders import LineData, create_order, mark_sent
from formulary.stock.models import StockImport
from tests.spreadsheets.workbooks import xlsx

EXPIRY = date.today() + timedelta(days=400)
HEADER = ["Product", "GTIN", "Lot", "Expiry", "Qty", "Unit cost", "Supplier", "Received"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def manager(api_token):
    return bearer(api_token("manager")[1])


@pytest.fixture
def order(make_supplier, make_product):
    supplier = make_supplier("Mesolab")
    serum, vitamin = make_product("Hyaluronic serum 2 mL"), make_product("Vitamin B 2 mL")
    make_product("Saline 10 mL")
    draft = create_order(supplier, [LineData(serum.id, 2), LineData(vitamin.id, 1)], actor=None)
    db.session.commit()
    return draft


def post(client, headers, rows, **fields):
    data = xlsx([HEADER, *rows])
    form = {"file": (io.BytesIO(data), "delivery.xlsx"), "mode": "delivery", **{k: str(v) for k, v in fields.items()}}
    return client.post("/api/v1/stock/imports", data=form, headers=headers, content_type="multipart/form-data")


def test_the_import_receives_against_the_order(client, manager, order):
    mark_sent(order, "printed", actor=None)
    db.session.commit()
    response = post(client, manager, [["Hyaluronic serum 2 mL", None, "A-1", EXPIRY, 4, None, None, None],
                                      ["Saline 10 mL", None, "S-1", EXPIRY, 10, None, None, None]],
                    order_id=order.id)
    assert response.status_code == 200, response.json
    booked = response.json["summary"]["order"]
    assert booked["status"] == "partly-received"
    assert booked["not_on_order"] == [f"Saline 10 mL lot S-1 is not on {order.reference}"]
    serum_line, vitamin_line = booked["lines"]
    assert (serum_line["received"], serum_line["short"]) == (4, 0)  # 2 packs of one 2 mL unit
    assert (vitamin_line["received"], vitamin_line["short"]) == (0, 2)
    receipt = order.lines[0].receipts[0]
    assert receipt.import_id == response.json["summary"]["import_id"]


def test_a_draft_cannot_be_received_and_nothing_is_imported(client, manager, order):
    response = post(client, manager, [["Hyaluronic serum 2 mL", None, "A-1", EXPIRY, 4, None, None, None]],
                    order_id=order.id)
    assert response.status_code == 409 and "is a draft" in response.json["message"]
    assert db.session.query(StockImport).count() == 0


def test_an_unknown_order_is_refused_naming_the_field(client, manager, order):
    response = post(client, manager, [["Hyaluronic serum 2 mL", None, "A-1", EXPIRY, 4, None, None, None]],
                    order_id=99999)
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "order_id"
