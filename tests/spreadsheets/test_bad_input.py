"""Every bad upload from the issue, through the upload page: one clear message, nothing written, fast."""

import io
import re
import time
import zipfile
from datetime import date, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from formulary.extensions import db
from formulary.stock.models import Lot, StockImport
from tests.conftest import csrf_token
from tests.spreadsheets.workbooks import edit_part, parts, raw_zip, rezip, stored, xlsx, zeros_deflated

EXPIRY = date.today() + timedelta(days=400)
GOOD = xlsx([["Product", "Lot", "Expiry", "Qty"], ["Hyaluronic serum 2 mL", "L1", EXPIRY, 2]])
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


def zip_bomb() -> bytes:
    raw, crc, size = zeros_deflated(300)  # 300 MB of zeros in 300 KB
    return raw_zip([stored("[Content_Types].xml", b"<Types/>"), stored("xl/workbook.xml", b"<workbook/>"),
                    ("xl/worksheets/sheet1.xml", zipfile.ZIP_DEFLATED, raw, crc, size)])


def entity_bomb() -> bytes:
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
              + "]>")
    return edit_part(GOOD, "xl/worksheets/sheet1.xml", lambda text: laughs + text.split("?>", 1)[-1])


def macro_workbook() -> bytes:
    members = parts(GOOD)
    members["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0 vba"
    return rezip(members)


BAD = [
    ("renamed.xlsx", lambda: b"Product,Lot,Expiry,Qty\nHyaluronic serum 2 mL,L1,2030-01-31,2\n",
     "is not a workbook (it is plain text, perhaps a renamed CSV file)"),
    ("delivery.pdf", lambda: b"%PDF-1.7\n1 0 obj <<>>\n", "This file is a PDF document, not a workbook"),
    ("delivery.xlsx", lambda: b"<!DOCTYPE html><html><body><table></table></body></html>",
     "This file is a web page (HTML), not a workbook"),
    ("delivery.xlsx", lambda: b"", "The file is empty, not a workbook."),
    ("delivery.xls", lambda: OLE2, "This is an old Excel .xls file"),
    ("delivery.xlsx", lambda: OLE2 + "EncryptionInfo".encode("utf-16-le") + "EncryptedPackage".encode("utf-16-le"),
     "This workbook is password-protected"),
    ("delivery.xlsm", macro_workbook, "This workbook contains macros, which are refused"),
    ("delivery.xlsx", zip_bomb, "(a ZIP bomb), so it was refused unread"),
    ("delivery.xlsx", entity_bomb, "declares XML entities (an entity bomb risk)"),
    ("delivery.xlsx", lambda: xlsx([["Name", "Amount"], ["x", 1]]),
     "No header row found in the first 10 rows of the sheet 'Stock'; a delivery file needs the columns "
     "Product or GTIN, Lot, Expiry, On hand or Sealed units."),
]


@pytest.fixture
def manager(client, login_as, make_product):
    make_product("Hyaluronic serum 2 mL")
    db.session.commit()
    return login_as("manager")


def upload(client, data, name="delivery.xlsx", mode="delivery"):
    return client.post("/stock/spreadsheets/upload", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, "/stock/spreadsheets/"), "mode": mode, "file": (io.BytesIO(data), name)})


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True)).replace("&#39;", "'")


@pytest.mark.parametrize(("name", "build", "message"), BAD, ids=[
    "renamed-csv", "pdf", "html", "empty", "xls", "password", "macro", "zip-bomb", "entity-bomb", "no-header"])
def test_a_bad_upload_is_one_clear_message_and_nothing_is_written(client, manager, name, build, message):
    data = build()
    started = time.process_time()
    response = upload(client, data, name)
    assert time.process_time() - started < 2
    assert response.status_code == 200
    page = page_text(response)
    assert f"Nothing was imported from {name}" in page and message in page
    assert db.session.scalar(select(func.count()).select_from(Lot)) == 0
    assert db.session.scalar(select(func.count()).select_from(StockImport)) == 0


def test_more_rows_than_the_limit_are_refused(app, client, manager, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 50)
    rows = [["Hyaluronic serum 2 mL", f"L{i}", EXPIRY, 1] for i in range(51)]
    response = upload(client, xlsx([["Product", "Lot", "Expiry", "Qty"], *rows]))
    assert response.status_code == 200
    assert "This file has more than 50 rows; split it into smaller files." in page_text(response)
    rows.pop()
    assert upload(client, xlsx([["Product", "Lot", "Expiry", "Qty"], *rows])).status_code == 200


def test_unknown_columns_are_ignored_and_named_and_blank_rows_skipped(client, manager):
    response = upload(client, xlsx([
        ["Product", "Lot", "Colour", "Expiry", "Qty", "Notes"],
        ["Hyaluronic serum 2 mL", "L1", "red", EXPIRY, 2, "fragile"],
        [None, None, None, None, None, None],
        ["  ", None, "", None, None, " "],
        ["Hyaluronic serum 2 mL", "L2", "blue", EXPIRY, 3, None],
    ]))
    page = page_text(response)
    assert response.status_code == 200
    assert "Columns not used (not ours): C (Colour), F (Notes)." in page
    assert "Rows read</div><div class=\"fs-4\">2</div>" in page.replace("> <", "><")
    assert re.search(r'<td class="text-end text-body-secondary">5</td>\s*<td>Hyaluronic serum 2 mL</td>', page)


def test_formula_cells_give_their_saved_result_or_an_error(client, manager):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Stock"
    sheet.append(["Product", "Lot", "Expiry", "Qty"])
    sheet.append(["Hyaluronic serum 2 mL", "L1", EXPIRY, "=1+1"])  # openpyxl saves no result
    buffer = io.BytesIO()
    workbook.save(buffer)
    no_result = upload(client, buffer.getvalue())
    assert no_result.status_code == 200
    assert "A formula with no saved result; open the file in Excel or LibreOffice and save it again" in (
        page_text(no_result))
    assert "<code>=1+1</code>" in page_text(no_result)

    # The same cell as Excel saves it: the formula and its cached value, 2.
    cached = edit_part(buffer.getvalue(), "xl/worksheets/sheet1.xml",
                       lambda text: text.replace("<f>1+1</f><v />", "<f>1+1</f><v>2</v>"))
    assert b"<v>2</v>" in parts(cached)["xl/worksheets/sheet1.xml"]
    response = upload(client, cached)
    assert response.status_code == 200 and "+2" in page_text(response)
