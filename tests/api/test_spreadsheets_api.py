"""The workbook API: POST /stock/imports (dry run, apply, refusals) and GET /stock/export."""

import io
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from formulary.extensions import db
from formulary.stock.models import Lot, StockImport, StockMovement
from tests.spreadsheets.workbooks import xlsx

GTIN = "09506000134352"
EXPIRY = date.today() + timedelta(days=400)
HEADER = ["Product", "GTIN", "Lot", "Expiry", "Qty", "Unit cost", "Supplier", "Received"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def manager(api_token):
    return bearer(api_token("manager")[1])


@pytest.fixture
def serum(make_product):
    product = make_product("Hyaluronic serum 2 mL", gtin=GTIN, unit="mL")
    db.session.commit()
    return product


def post(client, headers, data, mode="delivery", name="delivery.xlsx", **fields):
    form = {"file": (io.BytesIO(data), name), "mode": mode, **{k: str(v).lower() for k, v in fields.items()}}
    return client.post("/api/v1/stock/imports", data=form, headers=headers, content_type="multipart/form-data")


DELIVERY = xlsx([HEADER, [None, GTIN, "A-1", EXPIRY, 4, 2.5, "MesoSupply", None],
                 ["Hyaluronic serum 2 mL", None, "A-2", EXPIRY, 1.5, None, None, date(2026, 1, 5)]])


def test_a_dry_run_answers_the_changes_and_writes_nothing(client, manager, serum):
    response = post(client, manager, DELIVERY, dry_run=True)
    assert response.status_code == 200
    body = response.get_json()
    summary = body["summary"]
    assert summary["applied"] is False and summary["dry_run"] is True and summary["import_id"] is None
    assert (summary["rows"], summary["lots_created"], summary["lots_changed"]) == (2, 2, 0)
    assert summary["quantity_in"] == 5.5 and summary["by_unit"] == [{"unit": "mL", "added": 5.5, "removed": 0}]
    assert len(summary["file_sha256"]) == len(summary["content_sha256"]) == 64
    assert summary["changes_total"] == len(body["changes"]) == 2
    assert body["changes"][0] == {
        "row": 2, "kind": "new-lot", "product_id": serum.id, "product": "Hyaluronic serum 2 mL", "unit": "mL",
        "lot_id": None, "lot": "A-1", "expiry": EXPIRY.isoformat(), "on_hand": 0, "quantity": 4,
        "on_hand_after": 4,
    }
    assert count(Lot) == 0 and count(StockImport) == 0


def test_a_large_import_lists_the_first_changes_and_counts_them_all(client, manager, serum, monkeypatch):
    from formulary.api import spreadsheets as api

    monkeypatch.setattr(api, "CHANGES_LISTED", 2)
    rows = [[None, GTIN, f"L-{number}", EXPIRY, 1, None, None, None] for number in range(5)]
    body = post(client, manager, xlsx([HEADER, *rows])).get_json()
    assert body["summary"]["changes_total"] == body["summary"]["lots_created"] == 5
    assert [change["lot"] for change in body["changes"]] == ["L-0", "L-1"]  # in row order
    assert count(Lot) == 5 and body["summary"]["quantity_in"] == 5


def test_an_import_applies_once_and_again_only_when_forced(client, manager, serum):
    first = post(client, manager, DELIVERY)
    assert first.status_code == 200
    summary = first.get_json()["summary"]
    assert summary["applied"] is True and summary["forced"] is False
    stock_import = db.session.get(StockImport, summary["import_id"])
    assert stock_import.lots_created == 2 and stock_import.sha256 == summary["content_sha256"]
    assert db.session.scalar(select(func.count()).where(StockMovement.import_id == stock_import.id)) == 2

    again = post(client, manager, DELIVERY, name="resent.xlsx")
    assert again.status_code == 409
    assert f"already imported on {stock_import.at:%Y-%m-%d}" in again.get_json()["message"]
    assert "send force=true" in again.get_json()["message"]
    assert post(client, manager, DELIVERY, dry_run=True).status_code == 409
    assert count(StockImport) == 1

    forced = post(client, manager, DELIVERY, force=True)
    assert forced.status_code == 200
    assert forced.get_json()["summary"]["forced"] is True
    assert forced.get_json()["changes"][0]["kind"] == "receive"  # more of the lot made the first time
    assert db.session.scalar(select(Lot.on_hand).where(Lot.lot_number == "A-1")) == 8


def test_every_error_is_answered_with_its_cell_and_nothing_is_written(client, manager, serum):
    data = xlsx([HEADER, [None, GTIN, "A-1", "31/02/2027", 4, None, None, None],
                 ["Nothing like it", None, "A-2", EXPIRY, -1, None, None, None]])
    response = post(client, manager, data)
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == "Nothing was imported: 3 errors in the file."
    assert body["errors"] == [
        {"sheet": "Stock", "row": 2, "column": "D (Expiry)", "value": "31/02/2027",
         "message": "Not a real date: February has no day 31."},
        {"sheet": "Stock", "row": 3, "column": "A (Product)", "value": "Nothing like it",
         "message": "No product in the catalogue has this name (nor a GTIN given)."},
        {"sheet": "Stock", "row": 3, "column": "E (Qty)", "value": "-1", "message": "Must be more than 0."},
    ]
    assert count(Lot) == 0 and count(StockImport) == 0


@pytest.mark.parametrize(("data", "name", "expected"), [
    (b"%PDF-1.4\n...", "stock.pdf", "This file is a PDF document, not a workbook"),
    (b"", "empty.xlsx", "The file is empty"),
    (b"Product,Lot\nx,y\n", "renamed.xlsx", "is not a workbook (it is plain text, perhaps a renamed CSV file)"),
    (b"<html><body><table></table></body></html>", "export.xlsx", "This file is a web page (HTML)"),
    (b"Notes\nnothing here\n", "notes.csv", "No header row found"),
])
def test_a_file_that_cannot_be_read_is_one_clear_error(client, manager, data, name, expected):
    response = post(client, manager, data, name=name)
    assert response.status_code == 422
    body = response.get_json()
    assert expected in body["message"] and body["errors"][0]["message"] in body["message"]


def test_missing_or_wrong_fields_are_422(client, manager):
    no_file = client.post("/api/v1/stock/imports", data={"mode": "delivery"}, headers=manager,
                          content_type="multipart/form-data")
    assert no_file.status_code == 422 and no_file.get_json()["errors"][0]["field"] == "file"
    wrong_mode = post(client, manager, DELIVERY, mode="inventory")
    assert wrong_mode.status_code == 422 and wrong_mode.get_json()["errors"][0]["field"] == "mode"


def test_who_may_import_and_export(client, api_token, serum):
    practitioner = bearer(api_token("practitioner")[1])
    assert post(client, practitioner, DELIVERY).status_code == 403
    assert post(client, {}, DELIVERY).status_code == 401
    assert client.get("/api/v1/stock/export", headers=practitioner).status_code == 200
    assert client.get("/api/v1/stock/export").status_code == 401


def test_an_upload_over_the_limit_is_413(app, client, manager, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    response = post(client, manager, b"x" * (1024 * 1024 + 1), name="big.csv")
    assert response.status_code == 413
    assert "upload limit of 1 MB" in response.get_json()["message"]


def test_the_export_is_a_dated_xlsx_attachment(client, manager, serum, make_lot):
    make_lot(serum, quantity="2", lot_number="A-1", expiry=EXPIRY)
    db.session.commit()
    response = client.get("/api/v1/stock/export", headers=manager)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=formulary-stock-{date.today().isoformat()}.xlsx")
    assert response.headers["Cache-Control"] == "no-store"
    sheet = openpyxl.load_workbook(io.BytesIO(response.data))["Stock"]
    assert sheet["D2"].value == "A-1" and (sheet["G2"].value, sheet["H2"].value) == ("vial of 2 mL", 1)


def test_the_openapi_document_describes_the_multipart_upload_and_the_download(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    body = spec["paths"]["/api/v1/stock/imports"]["post"]["requestBody"]["content"]["multipart/form-data"]
    schema = spec["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[1]]
    file = schema["properties"]["file"]
    assert (file["type"], file["format"]) == ("string", "binary")
    assert file["description"].startswith("The workbook: .xlsx, or .csv. Quantities as On hand (in the stock unit), "
                                          "or as Sealed units")
    assert set(schema["properties"]) == {"file", "mode", "dry_run", "force", "zero_not_counted", "order_id"}
    responses = spec["paths"]["/api/v1/stock/imports"]["post"]["responses"]
    assert {"200", "401", "403", "409", "413", "422"} <= set(responses)
    download = spec["paths"]["/api/v1/stock/export"]["get"]["responses"]["200"]["content"]
    assert list(download) == ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]


cells = st.one_of(
    st.none(), st.booleans(), st.integers(-10**16, 10**16),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.text(max_size=60).map(lambda text: "".join(ch for ch in text if ch.isprintable())),
    st.sampled_from(["=1+1", "+49 30", "-", "@x", "31/02/2027", "2027-13-01", "03/04/2027", "EXP 2027-03", "0",
                     "1,5", "1.234,5", "€12", GTIN, "4006381333931", "Hyaluronic serum 2 mL", "#DIV/0!", "TRUE"]),
    st.dates(min_value=date(1900, 3, 1), max_value=date(2300, 1, 1)),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2300, 1, 1)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(cells, min_size=8, max_size=8), min_size=1, max_size=6),
       mode=st.sampled_from(["delivery", "stocktake"]), dry_run=st.booleans())
def test_no_cell_value_ever_causes_a_500(client, manager, serum, rows, mode, dry_run):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Stock"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text, as a user typed it: openpyxl would make it a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = post(client, manager, buffer.getvalue(), mode=mode, dry_run=dry_run)
    assert response.status_code in (200, 409, 422), response.get_data(as_text=True)
    if response.status_code == 422:
        assert response.get_json()["errors"]
    db.session.rollback()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300), name=st.sampled_from(["x.xlsx", "x.csv", "x", "x.xls"]))
def test_no_upload_bytes_ever_cause_a_500(client, manager, data, name):
    response = post(client, manager, data, name=name, dry_run=True)
    assert response.status_code in (200, 422), response.get_data(as_text=True)
