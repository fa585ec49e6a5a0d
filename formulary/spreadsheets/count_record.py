"""The count record a stock workbook carries: when it was made, by which database, each lot's quantity then.

A stocktake counts what was on the shelf when the count sheet was made; sessions given
while people count must not be undone by the import. So the exported workbook keeps, on a
hidden and protected sheet, the moment of the export (UTC), this database's identifier and
each listed lot's id and quantity then. Plain text and numbers in cells: Excel and
LibreOffice keep them as they are when they re-save the file (tests/spreadsheets check the
LibreOffice round trip). A workbook without the sheet (typed by hand, a CSV) has no record
and is read as counted now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from io import BytesIO

from python_calamine import CalamineError, CalamineWorkbook

from formulary.spreadsheets.errors import WorkbookRefused
from formulary.spreadsheets.format import QUANTITY_AT_COUNT

__all__ = ["COUNT_SHEET", "QUANTITY_AT_COUNT", "CountRecord", "read_count_record", "write_count_record"]

COUNT_SHEET = "Count record"
MARK = "formulary count record"
VERSION = "1"
FIRST_LOT_ROW = 6  # 0-based: the lots' rows start here, under their header on row 5
LOT_HEADERS = ("Lot ID", "Quantity at count")  # the Stock sheet names each lot; numbers only here, for speed
DAMAGED = (f"The sheet '{COUNT_SHEET}' of this workbook is damaged ({{}}); export the stock workbook "
           "again and count on the new one, or delete that sheet to have the file read as counted now.")


@dataclass
class CountRecord:
    """What a workbook says of its count: the moment, the database, and lot id → quantity then."""

    counted_at: datetime
    database: str
    scope: str = ""
    quantities: dict[int, Decimal] = field(default_factory=dict)


def write_count_record(workbook, record: CountRecord, lots, formats: dict) -> None:
    """The hidden, protected sheet: `lots` are (lot id, quantity then) pairs.

    The quantity is a number cell: a stock quantity (Numeric(14, 3), at most 14 significant
    digits) survives the float a spreadsheet stores exactly, and numbers cost a fraction of text.
    """
    sheet = workbook.add_worksheet(COUNT_SHEET)
    sheet.write_string(0, 0, MARK)
    sheet.write_string(0, 1, VERSION)
    sheet.write_string(1, 0, "Database")
    sheet.write_string(1, 1, record.database)
    sheet.write_string(2, 0, "Counted at (UTC)")
    sheet.write_string(2, 1, record.counted_at.astimezone(UTC).isoformat(timespec="seconds"))
    sheet.write_string(3, 0, "Scope")
    sheet.write_string(3, 1, record.scope or "all stock")
    for column, header in enumerate(LOT_HEADERS):
        sheet.write_string(FIRST_LOT_ROW - 1, column, header, formats["header"])
    write = sheet.write_number
    for row, (lot_id, quantity) in enumerate(lots, start=FIRST_LOT_ROW):
        write(row, 0, lot_id)
        write(row, 1, quantity)
    sheet.set_column(0, 1, 18)
    sheet.protect()  # no password: a guard against slips, the import checks the rest
    sheet.hide()


def read_count_record(data: bytes) -> CountRecord | None:
    """The record of an .xlsx upload already guarded, or None when it has none; WorkbookRefused if damaged."""
    try:
        workbook = CalamineWorkbook.from_filelike(BytesIO(data))
        if COUNT_SHEET not in workbook.sheet_names:
            return None
        rows = workbook.get_sheet_by_name(COUNT_SHEET).to_python()
    except CalamineError:
        return None  # the reader refuses an unreadable workbook with its own words
    return parse_count_record(rows)


def parse_count_record(rows: list[list]) -> CountRecord:
    """The record from the sheet's cells, as calamine reads them."""

    def cell(row: int, column: int) -> object:
        return rows[row][column] if row < len(rows) and column < len(rows[row]) else ""

    if cell(0, 0) != MARK:
        raise WorkbookRefused(DAMAGED.format("its first cell is not the record's mark"))
    database = str(cell(1, 1)).strip()
    if not database:
        raise WorkbookRefused(DAMAGED.format("no database identifier"))
    counted_at = _moment(cell(2, 1))
    quantities: dict[int, Decimal] = {}
    for number, row in enumerate(rows[FIRST_LOT_ROW:], start=FIRST_LOT_ROW + 1):
        if not any(value not in ("", None) for value in row):
            continue
        lot_id, quantity = _lot_id(row[0] if row else ""), _quantity(row[1] if len(row) > 1 else "")
        if lot_id is None or quantity is None:
            raise WorkbookRefused(DAMAGED.format(f"row {number} holds no lot id and quantity"))
        quantities[lot_id] = quantity
    return CountRecord(counted_at, database, str(cell(3, 1)), quantities)


def _moment(value: object) -> datetime:
    if isinstance(value, datetime):  # a spreadsheet that turned the text into a date-time
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise WorkbookRefused(DAMAGED.format(f"the count moment {value!s:.40} is not a date and time")) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _lot_id(value: object) -> int | None:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.isdigit() else None


def _quantity(value: object) -> Decimal | None:
    """A float cell back to its decimal: the shortest repr of a float is the decimal that was written."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value) if value >= 0 else None
    try:
        quantity = Decimal(str(value).strip()) if not isinstance(value, float) else Decimal(repr(value))
    except InvalidOperation:
        return None
    return quantity if quantity.is_finite() and quantity >= 0 else None
