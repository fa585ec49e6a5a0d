"""The guard: every wrong or hostile file refused by its content, before parsing, in one sentence."""

import time
import zipfile
import zlib

import pytest

from formulary.spreadsheets import guard
from formulary.spreadsheets.csv_text import sniff_delimiter
from formulary.spreadsheets.errors import WorkbookRefused
from formulary.spreadsheets.guard import CSV, XLSX, guard_upload
from tests.spreadsheets.workbooks import edit_part, parts, raw_zip, rezip, stored, xlsx, zeros_deflated

GOOD = xlsx([["Product", "Lot", "Expiry", "Qty"], ["Hyaluronic acid", "L1", "2027-03-31", 2]])
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


def refusal(data: bytes, filename: str = "stock.xlsx") -> str:
    with pytest.raises(WorkbookRefused) as caught:
        guard_upload(data, filename)
    return caught.value.message


def test_a_real_workbook_passes():
    upload = guard_upload(GOOD, "stock.xlsx")
    assert upload.kind == XLSX
    assert upload.formula_parts == frozenset()


@pytest.mark.parametrize("data", [b"", b"   \r\n  "])
def test_an_empty_file_is_not_a_workbook(data):
    assert refusal(data) == "The file is empty, not a workbook."


def test_a_renamed_csv_is_not_a_workbook():
    message = refusal(b"Product,Lot,Expiry,Qty\nHyaluronic acid,L1,2027-03-31,2\n", "stock.xlsx")
    assert message.startswith("This file is named stock.xlsx but is not a workbook")
    assert "renamed CSV" in message


def test_a_pdf_is_refused():
    assert "PDF document, not a workbook" in refusal(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>>\n", "stock.xlsx")


@pytest.mark.parametrize("page", [b"<!DOCTYPE html><html><body><table></table></body></html>",
                                  b"\xef\xbb\xbf  <html><table><tr><td>1</td></tr></table></html>",
                                  b"<table><tr><td>Product</td></tr></table>"])
def test_html_saved_as_a_spreadsheet_is_refused(page):
    assert "web page (HTML), not a workbook" in refusal(page, "stock.xls")


def test_an_old_xls_is_asked_to_be_saved_as_xlsx():
    message = refusal(OLE2, "stock.xls")
    assert "old Excel .xls file" in message
    assert "save it as .xlsx" in message


def test_an_encrypted_workbook_is_named_password_protected():
    # Excel stores a password-protected .xlsx as an OLE2 file with these two streams.
    data = OLE2 + "EncryptionInfo".encode("utf-16-le") + bytes(8) + "EncryptedPackage".encode("utf-16-le")
    assert refusal(data, "stock.xlsx").startswith("This workbook is password-protected")


def test_a_macro_workbook_is_refused():
    members = parts(GOOD)
    members["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0 not really vba"
    assert "contains macros" in refusal(rezip(members), "stock.xlsm")


def test_a_macro_enabled_content_type_is_refused():
    data = edit_part(GOOD, "[Content_Types].xml", lambda text: text.replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml"))
    assert "contains macros" in refusal(data)


def test_a_zip_that_is_no_workbook_is_refused():
    assert refusal(rezip({"word/document.xml": b"<w/>", "[Content_Types].xml": b"<Types/>"})) == (
        "This file is a ZIP archive but not an Excel workbook."
    )


def test_an_opendocument_spreadsheet_is_asked_to_be_saved_as_xlsx():
    data = rezip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"})
    assert ".ods" in refusal(data, "stock.ods")


def test_a_damaged_zip_is_refused():
    assert "damaged or not a workbook" in refusal(GOOD[: len(GOOD) // 2])


def test_a_zip_bomb_is_refused_from_its_directory_without_inflating(monkeypatch):
    raw, crc, size = zeros_deflated(300)  # 300 MB of zeros in about 300 KB
    bomb = raw_zip([stored("[Content_Types].xml", b"<Types/>"), stored("xl/workbook.xml", b"<workbook/>"),
                    ("xl/worksheets/sheet1.xml", zipfile.ZIP_DEFLATED, raw, crc, size)])
    assert len(bomb) < 400_000

    def inflating(*args, **kwargs):
        raise AssertionError("the guard inflated the bomb")

    monkeypatch.setattr(zlib, "decompressobj", inflating)
    started = time.process_time()
    message = refusal(bomb)
    assert time.process_time() - started < 0.5
    assert "ZIP bomb" in message


def test_many_members_that_add_up_to_a_bomb_are_refused():
    raw, crc, size = zeros_deflated(9)  # each below the ratio floor, together 225 MB
    members = [stored("[Content_Types].xml", b"<Types/>"), stored("xl/workbook.xml", b"<workbook/>")]
    members += [(f"xl/media/part{i}.bin", zipfile.ZIP_DEFLATED, raw, crc, size) for i in range(25)]
    assert "ZIP bomb" in refusal(raw_zip(members))


def test_a_member_lying_about_its_size_is_refused_after_a_few_kilobytes():
    raw, crc, _ = zeros_deflated(300)
    liar = raw_zip([stored("[Content_Types].xml", b"<Types/>"), stored("xl/workbook.xml", b"<workbook/>"),
                    ("xl/worksheets/sheet1.xml", zipfile.ZIP_DEFLATED, raw, crc, 4000)])
    started = time.process_time()
    assert "ZIP bomb" in refusal(liar)
    assert time.process_time() - started < 0.5


def test_too_many_parts_are_refused():
    members = parts(GOOD) | {f"xl/media/image{i}.png": b"x" for i in range(guard.MAX_MEMBERS)}
    assert "parts, far more than a workbook has" in refusal(rezip(members))


ENTITY_BOMB = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n'
)


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "[Content_Types].xml"])
def test_an_xml_entity_bomb_is_refused(part):
    data = edit_part(GOOD, part, lambda text: ENTITY_BOMB + text.split("?>", 1)[-1].lstrip())
    assert "declares XML entities" in refusal(data)


def test_an_entity_hidden_behind_a_long_comment_is_refused():
    padding = "<!--" + "x" * (guard.PROLOG_WINDOW + 10) + "-->"
    data = edit_part(GOOD, "xl/worksheets/sheet1.xml", lambda text: padding + ENTITY_BOMB + text)
    assert "not plain UTF-8 XML" in refusal(data)


def test_a_utf16_part_is_refused():
    members = parts(GOOD)
    members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"].decode().encode("utf-16")
    assert "not plain UTF-8 XML" in refusal(rezip(members))


def test_the_guard_notes_which_sheets_hold_formulas():
    data = xlsx([["Product", "Lot", "Qty"], ["A", "L1", "=1+1"]])
    assert guard_upload(data, "x.xlsx").formula_parts == {"xl/worksheets/sheet1.xml"}


def test_a_csv_is_decoded_with_its_byte_order_mark_and_delimiter():
    upload = guard_upload("\ufeffProduct;Lot;Qty\nSäure;L1;2,5\n".encode(), "stock.csv")
    assert (upload.kind, upload.delimiter) == (CSV, ";")
    assert upload.text == "Product;Lot;Qty\nSäure;L1;2,5\n"


def test_a_windows_1252_csv_is_decoded():
    upload = guard_upload("Product,Lot,Qty\nAcide glycolique à 10 %,L1,2\n".encode("cp1252"), "stock.csv")
    assert "Acide glycolique à 10 %" in upload.text


def test_a_utf16_tab_separated_export_is_decoded():
    upload = guard_upload("Product\tLot\tQty\nA\tL1\t2\n".encode("utf-16"), "stock.txt")
    assert (upload.kind, upload.delimiter) == (CSV, "\t")


def test_binary_junk_is_refused():
    assert "binary data" in refusal(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "stock.csv")


@pytest.mark.parametrize(("text", "delimiter"), [
    ("Product,Lot,Qty\nA,L1,2\n", ","),
    ("Product;Lot;Qty\nA;L1;2,5\n", ";"),
    ("Stock count, 3 March\nProduct\tLot No.\tCounted\nA\tL1\t2\n", "\t"),
    ('"Item; name",Batch,Qty\n"A; B",L1,2\n', ","),
])
def test_the_delimiter_is_the_one_that_shows_known_headers(text, delimiter):
    assert sniff_delimiter(text) == delimiter


def test_openpyxl_parses_through_defusedxml():
    # Anything that reads a workbook with openpyxl (tests, tools) then refuses entity declarations too.
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML
