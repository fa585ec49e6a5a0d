"""The Import/Export pages: export and template downloads, upload, preview, confirm, errors, imports list."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal as D

import openpyxl
import pytest
from sqlalchemy import func, select

from formulary.extensions import db
from formulary.spreadsheets import uploads
from formulary.spreadsheets.models import PendingUpload
from formulary.stock.models import Lot, StockImport, StockMovement
from tests.conftest import csrf_token
from tests.spreadsheets.workbooks import xlsx

GTIN = "09506000134352"
EXPIRY = date.today() + timedelta(days=400)
HEADER = ["Product", "Lot", "Expiry", "Qty"]


@pytest.fixture
def serum(make_product):
    product = make_product("Hyaluronic serum 2 mL", gtin=GTIN)
    db.session.commit()
    return product


def pending(digest):
    """The upload waiting in the database under this hash, or None."""
    return db.session.scalar(select(PendingUpload).where(PendingUpload.sha256 == digest))


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def upload(client, data, mode="delivery", name="delivery.xlsx", force=False):
    fields = {"csrf_token": csrf_token(client, "/stock/spreadsheets/"), "mode": mode,
              "file": (io.BytesIO(data), name)}
    if force:
        fields["force"] = "y"
    return client.post("/stock/spreadsheets/upload", data=fields, content_type="multipart/form-data")


def confirm_fields(html: str) -> dict:
    form = html[html.index('action="/stock/spreadsheets/confirm"'):]
    return dict(re.findall(r'name="(\w+)" type="hidden" value="([^"]*)"', form[: form.index("</form>")]))


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_a_practitioner_may_export_but_not_import(client, login_as, serum):
    login_as("practitioner")
    page = text(client.get("/stock/spreadsheets/"))
    assert "Download the stock workbook" in page and "Import a workbook" not in page
    assert client.get("/stock/spreadsheets/export").status_code == 200
    response = upload(client, xlsx([HEADER, ["Hyaluronic serum 2 mL", "N-1", EXPIRY, 5]]))
    assert response.status_code == 403 and "Your role (practitioner) may not change stock" in text(response)
    assert count(Lot) == 0


def test_the_export_is_a_dated_attachment_that_no_cache_keeps(client, login_as, serum, make_lot):
    login_as("manager")
    make_lot(serum, quantity="3", lot_number="A1", expiry=EXPIRY, supplier="=HYPERLINK(\"x\")")
    db.session.commit()
    response = client.get("/stock/spreadsheets/export")
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=formulary-stock-{date.today().isoformat()}.xlsx")
    assert response.headers["Cache-Control"] == "no-store"
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    stock = workbook["Stock"]
    assert [cell.value for cell in stock[1]][:4] == ["Product", "GTIN", "Category", "Lot"]
    row = [cell.value for cell in stock[2]]
    assert row[0] == "Hyaluronic serum 2 mL" and row[3] == "A1" and row[6:10] == ["vial of 2 mL", 1, 1, "mL"]
    assert row[14] == "1 vial + 1 mL opened · 3 mL"  # what the lot held at the count
    assert stock.cell(2, 13).value == '=HYPERLINK("x")' and stock.cell(2, 13).data_type == "s"


def test_the_template_offers_the_catalogue_in_a_drop_down(client, login_as, serum):
    login_as("manager")
    response = client.get("/stock/spreadsheets/template")
    assert response.status_code == 200 and "formulary-delivery-template.xlsx" in response.headers["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Stock", "Instructions", "Lists"]
    assert workbook["Lists"]["A1"].value == "Hyaluronic serum 2 mL"


def test_upload_preview_confirm_then_the_import_is_listed(client, login_as, serum):
    manager = login_as("manager")
    data = xlsx([HEADER, ["Hyaluronic serum 2 mL", "N-1", EXPIRY, 5], [None, None, None, None],
                 ["hyaluronic SERUM 2ml", "N-2", EXPIRY, "2.5"]])
    preview = upload(client, data)
    page = text(preview)
    assert preview.status_code == 200
    assert "Preview of delivery.xlsx" in page and "Nothing is imported yet" in page
    assert "N-1" in page and "N-2" in page and "+7.5" in page
    assert count(Lot) == 0
    fields = confirm_fields(preview.get_data(as_text=True))
    kept = pending(fields["sha256"])
    assert kept.user_id == manager.id and kept.file_name == "delivery.xlsx" and kept.mode == "delivery"

    done = client.post("/stock/spreadsheets/confirm", data=fields, follow_redirects=True)
    page = text(done)
    assert "Imported delivery.xlsx: 2 new lots, 0 lots changed." in page
    assert "Import #" in page and "N-1" in page and "Received" in page
    db.session.expire_all()
    assert pending(fields["sha256"]) is None
    stock_import = db.session.scalar(select(StockImport))
    assert stock_import.user_id == manager.id and stock_import.rows == 2
    assert {lot.lot_number: lot.on_hand for lot in db.session.scalars(select(Lot))} == {"N-1": 5, "N-2": D("2.5")}

    again = client.post("/stock/spreadsheets/confirm", data=fields)
    assert again.status_code == 409 and "no longer available" in text(again)
    assert count(StockImport) == 1

    listed = text(client.get("/stock/spreadsheets/imports"))
    assert "delivery.xlsx" in listed and manager.username in listed and stock_import.sha256[:12] in listed


def test_a_tampered_or_stale_confirmation_writes_nothing(client, login_as, serum):
    login_as("manager")
    preview = upload(client, xlsx([HEADER, ["Hyaluronic serum 2 mL", "N-1", EXPIRY, 5]]))
    fields = confirm_fields(preview.get_data(as_text=True))
    other = upload(client, xlsx([HEADER, ["Hyaluronic serum 2 mL", "N-9", EXPIRY, 500]]))
    other_fields = confirm_fields(other.get_data(as_text=True))

    swapped = client.post("/stock/spreadsheets/confirm", data={**fields, "sha256": other_fields["sha256"]})
    assert swapped.status_code == 400 and "does not match the file that was previewed" in text(swapped)
    forced = client.post("/stock/spreadsheets/confirm", data={**fields, "force": "1"})
    assert forced.status_code == 400
    pending(fields["sha256"]).data = b"changed on the server"
    db.session.commit()
    changed = client.post("/stock/spreadsheets/confirm", data=fields)
    assert changed.status_code == 409 and "no longer available" in text(changed)
    assert count(Lot) == 0 and count(StockImport) == 0


def test_errors_are_listed_in_a_table_and_nothing_is_written(client, login_as, serum):
    login_as("manager")
    response = upload(client, xlsx([
        [*HEADER, "Notes"],
        ["Hyaluronic serum 2 mL", "A", "31/02/2027", 1, "x"],
        ["Unknown thing", "B", EXPIRY, "lots", None],
    ]))
    page = text(response)
    assert response.status_code == 200
    assert "Nothing was imported from delivery.xlsx" in page
    assert "3 problems in 2 rows (2 rows read)" in page
    assert "<td>Stock</td> <td class=\"text-end\">2</td> <td class=\"text-nowrap\">C (Expiry)</td>" in page
    assert "Not a real date: February has no day 31." in page
    assert "No product in the catalogue has this name" in page and "Not a number." in page
    assert "Columns not used (not ours): E (Notes)." in page
    assert count(Lot) == 0


def test_a_file_that_is_not_a_workbook_is_refused_in_one_sentence(client, login_as, serum):
    login_as("manager")
    response = upload(client, b"%PDF-1.7 not a sheet", name="delivery.pdf")
    assert response.status_code == 200
    assert "This file is a PDF document, not a workbook" in text(response)


def test_a_delivery_imported_before_is_refused_unless_forced(client, login_as, serum):
    login_as("manager")
    data = xlsx([HEADER, ["Hyaluronic serum 2 mL", "N-1", EXPIRY, 5]])
    client.post("/stock/spreadsheets/confirm", data=confirm_fields(upload(client, data).get_data(as_text=True)))
    again = upload(client, data, name="copy.xlsx")
    assert again.status_code == 200
    assert "This delivery was imported before" in text(again) and "/stock/spreadsheets/confirm" not in text(again)
    forced = upload(client, data, name="copy.xlsx", force=True)
    assert forced.status_code == 200 and "it will be imported again, as you asked" in text(forced)
    client.post("/stock/spreadsheets/confirm", data=confirm_fields(forced.get_data(as_text=True)))
    assert db.session.scalar(select(Lot.on_hand)) == 10
    assert [row.forced for row in db.session.scalars(select(StockImport).order_by(StockImport.id))] == [False, True]


def test_an_upload_over_the_limit_gets_the_413_page_naming_the_limit(app, client, login_as, monkeypatch):
    login_as("manager")
    token = csrf_token(client, "/stock/spreadsheets/")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    response = client.post("/stock/spreadsheets/upload", content_type="multipart/form-data", data={
        "csrf_token": token, "mode": "delivery", "file": (io.BytesIO(b"x" * (1024 * 1024 + 10)), "big.csv")})
    assert response.status_code == 413
    assert "File too large" in text(response) and "upload limit of 1 MB" in text(response)


def test_the_import_page_lists_its_movements(client, login_as, serum, make_lot):
    login_as("manager")
    make_lot(serum, quantity="10", lot_number="A", expiry=EXPIRY)
    db.session.commit()
    preview = upload(client, xlsx([HEADER, ["Hyaluronic serum 2 mL", "A", EXPIRY, 7]]), mode="stocktake")
    assert "On hand now" in text(preview) and "−3" in text(preview)
    page = text(client.post("/stock/spreadsheets/confirm", follow_redirects=True,
                            data=confirm_fields(preview.get_data(as_text=True))))
    assert "Stocktake" in page and "−3" in page
    movement = db.session.scalar(select(StockMovement).where(StockMovement.import_id.is_not(None)))
    assert (movement.kind, movement.quantity, movement.on_hand_after) == ("adjust", -3, 7)


def test_every_error_is_in_the_csv_when_there_are_too_many_for_the_page(client, login_as, serum, monkeypatch):
    from formulary.spreadsheets import views

    login_as("manager")
    monkeypatch.setattr(views, "ERRORS_SHOWN", 2)
    response = upload(client, xlsx([HEADER, *[["Nope", f"L{i}", EXPIRY, 1] for i in range(5)]]))
    page = response.get_data(as_text=True)
    link = re.search(r'href="(/stock/spreadsheets/uploads/[^"]+)"', page).group(1).replace("&amp;", "&")
    csv = client.get(link)
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).splitlines()
    assert lines[0] == "Sheet,Row,Column,Value,Error" and len(lines) == 6
    assert lines[1].startswith("Stock,2,A (Product),Nope,No product")


def test_uploads_are_kept_under_their_hash_for_their_user_for_a_day(app, make_user):
    owner, other = make_user("manager", "owner"), make_user("manager", "other")
    with app.test_request_context():
        digest = uploads.keep(b"some bytes", "a.xlsx", "delivery", owner.id)
        assert uploads.fetch(digest, owner.id) == b"some bytes"
        assert uploads.fetch(digest, other.id) is None  # a user confirms only their own upload
        assert uploads.fetch("../../etc/passwd", owner.id) is None and uploads.fetch("0" * 64, owner.id) is None
        assert uploads.keep(b"some bytes", "b.xlsx", "stocktake", owner.id) == digest  # stored once
        assert db.session.scalar(select(func.count()).select_from(PendingUpload)) == 1
        pending(digest).at -= uploads.KEEP + timedelta(seconds=1)
        assert uploads.fetch(digest, owner.id) is None  # expired, even before it is removed
        newer = uploads.keep(b"other bytes", "c.xlsx", "delivery", other.id)
        db.session.expire_all()
        assert pending(digest) is None and pending(newer) is not None  # stale ones go when one is stored
        uploads.discard(newer, other.id)
        assert uploads.fetch(newer, other.id) is None


def test_a_stock_change_between_preview_and_confirm_shows_the_new_preview(client, login_as, serum, make_lot):
    from formulary.stock import ledger

    login_as("manager")
    lot = make_lot(serum, quantity="10", lot_number="A", expiry=EXPIRY)
    db.session.commit()
    preview = upload(client, xlsx([HEADER, ["Hyaluronic serum 2 mL", "A", EXPIRY, 7]]), mode="stocktake")
    ledger.waste(lot, "1", actor=None, reason="dropped while counting")  # someone else, meanwhile
    db.session.commit()

    again = client.post("/stock/spreadsheets/confirm", data=confirm_fields(preview.get_data(as_text=True)))
    page = text(again)
    assert again.status_code == 200 and "The stock changed since your preview" in page
    assert "−2" in page and count(StockImport) == 0
    done = client.post("/stock/spreadsheets/confirm", data=confirm_fields(again.get_data(as_text=True)))
    assert done.status_code == 302
    db.session.refresh(lot)
    assert lot.on_hand == 7
