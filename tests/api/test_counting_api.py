"""The API of counting: stocktake summaries against the count moment, zeroing on request, cycle-count
exports, scanning a lot already in stock, and the currency beside a cost."""

import io
from datetime import date, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from formulary.extensions import db
from formulary.stock import ledger
from formulary.stock.models import Lot, StockMovement

GTIN = "09506000134352"
EXPIRY = date.today() + timedelta(days=400)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def manager(api_token):
    return bearer(api_token("manager")[1])


@pytest.fixture
def lots(make_product, make_lot):
    serum = make_product("Hyaluronic serum 2 mL", gtin=GTIN, storage="2–8 °C")
    vitamin = make_product("Vitamin C 5 mL", category="vitamin", storage="Cupboard",
                           composition=[("ascorbic acid", "active")])
    found = {
        "HA-1": make_lot(serum, quantity="10", lot_number="HA-1", expiry=EXPIRY, unit_cost="3.25"),
        "VC-1": make_lot(vitamin, quantity="6", lot_number="VC-1"),
    }
    db.session.commit()
    return found


def export(client, headers, **query) -> bytes:
    response = client.get("/api/v1/stock/export", query_string=query, headers=headers)
    assert response.status_code == 200
    return response.data


def post(client, headers, data: bytes, **fields):
    form = {"file": (io.BytesIO(data), "stock.xlsx"), "mode": "stocktake", **fields}
    return client.post("/api/v1/stock/imports", data=form, headers=headers, content_type="multipart/form-data")


def without(data: bytes, lot_number: str) -> bytes:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook["Stock"]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 4).value == lot_number)
    sheet.delete_rows(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_unchanged_export_names_the_moved_lot_and_changes_nothing(client, manager, lots):
    data = export(client, manager)
    ledger.waste(lots["HA-1"], "4", actor=None, reason="a session meanwhile")
    db.session.commit()
    answer = post(client, manager, data, dry_run="true").get_json()
    summary = answer["summary"]
    assert answer["changes"] == [] and summary["counted_at"] is not None
    assert summary["moved_since_count"] == [{"lot_id": lots["HA-1"].id, "quantity_then": 10, "quantity_now": 6}]
    assert summary["not_counted"] == []


def test_a_lot_left_out_is_listed_and_zeroed_only_when_asked(client, manager, lots):
    data = without(export(client, manager), "VC-1")
    moves = db.session.scalar(select(func.count()).select_from(StockMovement))
    answer = post(client, manager, data).get_json()
    assert answer["summary"]["not_counted"] == [{"lot_id": lots["VC-1"].id, "lot_number": "VC-1"}]
    assert answer["summary"]["applied"] and answer["summary"]["zeroed"] == []
    assert db.session.get(Lot, lots["VC-1"].id).on_hand == 6
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == moves
    counted = client.get(f"/api/v1/lots/{lots['HA-1'].id}", headers=manager).get_json()["counted_at"]
    uncounted = client.get(f"/api/v1/lots/{lots['VC-1'].id}", headers=manager).get_json()["counted_at"]
    assert counted is not None and uncounted is None

    data = without(export(client, manager), "VC-1")
    answer = post(client, manager, data, zero_not_counted=str(lots["VC-1"].id)).get_json()
    assert answer["summary"]["zeroed"] == [lots["VC-1"].id]
    [change] = answer["changes"]
    assert (change["lot_id"], change["quantity"], change["on_hand_after"]) == (lots["VC-1"].id, -6, 0)
    db.session.expire_all()
    assert db.session.get(Lot, lots["VC-1"].id).on_hand == 0


def test_zeroing_a_counted_lot_or_nonsense_is_422(client, manager, lots):
    data = export(client, manager)
    counted = post(client, manager, data, zero_not_counted=str(lots["HA-1"].id))
    assert counted.status_code == 422 and "not one of the lots this count left out" in counted.get_json()["message"]
    assert counted.get_json()["errors"][0]["field"] == "zero_not_counted"
    nonsense = post(client, manager, data, zero_not_counted="some")
    assert nonsense.status_code == 422 and nonsense.get_json()["errors"][0]["field"] == "zero_not_counted"


def test_a_hand_typed_csv_is_counted_now(client, manager, lots):
    data = b"Product,Lot,Counted\nHyaluronic serum 2 mL,HA-1,9\n"
    form = {"file": (io.BytesIO(data), "count.csv"), "mode": "stocktake", "dry_run": "true"}
    answer = client.post("/api/v1/stock/imports", data=form, headers=manager,
                         content_type="multipart/form-data").get_json()
    assert answer["summary"]["counted_at"] is None and answer["changes"][0]["quantity"] == -1


def test_a_cycle_count_exports_one_storage_place(client, manager, lots):
    sheet = openpyxl.load_workbook(io.BytesIO(export(client, manager, storage="Cupboard")))["Stock"]
    assert [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["VC-1"]


def test_a_scan_of_a_lot_in_stock_receives_more_of_it(client, manager, lots):
    before = db.session.scalar(select(func.count(Lot.id)))
    scan = f"(01){GTIN}(17){EXPIRY:%y%m%d}(10)HA-1"
    response = client.post("/api/v1/lots", json={"scan": scan, "quantity": "2"}, headers=manager)
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == lots["HA-1"].id and body["on_hand"] == 12
    assert db.session.scalar(select(func.count(Lot.id))) == before


def test_a_scan_with_the_same_lot_but_another_expiry_is_still_409(client, manager, lots):
    scan = f"(01){GTIN}(17){EXPIRY + timedelta(days=31):%y%m%d}(10)HA-1"
    response = client.post("/api/v1/lots", json={"scan": scan, "quantity": "2"}, headers=manager)
    assert response.status_code == 409


def test_a_lot_shows_its_cost_with_the_clinics_currency(client, manager, lots, app):
    body = client.get(f"/api/v1/lots/{lots['HA-1'].id}", headers=manager).get_json()
    assert (body["unit_cost"], body["currency"]) == (3.25, "EUR")
    app.config["CURRENCY"] = "JPY"
    try:
        assert client.get(f"/api/v1/lots/{lots['HA-1'].id}", headers=manager).get_json()["currency"] == "JPY"
    finally:
        app.config["CURRENCY"] = "EUR"

