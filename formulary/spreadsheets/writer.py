"""The stock workbook and the delivery template, written with XlsxWriter from plain rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import BinaryIO, NamedTuple

import xlsxwriter

from formulary.money import excel_money_format
from formulary.quantity import count_size, fmt_count, package_label, split_count
from formulary.spreadsheets.count_record import QUANTITY_AT_COUNT, CountRecord, write_count_record
from formulary.spreadsheets.format import (
    EXPORT_HEADERS,
    OPENED,
    PRODUCT_HEADERS,
    PRODUCTS_SHEET,
    SEALED,
    STOCK_HEADERS,
    STOCK_SHEET,
    column_letter,
)

DATE_FORMAT = "yyyy-mm-dd"
MONEY_FORMAT = "#,##0.00##"
VALUE_FORMAT = "#,##0.00"
MAX_WIDTH = 60
# A spreadsheet takes text starting with these for a formula (or strips them), full-width forms included.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
# Never let XlsxWriter guess: every user text goes through write_string, but be safe anyway.
_OPTIONS = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
_EXPIRY = STOCK_HEADERS.index("Expiry")
assert EXPORT_HEADERS.index("Expiry") == _EXPIRY  # the expiry rules serve the export and the template alike
_DATE_COLUMNS = (_EXPIRY, STOCK_HEADERS.index("Received"))
_SEALED, _OPENED = EXPORT_HEADERS.index(SEALED), EXPORT_HEADERS.index(OPENED)
_BELOW = PRODUCT_HEADERS.index("Below reorder")
_TEMPLATE_ROWS = 1000
INSTRUCTIONS_SHEET = "Instructions"


class StockRow(NamedTuple):
    """One lot as the Stock sheet shows it, in column order (StockRow._make(row) from a query row)."""

    product: str
    gtin: str | None
    category: str | None
    lot: str
    expiry: date
    status: str
    on_hand: Decimal
    unit: str
    unit_cost: Decimal | None
    value: Decimal | None
    supplier: str | None
    received: date | None
    lot_id: int | None = None  # written only into the count record
    package: str = "vial"  # what one sealed unit is on the shelf
    unit_size: Decimal = Decimal(1)  # and what it holds, in the stock unit
    opened: Decimal = Decimal(0)  # of on_hand, what opened units hold


class ProductRow(NamedTuple):
    """One product's totals as the Products sheet shows them, in column order."""

    product: str
    gtin: str | None
    category: str | None
    unit: str
    on_hand: Decimal
    reorder_level: Decimal | None
    below_reorder: bool
    in_units: str = ""  # on hand as sealed units and opened content, the volume beside


class _Sheet:
    """A worksheet written row by row, remembering how wide each column has to be."""

    def __init__(self, workbook, name: str, headers: tuple[str, ...], formats: dict) -> None:
        self.sheet = workbook.add_worksheet(name)
        self.formats = formats
        self.widths = [len(header) + 4 for header in headers]  # room for the filter button
        self.column_formats: dict[int, object] = {}
        self.row = 0
        for column, header in enumerate(headers):
            self.sheet.write_string(0, column, header, formats["header"])
        self.sheet.freeze_panes(1, 0)

    def text(self, column: int, value: str | None) -> None:
        """A text cell holding exactly the value: never a formula, whatever it starts with."""
        if not value:
            return
        write_text(self.sheet, self.row, column, value, self.formats["quoted"])
        if len(value) > self.widths[column]:
            self.widths[column] = len(value)

    def number(self, column: int, value: Decimal | None, style: str | None = None) -> None:
        if value is None:
            return
        self.sheet.write_number(self.row, column, float(value), self.formats[style] if style else None)
        width = len(str(value)) + 3  # thousands separators and decimals the format adds
        if width > self.widths[column]:
            self.widths[column] = width

    def date(self, column: int, value: date | None) -> None:
        if value is None:
            return
        self.sheet.write_datetime(self.row, column, value, self.formats["date"])
        if self.widths[column] < 11:
            self.widths[column] = 11

    def finish(self, *, autofilter: bool = True) -> None:
        """Filters over the rows written, and widths that fit them."""
        if autofilter:
            self.sheet.autofilter(0, 0, self.row, len(self.widths) - 1)
        for column, width in enumerate(self.widths):
            self.sheet.set_column(column, column, min(width + 2, MAX_WIDTH), self.column_formats.get(column))


def write_text(sheet, row: int, column: int, value: str, quoted, style=None) -> None:
    """A text cell that stays text: one that a spreadsheet could take for a formula keeps a quote prefix.

    `quoted` is the workbook's format with quote_prefix set (and `style`'s look, if any).
    """
    sheet.write_string(row, column, value, quoted if looks_like_formula(value) else style)


def looks_like_formula(value: str) -> bool:
    """Whether a spreadsheet would read this text as a formula (or strip its first character)."""
    return value.startswith(FORMULA_TRIGGERS)


def _formats(workbook, currency: str | None = None) -> dict:
    money, value = MONEY_FORMAT, VALUE_FORMAT
    if currency:  # the clinic's currency: its symbol and decimals on every cost and value
        money, value = excel_money_format(currency, extra_decimals=2), excel_money_format(currency)
    return {
        "header": workbook.add_format({"bold": True, "bottom": 1, "bg_color": "#F2F2F2"}),
        "quoted": workbook.add_format({"quote_prefix": True}),  # stays text when edited in Excel
        "date": workbook.add_format({"num_format": DATE_FORMAT}),
        "money": workbook.add_format({"num_format": money}),
        "value": workbook.add_format({"num_format": value}),
        "expired": workbook.add_format({"bg_color": "#F8D7DA", "font_color": "#842029"}),
        "expiring": workbook.add_format({"bg_color": "#FFF3CD", "font_color": "#664D03"}),
        "below": workbook.add_format({"bg_color": "#FFF3CD"}),
        "then": workbook.add_format({"bg_color": "#E9ECEF", "font_color": "#495057"}),
        "count": workbook.add_format({"bg_color": "#FFFDE7"}),  # the cells to count in
    }


def write_stock_workbook(
    stream: BinaryIO | str,
    stock_rows: Iterable[StockRow],
    product_rows: Iterable[ProductRow],
    today: date,
    warning_days: int,
    record: CountRecord | None = None,
    currency: str | None = None,
) -> None:
    """The Stock sheet (one row per lot, counted in units, expired and expiring lots highlighted), the
    Products sheet and the instructions for counting.

    Each lot's Sealed units and Opened content hold what formulary holds now, for the counter to
    overwrite. With a count `record` (the moment and the database), each Stock row also shows its
    quantity at that moment, and a hidden sheet keeps the record the stocktake import reads.
    """
    workbook = xlsxwriter.Workbook(stream, {"constant_memory": True, **_OPTIONS})
    workbook.set_properties({"title": f"Stock on {today.isoformat()}", "created": _midnight(today)})
    formats = _formats(workbook, currency)
    headers = EXPORT_HEADERS + ((QUANTITY_AT_COUNT,) if record else ())
    stock = _Sheet(workbook, STOCK_SHEET, headers, formats)
    text, number, when = stock.text, stock.number, stock.date
    then_column, counted = len(EXPORT_HEADERS), []
    write_number, count_format, then_format = stock.sheet.write_number, formats["count"], formats["then"]
    stock.sheet.write_comment(0, _SEALED, (
        "Whole, unopened vials, ampoules or boxes (the Package column says what one holds). Overwrite "
        "with what you count; 0 when none is left."), {"x_scale": 2})
    stock.sheet.write_comment(0, _OPENED, (
        "What opened vials (or an opened box) still hold, in the Unit column's unit: read it off the "
        "vial. 0 when none is open."), {"x_scale": 2})
    if record is not None:
        stock.sheet.write_comment(0, then_column, (
            "What the lot held when this workbook was made. Write the count in Sealed units and Opened "
            "content; the import applies counted minus this, so sessions given meanwhile are kept."), {"x_scale": 2})
    units: dict[tuple[str, Decimal, str], tuple[str, Decimal]] = {}  # (package, size, unit) → label, count size
    # (on hand, opened, package, size, unit) → sealed, opened, the text at count: lots repeat quantities, so
    # each distinct count is split and written out once (a tenth of the rows, or fewer, on a clinic's stock).
    counts: dict[tuple, tuple[float, float, str]] = {}
    then_width = stock.widths[then_column] if record is not None else 0
    for row in stock_rows:
        stock.row += 1
        text(0, row.product)
        text(1, row.gtin)
        text(2, row.category)
        text(3, row.lot)
        when(4, row.expiry)
        text(5, row.status)
        key = (row.package, row.unit_size, row.unit)
        known = units.get(key)
        if known is None:
            known = units[key] = (package_label(*key), count_size(row.unit, row.unit_size, row.package))
        label, size = known
        text(6, label)
        count_key = (row.on_hand, row.opened, key)
        count = counts.get(count_key)
        if count is None:
            sealed, opened = split_count(row.on_hand, row.opened, size)
            count = counts[count_key] = (float(sealed), float(opened),
                                         fmt_count(sealed, opened, row.unit, size, row.package))
        write_number(stock.row, _SEALED, count[0], count_format)
        write_number(stock.row, _OPENED, count[1], count_format)
        text(9, row.unit)
        number(10, row.unit_cost, "money")
        number(11, row.value, "value")
        text(12, row.supplier)
        when(13, row.received)
        if record is not None and row.lot_id is not None:
            stock.sheet.write_string(stock.row, then_column, count[2], then_format)
            then_width = max(then_width, len(count[2]))
            counted.append((row.lot_id, float(row.on_hand)))
    if record is not None:
        stock.widths[then_column] = then_width
    stock.widths[_SEALED] = stock.widths[_OPENED] = 16  # room to write a count by hand
    stock.column_formats = {_SEALED: count_format, _OPENED: count_format}
    stock.finish()
    _highlight_expiry(stock, formats, warning_days, len(headers))
    _print_setup(stock.sheet, f"Stock on {today.isoformat()}")

    products = _Sheet(workbook, PRODUCTS_SHEET, PRODUCT_HEADERS, formats)
    for product in product_rows:
        products.row += 1
        products.text(0, product.product)
        products.text(1, product.gtin)
        products.text(2, product.category)
        products.text(3, product.unit)
        products.number(4, product.on_hand)
        products.text(5, product.in_units)
        products.number(6, product.reorder_level)
        products.text(_BELOW, "yes" if product.below_reorder else "no")
    products.finish()
    if products.row:
        cells = f"A2:{column_letter(len(PRODUCT_HEADERS) - 1)}{products.row + 1}"
        rule = {"type": "formula", "criteria": f'=${column_letter(_BELOW)}2="yes"', "format": formats["below"]}
        products.sheet.conditional_format(cells, rule)
    _print_setup(products.sheet, f"Products on {today.isoformat()}")
    _write_count_instructions(workbook.add_worksheet(INSTRUCTIONS_SHEET), formats)
    if record is not None:
        write_count_record(workbook, record, counted, formats)
    workbook.close()


def _print_setup(sheet, title: str) -> None:
    """Printed on A4 landscape, every column on the page's width, the header row on every page."""
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)  # one page wide, as many tall as it takes
    sheet.repeat_rows(0)
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.set_header(f"&L&\"Calibri,Bold\"{title.replace('&', '&&')}")
    sheet.set_footer("&RPage &P of &N")


def _highlight_expiry(stock: _Sheet, formats: dict, warning_days: int, width: int = len(STOCK_HEADERS)) -> None:
    """Rules on TODAY(): the colours stay right on the day the file is opened, not the day it was written."""
    if not stock.row:
        return
    expiry = f"${column_letter(_EXPIRY)}2"
    cells = f"A2:{column_letter(width - 1)}{stock.row + 1}"
    rules = (
        (f'=AND({expiry}<>"",{expiry}<TODAY())', "expired"),
        (f'=AND({expiry}<>"",{expiry}<=TODAY()+{int(warning_days)})', "expiring"),
    )
    for criteria, style in rules:
        rule = {"type": "formula", "criteria": criteria, "format": formats[style], "stop_if_true": True}
        stock.sheet.conditional_format(cells, rule)


def write_delivery_template(stream: BinaryIO | str, product_names: Iterable[str], date_order: str) -> None:
    """An empty Stock sheet to fill in: product drop-down, date cells, checks, and an Instructions sheet."""
    workbook = xlsxwriter.Workbook(stream, _OPTIONS)
    formats = _formats(workbook)
    stock = _Sheet(workbook, STOCK_SHEET, STOCK_HEADERS, formats)
    instructions = workbook.add_worksheet(INSTRUCTIONS_SHEET)
    lists = workbook.add_worksheet("Lists")
    names = sorted(set(product_names), key=str.casefold)
    for row, name in enumerate(names):
        lists.write_string(row, 0, name)
    lists.hide()
    stock.column_formats = {column: formats["date"] for column in _DATE_COLUMNS}

    def cells(header: str) -> str:
        letter = column_letter(STOCK_HEADERS.index(header))
        return f"{letter}2:{letter}{_TEMPLATE_ROWS + 1}"

    if names:
        # A list on another sheet: an inline list is limited to 255 characters.
        stock.sheet.data_validation(cells("Product"), {
            "validate": "list", "source": f"=Lists!$A$1:$A${len(names)}",
            "error_title": "Product", "error_message": "Choose a product of the catalogue, or give its GTIN.",
        })  # fmt: skip
    for header in ("Expiry", "Received"):
        stock.sheet.data_validation(cells(header), {
            "validate": "date", "criteria": ">=", "value": datetime(2000, 1, 1),
            "input_title": header, "input_message": "A date such as 2027-03-31.",
            "error_message": "Type a date, such as 2027-03-31.",
        })  # fmt: skip
    stock.sheet.data_validation(cells("On hand"), {
        "validate": "decimal", "criteria": ">", "value": 0,
        "error_message": "The quantity received, in the product's stock unit: a number above 0.",
    })  # fmt: skip
    stock.widths[0] = max([stock.widths[0], *(len(name) for name in names)])
    stock.finish(autofilter=False)
    _write_instructions(instructions, formats, date_order)
    workbook.close()


def _write_instructions(sheet, formats: dict, date_order: str) -> None:
    order = "day/month/year" if date_order == "DMY" else "month/day/year"
    lines = [
        "Delivery template",
        "Fill in one row per lot received on the Stock sheet, then import it as a delivery.",
        "Required: Product (from the list) or GTIN, Lot, Expiry, and On hand (the quantity received).",
        "Optional: Unit cost, Supplier, and Received (the delivery date).",
        "Category, Status, Unit and Value come from the catalogue: you may leave them empty.",
        f"Dates: date cells, or text as YYYY-MM-DD; other text dates are read {order}.",
        "An expiry printed with only a month (EXP 2027-03): type its last day (2027-03-31).",
        "If any row has an error, nothing is imported, and every error is listed with its row.",
    ]
    for row, line in enumerate(lines):
        sheet.write_string(row, 0, line, formats["header"] if row == 0 else None)
    sheet.set_column(0, 0, max(map(len, lines)))


COUNT_INSTRUCTIONS = [
    "Counting with this workbook",
    "Count each lot on the Stock sheet as it sits on the shelf, in the two yellow columns:",
    f"  {SEALED}: the whole, unopened vials, ampoules or boxes (Package says what one is and holds); 0 if none.",
    f"  {OPENED}: what opened vials (or an opened box) still hold, in the Unit column's unit; 0 if none is open.",
    "  Read an opened vial's content off its graduation (7 mL left in a 20 mL vial), rather than as a part of "
    "a vial (0.35): it is what you see, and the import works out the rest (sealed × what one holds + opened).",
    "  Count an opened vial past its use-by like any other, then discard it from the dashboard ('Opened vials "
    "to discard'): that records the waste with its reason.",
    "Both columns hold what formulary holds now: overwrite them with what you count. A row left as it is agrees.",
    f"{QUANTITY_AT_COUNT}: what the lot held when this workbook was made, in units with the volume beside. "
    "Import the workbook as a stocktake: it applies counted minus this, so sessions given while you count stand.",
    "A lot whose row you delete is reported as not counted, and zeroed only if you ask.",
    "Sealed units must be whole numbers; a row in error is named with its row and column, and nothing is imported.",
    "A workbook exported before counting in units has an On hand column instead (the count in the stock unit, "
    f"e.g. mL): it is still read so. A file with both On hand and {SEALED} is refused: keep one.",
]


def _write_count_instructions(sheet, formats: dict) -> None:
    for row, line in enumerate(COUNT_INSTRUCTIONS):
        sheet.write_string(row, 0, line, formats["header"] if row == 0 else None)
    sheet.set_column(0, 0, 110)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)
