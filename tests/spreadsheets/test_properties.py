"""Properties: whatever the cells hold, reading ends in rows or named errors, and text survives exactly."""

import csv
import io
import math
from datetime import date, datetime, timedelta
from decimal import Decimal as D

import xlsxwriter
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from formulary.spreadsheets.errors import CellError, WorkbookRefused
from formulary.spreadsheets.format import STOCK_HEADERS
from formulary.spreadsheets.lines import stock_lines
from formulary.spreadsheets.reader import read_upload
from formulary.spreadsheets.writer import FORMULA_TRIGGERS, StockRow, write_stock_workbook

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
FORMULA_LIKE = st.builds(lambda start, rest: start + rest, st.sampled_from(FORMULA_TRIGGERS), TEXT)
CELL = st.one_of(
    st.none(),
    TEXT,
    FORMULA_LIKE,
    st.sampled_from(["2027-03", "03/04/27", "1/2/3", "2,5", "1,000", "EXP 2027-03", "Mar 2027", "-0", "0"]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**15), 10**15),
    st.booleans(),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 12, 31)),
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def write_cells(rows) -> bytes:
    """A Stock sheet whose cells hold anything a spreadsheet can hold, each with its real type."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"strings_to_formulas": False, "nan_inf_to_errors": True})
    sheet = workbook.add_worksheet("Stock")
    dated = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, STOCK_HEADERS)
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if isinstance(value, str):
                sheet.write_string(number, column, value)
            elif isinstance(value, bool):
                sheet.write_boolean(number, column, value)
            elif isinstance(value, datetime):
                sheet.write_datetime(number, column, value, dated)
            elif value is not None:
                sheet.write_number(number, column, value)
    workbook.close()
    return buffer.getvalue()


@SETTINGS
@given(rows=st.lists(st.lists(CELL, min_size=len(STOCK_HEADERS), max_size=len(STOCK_HEADERS)), max_size=8),
       mode=st.sampled_from(["delivery", "stocktake"]), date_order=st.sampled_from(["DMY", "MDY"]))
# A row blank but for an error cell (#NUM!, which calamine shows as empty): read, and its error named.
@example(rows=[[None] * 4 + [math.nan] + [None] * (len(STOCK_HEADERS) - 5)], mode="delivery", date_order="DMY")
def test_any_cells_end_in_lines_or_named_cell_errors(rows, mode, date_order):
    try:
        sheet = read_upload(write_cells(rows), "stock.xlsx", mode=mode)
    except WorkbookRefused as refused:
        assert refused.message
        return
    lines, errors = stock_lines(sheet, mode, date_order)
    assert all(isinstance(error, CellError) and error.message and error.row >= 2 for error in errors)
    assert {line.row_number for line in lines}.isdisjoint(error.row for error in errors)
    assert len(lines) + len({error.row for error in errors}) <= len(sheet.rows)


@SETTINGS
@given(rows=st.lists(st.lists(st.one_of(TEXT, FORMULA_LIKE), min_size=4, max_size=4), max_size=6),
       delimiter=st.sampled_from([",", ";", "\t"]), encoding=st.sampled_from(["utf-8-sig", "utf-8", "utf-16"]))
def test_any_csv_ends_in_lines_or_named_errors(rows, delimiter, encoding):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["Product", "Lot", "Expiry", "Qty"])
    writer.writerows(rows)
    try:
        sheet = read_upload(buffer.getvalue().encode(encoding), "stock.csv", mode="delivery")
    except WorkbookRefused as refused:
        assert refused.message
        return
    stock_lines(sheet, "delivery", "DMY")


@SETTINGS
@given(texts=st.lists(st.one_of(TEXT, FORMULA_LIKE).filter(lambda text: text != ""), min_size=1, max_size=6),
       quantities=st.lists(st.decimals(0, 10**6, places=3), min_size=6, max_size=6),
       days=st.lists(st.integers(0, 60_000), min_size=6, max_size=6))
def test_exported_text_numbers_and_dates_read_back_identical(texts, quantities, days):
    rows = [
        StockRow(text, None, None, text, date(2000, 1, 1) + timedelta(days=day), "available", quantity, "mL",
                 None, None, text, None, unit_size=D("2.5"))
        for text, quantity, day in zip(texts, quantities, days, strict=False)
    ]
    buffer = io.BytesIO()
    write_stock_workbook(buffer, rows, [], date(2026, 6, 1), 30)
    sheet = read_upload(buffer.getvalue(), "stock.xlsx", mode="stocktake")
    read = [row.cells for row in sheet.rows]
    assert len(read) == len(rows)  # every row has its expiry and quantity, so none is blank
    for row, cells in zip(rows, read, strict=True):
        assert (cells["product"], cells["lot"], cells["supplier"]) == (row.product, row.lot, row.supplier)
        assert cells["expiry"] == row.expiry
        sealed, opened = D(repr(cells["sealed"])), D(repr(cells["opened"]))  # counted in 2.5 mL vials
        assert sealed == int(sealed) and 0 <= opened < D("2.5")
        assert (sealed * D("2.5") + opened).normalize() == row.on_hand.normalize()
