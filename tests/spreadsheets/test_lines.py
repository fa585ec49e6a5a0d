"""Typed stock lines: every row checked, every error named by sheet, row, column, value and reason."""

from datetime import date, datetime
from decimal import Decimal as D

import pytest

from formulary.spreadsheets.errors import CellError
from formulary.spreadsheets.lines import StockLine, stock_lines
from formulary.spreadsheets.reader import read_upload
from tests.spreadsheets.workbooks import xlsx

HEADER = ["Product", "GTIN", "Lot", "Expiry", "Qty", "Unit cost", "Supplier", "Received"]


def typed(rows, mode="delivery", date_order="DMY", header=HEADER):
    sheet = read_upload(xlsx([header, *rows]), "delivery.xlsx", mode=mode)
    return stock_lines(sheet, mode, date_order)


def test_a_workbook_from_another_tool_with_every_date_style():
    lines, errors = typed([
        ["Vitamin C", None, "L1", datetime(2027, 3, 31), 2, 12.5, "Acme", date(2026, 5, 2)],
        ["Vitamin C", None, "L2", "2027-03-31", "2,5", "€12.50", None, "02/05/2026"],
        ["Vitamin C", None, "L3", 46477, 1, None, None, 46144],
        ["Vitamin C", None, "L4", "EXP 2027-03", 1.5, None, None, "2 May 2026"],
        ["Vitamin C", None, "L5", "03/2027", 3, None, None, None],
        ["Vitamin C", None, "L6", "31.3.27", 3, None, None, None],
    ])
    assert errors == []
    assert [(line.lot, line.expiry) for line in lines] == [(f"L{i}", date(2027, 3, 31)) for i in range(1, 7)]
    assert [line.received for line in lines] == [date(2026, 5, 2)] * 4 + [None, None]
    assert [line.quantity for line in lines] == [D(2), D("2.5"), D(1), D("1.5"), D(3), D(3)]
    assert lines[1].unit_cost == D("12.5") and lines[0].supplier == "Acme"


def test_the_day_order_reads_text_dates_only():
    rows = [["Zinc", None, "L1", "03/04/2027", 1, None, None, datetime(2026, 5, 2)]]
    assert typed(rows, date_order="DMY")[0][0].expiry == date(2027, 4, 3)
    assert typed(rows, date_order="MDY")[0][0].expiry == date(2027, 3, 4)


def test_a_product_by_gtin_alone():
    lines, errors = typed([[None, 9506000134352, "L1", "2027-03-31", 1, None, None, None]])
    assert errors == []
    assert (lines[0].product, lines[0].gtin) == (None, "09506000134352")


def test_every_bad_cell_of_every_row_is_listed_and_no_line_is_given_for_those_rows():
    good = ["Zinc", None, "L1", "2027-03-31", 1, None, None, None]
    lines, errors = typed([
        good,
        ["Zinc", "12345", "L2", "1/2/3", "abc", -1, None, "2027-03"],
        [None, None, None, None, None, None, "Acme", None],
        good,
    ])
    assert [line.row_number for line in lines] == [2, 5]
    assert errors == [
        CellError("Stock", 3, "B (GTIN)", "12345", "Not a valid GTIN: it is not 8, 12, 13 or 14 digits."),
        CellError("Stock", 3, "D (Expiry)", "1/2/3", "Ambiguous date: the year has 1 digit(s); write it as YYYY-MM-DD."),
        CellError("Stock", 3, "E (Qty)", "abc", "Not a number."),
        CellError("Stock", 3, "F (Unit cost)", "-1", "Cannot be negative."),
        CellError("Stock", 3, "H (Received)", "2027-03", "Gives a month but no day; write it as YYYY-MM-DD."),
        CellError("Stock", 4, "A (Product)", "", "Give the product's name or its GTIN."),
        CellError("Stock", 4, "C (Lot)", "", "Empty: every row needs a lot number."),
        CellError("Stock", 4, "D (Expiry)", "", "Empty: every row needs an expiry date."),
        CellError("Stock", 4, "E (Qty)", "", "Empty: every row needs a quantity."),
    ]
    assert str(errors[0]) == "Stock, row 3, column B (GTIN) '12345': Not a valid GTIN: it is not 8, 12, 13 or 14 digits."


def test_one_bad_row_among_thousands_is_named():
    rows = [["Zinc", None, f"L{i}", "2027-03-31", 1, None, None, None] for i in range(3000)]
    rows[1776][4] = "1,5,"
    lines, errors = typed(rows)
    assert len(lines) == 2999
    assert errors == [CellError("Stock", 1778, "E (Qty)", "1,5,", "Not a number.")]


def test_a_delivery_needs_more_than_zero_but_a_stocktake_may_count_zero():
    rows = [["Zinc", None, "L1", "2027-03-31", 0, None, None, None]]
    assert typed(rows)[1] == [CellError("Stock", 2, "E (Qty)", "0", "Must be more than 0.")]
    lines, errors = typed(rows, mode="stocktake")
    assert errors == [] and lines[0].quantity == 0


def test_a_stocktake_needs_no_expiry():
    lines, errors = typed([["Zinc", "L1", 4]], mode="stocktake", header=["Product", "Lot", "Counted"])
    assert errors == []
    assert lines == [StockLine(2, "L1", D(4), "Zinc")]


def test_a_lot_number_too_long_for_the_ledger():
    _, errors = typed([["Zinc", None, "L" * 41, "2027-03-31", 1, None, None, None]])
    assert errors == [CellError("Stock", 2, "C (Lot)", "L" * 41, "Longer than 40 characters.")]


def test_true_and_one_are_not_the_same_quantity():
    _, errors = typed([["Zinc", None, "L1", "2027-03-31", 1, None, None, None],
                       ["Zinc", None, "L2", "2027-03-31", True, None, None, None]])
    assert errors == [CellError("Stock", 3, "E (Qty)", "TRUE", "TRUE/FALSE, not a number.")]


def test_a_formula_without_a_result_is_reported_once_and_its_row_gives_no_line():
    lines, errors = typed([["Zinc", None, "L1", "2027-03-31", "=1+1", None, None, None],
                           ["Zinc", None, "L2", "2027-03-31", 1, None, None, None]])
    assert [line.lot for line in lines] == ["L2"]
    assert [(error.row, error.column, error.value) for error in errors] == [(2, "E (Qty)", "=1+1")]


def test_a_row_of_formulas_alone_is_still_reported():
    lines, errors = typed([[None, None, "=A1", "=A1", "=A1", None, None, None]])
    assert lines == []
    assert [error.column for error in errors] == ["C (Lot)", "D (Expiry)", "E (Qty)"]


def test_a_row_blank_but_for_formulas_is_a_row_read():
    sheet = read_upload(xlsx([HEADER, [None, None, None, None, "=A1", None, None, None]]), "d.xlsx", mode="delivery")
    lines, errors = stock_lines(sheet, "delivery", "DMY")
    assert sheet.row_numbers == [2] and lines == []
    assert [(error.row, error.column) for error in errors] == [(2, "E (Qty)")]


def test_an_unknown_mode_is_a_programming_error():
    sheet = read_upload(xlsx([HEADER]), "x.xlsx", mode="delivery")
    with pytest.raises(ValueError, match="mode"):
        stock_lines(sheet, "count", "DMY")


def test_a_formula_without_a_result_in_a_column_a_line_does_not_use_is_no_error():
    header = ["Product", "Lot", "Counted", "Value"]
    lines, errors = typed([["Zinc", "L1", 2, "=C2*3"]], mode="stocktake", header=header)
    assert errors == [] and [line.lot for line in lines] == ["L1"]


def test_errors_come_in_sheet_order_whoever_found_them():
    _, errors = typed([["Zinc", None, "L1", "2027-03-31", "abc", None, None, None],
                       ["Zinc", None, "L2", "2027-03-31", "=1+1", None, None, None],
                       ["Zinc", None, "L3", "someday", 1, None, None, None]])
    assert [(error.row, error.column) for error in errors] == [(2, "E (Qty)"), (3, "E (Qty)"), (4, "D (Expiry)")]
