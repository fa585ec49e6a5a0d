"""Reading: the header found by its aliases, the spreadsheet's own row numbers, formulas, CSV."""

import io
from datetime import date, datetime

import openpyxl
import pytest
import xlsxwriter

from formulary.spreadsheets.errors import CellError, WorkbookRefused
from formulary.spreadsheets.format import field_for_header, header_key, missing_columns
from formulary.spreadsheets.reader import read_upload
from tests.spreadsheets.workbooks import edit_part, xlsx

HEADER = ["Product", "Lot", "Expiry", "On hand"]


def refusal(data: bytes, filename: str = "stock.xlsx", **kwargs) -> str:
    with pytest.raises(WorkbookRefused) as caught:
        read_upload(data, filename, **({"mode": "delivery"} | kwargs))
    return caught.value.message


@pytest.mark.parametrize(("header", "field"), [
    ("Lot No.", "lot"), ("LOT NUMBER", "lot"), ("Batch", "lot"), ("batch  no", "lot"), ("Lot", "lot"),
    ("Exp. date", "expiry"), ("Expiry date", "expiry"), ("Use by", "expiry"), ("Best before", "expiry"),
    ("EXP", "expiry"), ("Expires", "expiry"),
    ("Qty", "quantity"), ("Quantity", "quantity"), ("Count", "quantity"), ("Counted", "quantity"),
    ("On hand", "quantity"), ("ON-HAND", "quantity"),
    ("Item", "product"), ("Product name", "product"), ("Description", "product"),
    ("EAN", "gtin"), ("GTIN-13", "gtin"), ("Barcode", "gtin"), ("gtin", "gtin"),
    ("Received on", "received"), ("Delivery date", "received"),
    ("Cost", "unit_cost"), ("Unit price", "unit_cost"), ("Price", "unit_cost"), ("Unit cost", "unit_cost"),
    ("Vendor", "supplier"), ("Supplier", "supplier"), ("\u00a0Supplier\u00a0", "supplier"),
    ("Notes", None), ("", None), (42, None), (None, None),
])
def test_headers_match_their_aliases_whatever_the_case_spacing_and_punctuation(header, field):
    assert field_for_header(header) == field


def test_header_keys():
    assert header_key("Lot No.") == header_key("lot no") == "lotno"
    assert header_key("Exp. Date") == "expdate"


def test_required_columns_per_mode():
    assert missing_columns({"product", "lot", "quantity"}, "delivery") == ["Expiry"]
    assert missing_columns({"gtin", "lot", "quantity"}, "stocktake") == []
    assert missing_columns({"lot"}, "stocktake") == ["Product or GTIN", "On hand or Sealed units"]


def test_an_aliased_header_row_with_extra_columns():
    data = xlsx([
        ["Item", "EAN", "Batch no", "Use by", "Count", "Unit price", "Vendor", "Delivery date", "Notes", "Colour"],
        ["Vitamin C 20%", "09506000134352", "L1", date(2027, 3, 31), 2, 12.5, "Acme", date(2026, 5, 1), "x", "red"],
    ])
    sheet = read_upload(data, "delivery.xlsx", mode="delivery")
    assert sheet.sheet_name == "Stock" and sheet.header_row_number == 1
    assert sheet.columns == {"product": "A", "gtin": "B", "lot": "C", "expiry": "D", "quantity": "E",
                             "unit_cost": "F", "supplier": "G", "received": "H"}
    assert sheet.headers["lot"] == "Batch no"
    assert sheet.column_label("expiry") == "D (Use by)"
    assert sheet.ignored_columns == ["I (Notes)", "J (Colour)"]
    [row] = sheet.rows
    assert row.row_number == 2
    assert row.cells == {"product": "Vitamin C 20%", "gtin": "09506000134352", "lot": "L1",
                         "expiry": date(2027, 3, 31), "quantity": 2, "unit_cost": 12.5, "supplier": "Acme",
                         "received": date(2026, 5, 1)}


def test_the_header_below_a_title_and_right_of_an_empty_column_keeps_the_sheet_row_numbers():
    data = xlsx([
        [None, "Delivery from Acme, 3 March"],
        [],
        [None, "Product", "Lot No.", "Exp. date", "Qty"],
        [None, "Vitamin C 20%", "L1", "2027-03-31", 2],
        [],
        [None, "   ", None, None, None],
        [None, "Zinc", "L2", "2027-04-30", 1],
    ])
    sheet = read_upload(data, "delivery.xlsx", mode="delivery")
    assert sheet.header_row_number == 3
    assert sheet.columns == {"product": "B", "lot": "C", "expiry": "D", "quantity": "E"}
    assert [(row.row_number, row.cells["lot"]) for row in sheet.rows] == [(4, "L1"), (7, "L2")]


def test_no_header_row_says_which_headers_are_expected():
    data = xlsx([["Name of thing", "Number"], ["x", 1]])
    assert refusal(data) == (
        "No header row found in the first 10 rows of the sheet 'Stock'; "
        "a delivery file needs the columns Product or GTIN, Lot, Expiry, On hand or Sealed units."
    )


def test_a_header_lower_than_row_ten_is_not_found():
    data = xlsx([[f"note {i}"] for i in range(10)] + [HEADER, ["A", "L1", "2027-03-31", 1]])
    assert refusal(data).startswith("No header row found in the first 10 rows")


def test_a_missing_required_column_is_named():
    data = xlsx([["Product", "Lot", "Qty"], ["A", "L1", 1]])
    assert refusal(data) == (
        "Sheet 'Stock' has no Expiry column (header row 1); "
        "a delivery file needs Product or GTIN, Lot, Expiry, On hand or Sealed units."
    )
    assert read_upload(data, "count.xlsx", mode="stocktake").rows[0].cells["quantity"] == 1


def test_two_columns_for_the_same_field_are_refused():
    data = xlsx([["Product", "Lot", "Expiry", "Qty", "Counted"], ["A", "L1", "2027-03-31", 1, 2]])
    assert refusal(data) == "Columns D (Qty) and E (Counted) both mean On hand; keep one of them."


def test_more_rows_than_allowed_are_refused_and_blank_rows_do_not_count():
    rows = [HEADER] + [["A", f"L{i}", "2027-03-31", 1] for i in range(5)]
    assert len(read_upload(xlsx(rows), "x.xlsx", mode="delivery", max_rows=5).rows) == 5
    with_blanks = rows[:3] + [[], [None, None]] + rows[3:]
    assert len(read_upload(xlsx(with_blanks), "x.xlsx", mode="delivery", max_rows=5).rows) == 5
    assert refusal(xlsx(rows + [["A", "L9", "2027-03-31", 1]]), max_rows=5) == (
        "This file has more than 5 rows; split it into smaller files."
    )


def test_more_csv_rows_than_allowed_are_refused():
    text = "Product,Lot,Expiry,Qty\n" + "".join(f"A,L{i},2027-03-31,1\n" for i in range(6))
    assert refusal(text.encode(), "x.csv", max_rows=5) == "This file has more than 5 rows; split it into smaller files."
    assert len(read_upload(text.encode(), "x.csv", mode="delivery", max_rows=6).rows) == 6


def test_the_stock_sheet_is_read_wherever_it_is():
    data = xlsx([["Summary"], ["nothing here"]], title="Notes",
                extra_sheets=[("Stock", [HEADER, ["A", "L1", "2027-03-31", 1]])])
    assert read_upload(data, "x.xlsx", mode="delivery").sheet_name == "Stock"


def test_without_a_stock_sheet_the_first_sheet_with_a_header_is_read():
    data = xlsx([["Summary"]], title="Notes", extra_sheets=[("Lots", [HEADER, ["A", "L1", "2027-03-31", 1]])])
    sheet = read_upload(data, "x.xlsx", mode="delivery")
    assert (sheet.sheet_name, len(sheet.rows)) == ("Lots", 1)


def test_a_hidden_sheet_is_not_read():
    workbook = openpyxl.Workbook()
    workbook.active.title = "Secret"
    workbook.active.append(HEADER)
    workbook.active.append(["A", "L1", "2027-03-31", 1])
    workbook.active.sheet_state = "hidden"
    workbook.create_sheet("Visible").append(["nothing"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert "the sheet 'Visible'" in refusal(buffer.getvalue())


def formula_cell(sheet, row):
    return next(error for error in sheet.errors if error.row == row)


def test_a_formula_without_a_saved_result_is_an_error_for_that_cell():
    # openpyxl writes formulas without their result, as a program that never calculates does.
    data = xlsx([HEADER, ["A", "L1", "2027-03-31", "=1+1"], ["B", "L2", "2027-03-31", 3]])
    sheet = read_upload(data, "x.xlsx", mode="delivery")
    assert sheet.errors == [CellError(
        "Stock", 2, "D (On hand)", "=1+1",
        "A formula with no saved result; open the file in Excel or LibreOffice and save it again, "
        "or type the value.",
    )]
    assert [row.cells["quantity"] for row in sheet.rows] == ["", 3]


def test_a_formula_with_a_saved_result_gives_that_result():
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer)
    sheet = workbook.add_worksheet("Stock")
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, ["A", "L1", "2027-03-31"])
    sheet.write_formula(1, 3, "=1+1", None, 2)  # XlsxWriter stores the result given
    sheet.write_formula(1, 4, '=""', None, "")  # a formula whose result is empty text: not an error
    workbook.close()
    parsed = read_upload(buffer.getvalue(), "x.xlsx", mode="delivery")
    assert parsed.errors == []
    assert parsed.rows[0].cells["quantity"] == 2


def test_a_hand_written_cached_result_and_an_error_value():
    data = xlsx([HEADER, ["A", "L1", "2027-03-31", "=1+1"], ["B", "L2", "=1/0", 5]])

    def cache(text):
        text = text.replace('<c r="D2"><f>1+1</f><v></v></c>', '<c r="D2"><f>1+1</f><v>2</v></c>')
        return text.replace('<c r="C3"><f>1/0</f><v></v></c>', '<c r="C3" t="e"><f>1/0</f><v>#DIV/0!</v></c>')

    edited = edit_part(data, "xl/worksheets/sheet1.xml", lambda text: cache(text.replace("<v />", "<v></v>")))
    sheet = read_upload(edited, "x.xlsx", mode="delivery")
    assert sheet.rows[0].cells["quantity"] == 2
    assert sheet.errors == [CellError("Stock", 3, "C (Expiry)", "=1/0",
                                      "Shows the error #DIV/0!; correct the cell or type the value.")]


def test_a_formula_in_an_ignored_column_is_no_error():
    data = xlsx([HEADER + ["Notes"], ["A", "L1", "2027-03-31", 1, "=A2"]])
    assert read_upload(data, "x.xlsx", mode="delivery").errors == []


def test_a_csv_with_semicolons_a_byte_order_mark_and_decimal_commas():
    text = "\ufeffProduct;Lot No.;Exp. date;Qty;Remark\r\nVitamin C 20%;L1;31/03/2027;2,5;\r\n;;;;\r\n\"Zinc; 1%\";L2;2027-04;1;x\r\n"
    sheet = read_upload(text.encode(), "count.csv", mode="delivery")
    assert sheet.sheet_name == "count.csv"
    assert sheet.ignored_columns == ["E (Remark)"]
    assert [(row.row_number, row.cells) for row in sheet.rows] == [
        (2, {"product": "Vitamin C 20%", "lot": "L1", "expiry": "31/03/2027", "quantity": "2,5"}),
        (4, {"product": "Zinc; 1%", "lot": "L2", "expiry": "2027-04", "quantity": "1"}),
    ]


def test_a_csv_with_short_rows_and_a_title_line():
    text = "Stock count 2026-06-01\nProduct,Lot,Counted\nA,L1\nB,L2,3,extra\n"
    sheet = read_upload(text.encode(), "count.csv", mode="stocktake")
    assert sheet.header_row_number == 2
    assert [(row.row_number, row.cells["quantity"]) for row in sheet.rows] == [(3, ""), (4, "3")]


def test_a_csv_without_a_header():
    assert refusal(b"a,b,c\n1,2,3\n", "x.csv", mode="stocktake") == (
        "No header row found in the first 10 rows of 'x.csv'; "
        "a stocktake file needs the columns Product or GTIN, Lot, On hand or Sealed units."
    )


def test_real_dates_and_datetimes_come_back_as_dates_and_datetimes():
    data = xlsx([HEADER + ["Received"], ["A", "L1", datetime(2027, 3, 31), 1, datetime(2026, 5, 1, 9, 30)]])
    cells = read_upload(data, "x.xlsx", mode="delivery").rows[0].cells
    assert cells["expiry"] == date(2027, 3, 31)
    assert cells["received"] == datetime(2026, 5, 1, 9, 30)


def test_an_unknown_mode_is_a_programming_error():
    with pytest.raises(ValueError, match="mode"):
        read_upload(xlsx([HEADER]), "x.xlsx", mode="count")


def test_an_error_typed_as_a_value_and_a_formula_with_markup_are_shown_as_typed():
    data = xlsx([HEADER, ["A", "L1", "2027-03-31", '=IF(B2<"x",1,2)'], ["B", "L2", "2027-03-31", 4]])

    def typed_error(text):
        return text.replace('<c r="D3" t="n"><v>4</v></c>', '<c r="D3" t="e"><v>#N/A</v></c>')

    sheet = read_upload(edit_part(data, "xl/worksheets/sheet1.xml", typed_error), "x.xlsx", mode="delivery")
    assert [(error.row, error.value, error.message.split(";")[0]) for error in sheet.errors] == [
        (2, '=IF(B2<"x",1,2)', "A formula with no saved result"),
        (3, "#N/A", "Shows the error #N/A"),
    ]


def test_a_shared_formula_without_results_is_an_error_in_each_cell():
    data = xlsx([HEADER, ["A", "L1", "2027-03-31", 1], ["B", "L2", "2027-03-31", 2]])

    def shared(text):
        text = text.replace('<c r="D2" t="n"><v>1</v></c>', '<c r="D2"><f t="shared" ref="D2:D3" si="0">1+0</f></c>')
        return text.replace('<c r="D3" t="n"><v>2</v></c>', '<c r="D3"><f t="shared" si="0"/></c>')

    sheet = read_upload(edit_part(data, "xl/worksheets/sheet1.xml", shared), "x.xlsx", mode="delivery")
    assert [(error.row, error.value) for error in sheet.errors] == [(2, "=1+0"), (3, "(formula)")]
