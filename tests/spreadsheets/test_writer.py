"""Writing: the export a manager opens, text that stays text, round trips, and the delivery template."""

import io
import zipfile
from datetime import date
from decimal import Decimal as D

import openpyxl
import pytest
import python_calamine

from formulary.spreadsheets.format import EXPORT_HEADERS, PRODUCT_HEADERS, STOCK_HEADERS
from formulary.spreadsheets.lines import StockLine, stock_lines
from formulary.spreadsheets.reader import read_upload
from formulary.spreadsheets.writer import ProductRow, StockRow, write_delivery_template, write_stock_workbook

TODAY = date(2026, 6, 1)
FORMULA_LOOKING = ["=SUM(A1)", "+33 1 23 45 67 89", "-5", "@x", "\tx", "\rx", "＝cmd", "＋1", "－2", "＠home",
                   '=HYPERLINK("http://evil","click")', "=cmd|' /C calc'!A0"]


def lot(name="Vitamin C 20% 5 mL", lot_number="L1", expiry=date(2027, 3, 31), on_hand="2.5", **overrides):
    values = dict(product=name, gtin="09506000134352", category="vitamin", lot=lot_number, expiry=expiry,
                  status="available", on_hand=D(on_hand), unit="mL", unit_cost=D("12.3456"),
                  value=(D(on_hand) * D("12.3456")).quantize(D("0.01")), supplier="Acme", received=date(2026, 5, 2),
                  unit_size=D(1))
    return StockRow(**(values | overrides))


def export(rows, products=(), warning_days=30) -> bytes:
    buffer = io.BytesIO()
    write_stock_workbook(buffer, rows, products, TODAY, warning_days)
    return buffer.getvalue()


def test_the_stock_sheet_a_manager_opens():
    data = export([lot(on_hand="12.5", unit_size=D(5), opened=D("2.5")), lot(lot_number="L2", expiry=date(2026, 5, 1))],
                  [ProductRow("Vitamin C 20% 5 mL", "09506000134352", "vitamin", "mL", D("5"), D("10"), True)])
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Stock", "Products", "Instructions"]
    stock = workbook["Stock"]
    assert [cell.value for cell in stock[1]] == list(EXPORT_HEADERS)
    assert all(cell.font.b for cell in stock[1])
    assert stock.freeze_panes == "A2"
    assert stock.auto_filter.ref == "A1:N3"
    expiry, received = stock["E2"], stock["N2"]
    assert expiry.is_date and expiry.number_format == "yyyy-mm-dd" and expiry.value.date() == date(2027, 3, 31)
    assert received.is_date and received.number_format == "yyyy-mm-dd"
    # 12.5 mL of 5 mL vials, 2.5 mL of it in an opened one: 2 sealed vials and 2.5 mL opened
    assert (stock["G2"].value, stock["H2"].value, stock["I2"].value, stock["J2"].value) == ("vial of 5 mL", 2, 2.5, "mL")
    assert stock["H2"].data_type == "n" and stock["H2"].fill.fgColor.rgb == "FFFFFDE7"
    assert stock["K2"].value == 12.3456 and stock["L2"].value == 154.32
    assert stock["B2"].data_type == "s" and stock["B2"].value == "09506000134352"  # leading zero kept


def test_expired_and_expiring_lots_are_highlighted_by_rules_on_today():
    data = export([lot(), lot(lot_number="L2")], warning_days=45)
    rules = openpyxl.load_workbook(io.BytesIO(data))["Stock"].conditional_formatting
    found = {str(entry.sqref): [rule.formula[0] for rule in entry.rules] for entry in rules}
    assert found == {"A2:N3": ['AND($E2<>"",$E2<TODAY())', 'AND($E2<>"",$E2<=TODAY()+45)']}


def test_the_products_sheet_says_below_reorder():
    data = export([lot()], [ProductRow("A", None, "vitamin", "mL", D("5"), D("10"), True, "2 vials + 1 mL opened · 5 mL"),
                            ProductRow("B", "09506000134352", None, "mL", D("50"), None, False, "25 vials · 50 mL")])
    products = openpyxl.load_workbook(io.BytesIO(data))["Products"]
    assert [cell.value for cell in products[1]] == list(PRODUCT_HEADERS)
    assert [[cell.value for cell in row] for row in products.iter_rows(min_row=2)] == [
        ["A", None, "vitamin", "mL", 5, "2 vials + 1 mL opened · 5 mL", 10, "yes"],
        ["B", "09506000134352", None, "mL", 50, "25 vials · 50 mL", None, "no"],
    ]
    assert products.freeze_panes == "A2" and products.auto_filter.ref == "A1:H3"
    rules = [rule.formula[0] for entry in products.conditional_formatting for rule in entry.rules]
    assert rules == ['$H2="yes"']


def test_columns_are_as_wide_as_their_content():
    data = export([lot(name="A very long product name that needs a wide column, 5 mL")])
    widths = openpyxl.load_workbook(io.BytesIO(data))["Stock"].column_dimensions
    assert widths["A"].width > 55
    assert 10 < widths["E"].width < 20


def test_an_empty_stock_still_has_its_headers():
    workbook = openpyxl.load_workbook(io.BytesIO(export([])))
    assert [cell.value for cell in workbook["Stock"][1]] == list(EXPORT_HEADERS)
    assert workbook["Stock"].max_row == 1


@pytest.mark.parametrize("text", FORMULA_LOOKING)
def test_formula_looking_text_is_a_plain_text_cell_read_back_byte_for_byte(text):
    data = export([lot(name=text, lot_number=text, supplier=text)])
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Stock"]
    for cell in (sheet["A2"], sheet["D2"], sheet["M2"]):
        # Excel stores a carriage return as _x000D_ and decodes it; openpyxl shows it undecoded.
        assert cell.data_type == "s" and cell.value == text.replace("\r", "_x000D_")
        assert cell.quotePrefix  # Excel keeps it text even when the cell is edited
    assert python_calamine.load_workbook(io.BytesIO(data)).get_sheet_by_index(0).to_python()[1][0] == text
    cells = read_upload(data, "stock.xlsx", mode="stocktake").rows[0].cells
    assert (cells["product"], cells["lot"], cells["supplier"]) == (text, text, text)


def test_no_formula_is_ever_written():
    data = export([lot(name=text, lot_number=f"L{i}") for i, text in enumerate(FORMULA_LOOKING)])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet and b"<f " not in sheet


def test_export_then_read_back_gives_the_same_values():
    rows = [lot(), lot(name="Zinc 1% 2 mL", lot_number="Z-7", expiry=date(2028, 2, 29), on_hand="0",
                   unit_cost=None, value=None, supplier=None, gtin=None, received=None, category=None)]
    sheet = read_upload(export(rows), "stock.xlsx", mode="stocktake")
    assert sheet.ignored_columns == [] and sheet.errors == []
    lines, errors = stock_lines(sheet, "stocktake", "DMY")
    assert errors == []
    # Counted in units: the quantity is worked out by validation, from the product's unit size.
    assert list(lines) == [
        StockLine(2, "L1", None, "Vitamin C 20% 5 mL", "09506000134352", date(2027, 3, 31), D("12.3456"),
                  "Acme", date(2026, 5, 2), "available", D(2), D("0.5")),
        StockLine(3, "Z-7", None, "Zinc 1% 2 mL", None, date(2028, 2, 29), None, None, None, "available", D(0),
                  D(0)),
    ]


def test_an_export_can_be_read_as_a_delivery_too():
    lines, errors = stock_lines(read_upload(export([lot()]), "x.xlsx", mode="delivery"), "delivery", "MDY")
    assert errors == [] and lines[0].expiry == date(2027, 3, 31)


def template(names=("Vitamin C 20% 5 mL", "Zinc 1% 2 mL"), date_order="DMY") -> bytes:
    buffer = io.BytesIO()
    write_delivery_template(buffer, names, date_order)
    return buffer.getvalue()


def test_the_delivery_template():
    names = [f"Product {i:03d} with a long enough name" for i in range(40)] + ["=not a formula"]
    workbook = openpyxl.load_workbook(io.BytesIO(template(names)))
    assert workbook.sheetnames == ["Stock", "Instructions", "Lists"]
    stock, lists = workbook["Stock"], workbook["Lists"]
    assert [cell.value for cell in stock[1]] == list(STOCK_HEADERS)
    assert stock.freeze_panes == "A2" and all(cell.font.b for cell in stock[1])
    assert lists.sheet_state == "hidden"
    assert lists["A1"].value == "=not a formula" and lists["A1"].data_type == "s"
    assert sum(len(name) for name in names) > 255  # too long for an inline list
    validations = {str(rule.sqref): rule for rule in stock.data_validations.dataValidation}
    assert validations["A2:A1001"].type == "list"
    assert validations["A2:A1001"].formula1 == f"Lists!$A$1:$A${len(names)}"
    assert validations["E2:E1001"].type == "date" and validations["L2:L1001"].type == "date"
    assert validations["G2:G1001"].type == "decimal"
    assert stock.column_dimensions["E"].number_format == "yyyy-mm-dd"
    assert stock.column_dimensions["L"].number_format == "yyyy-mm-dd"
    assert "day/month/year" in " ".join(cell.value for cell in workbook["Instructions"]["A"])


def test_the_template_reads_back_as_an_empty_delivery():
    sheet = read_upload(template(), "template.xlsx", mode="delivery")
    assert (sheet.sheet_name, sheet.rows, sheet.errors) == ("Stock", [], [])


def test_a_template_without_products_has_no_drop_down():
    stock = openpyxl.load_workbook(io.BytesIO(template(names=(), date_order="MDY")))["Stock"]
    assert "A2:A1001" not in {str(rule.sqref) for rule in stock.data_validations.dataValidation}
