"""A parsed sheet's rows as typed stock lines for a delivery or a stocktake, with every cell error."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import partial
from itertools import repeat
from operator import itemgetter
from typing import NamedTuple

from formulary.spreadsheets.errors import CellError
from formulary.spreadsheets.format import DELIVERY, MODES
from formulary.spreadsheets.reader import ParsedSheet, RawRow
from formulary.spreadsheets.values import (
    CellProblem,
    shown,
    to_date,
    to_gtin,
    to_money,
    to_quantity,
    to_text,
)

LOT_LENGTH = 40  # Lot.lot_number
NAME_LENGTH = 200  # Product.name, Lot.supplier
_NEEDED = {"lot": "a lot number", "expiry": "an expiry date", "quantity": "a quantity"}


class StockLine(NamedTuple):
    """One row of a delivery or stocktake file, typed; the product is still a name or a GTIN."""

    row_number: int
    lot: str
    quantity: Decimal  # received (above 0) or counted (0 and above)
    product: str | None = None
    gtin: str | None = None
    expiry: date | None = None  # always set for a delivery
    unit_cost: Decimal | None = None
    supplier: str | None = None
    received: date | None = None
    status: str | None = None  # as written; the importer decides what it means


def stock_lines(sheet: ParsedSheet, mode: str, date_order: str) -> tuple[list[StockLine], list[CellError]]:
    """Every row typed, or the reasons it cannot be: all rows are checked, none is skipped on error."""
    if mode not in MODES:
        raise ValueError(f"mode is one of {MODES}, not {mode!r}")
    converters: dict[str, Callable[[object], object]] = {
        "lot": partial(to_text, max_length=LOT_LENGTH),
        "quantity": partial(to_quantity, allow_zero=mode != DELIVERY),
        "product": partial(to_text, max_length=NAME_LENGTH),
        "gtin": to_gtin,
        "expiry": partial(to_date, date_order=date_order, month_end=True),
        "unit_cost": to_money,
        "supplier": partial(to_text, max_length=NAME_LENGTH),
        "received": partial(to_date, date_order=date_order),
        "status": to_text,
    }  # in StockLine's order
    rows = sheet.rows
    cells = [row.cells for row in rows]
    # Column by column: products, dates and quantities repeat, and each distinct value is read once.
    typed: dict[str, list | None] = {}
    bad: set[int] = set()  # indexes of rows that cannot be used
    for name, convert in converters.items():
        if name not in sheet.columns:
            typed[name] = None
            continue
        column, failed = _convert_column(list(map(itemgetter(name), cells)), convert)
        typed[name] = column
        if failed:
            bad.update(index for index, value in enumerate(column) if value.__class__ is CellProblem)
    required = ("lot", "quantity", "expiry") if mode == DELIVERY else ("lot", "quantity")
    for name in required:
        if None in typed[name]:
            bad.update(index for index, value in enumerate(typed[name]) if value is None)
    identity = [column for name in ("product", "gtin") if (column := typed[name]) is not None]
    bad.update(index for index, values in enumerate(zip(*identity, strict=True)) if not any(values))
    # The reader's errors (formulas with no result), in the columns a line is made of.
    used = {sheet.column_label(name) for name in converters if name in sheet.columns}
    reader_errors = [error for error in sheet.errors if error.column in used]
    flagged_rows = {error.row for error in reader_errors}
    bad.update(index for index, row in enumerate(rows) if row.row_number in flagged_rows)

    columns = [column if column is not None else repeat(None) for column in typed.values()]
    numbers = [row.row_number for row in rows]
    lines = list(map(StockLine._make, zip(numbers, *columns, strict=False)))
    if not bad and not reader_errors:
        return lines, []
    errors = reader_errors
    for index in sorted(bad):
        values = {name: column[index] for name, column in typed.items() if column is not None}
        errors.extend(_row_errors(sheet, rows[index], values, required))
    errors.sort(key=lambda error: (error.row, *_column_order(error.column.split(" ", 1)[0])))
    return [line for index, line in enumerate(lines) if index not in bad], errors


def _column_order(letter: str) -> tuple[int, str]:
    return len(letter), letter  # B before AA


def _convert_column(values: list, convert: Callable[[object], object]) -> tuple[list, bool]:
    """Each value converted, or the CellProblem it raised, and whether any did; each distinct value once."""
    if bool in set(map(type, values)):  # True equals 1 and 1.0 as a key, and must not share their answer
        column = [_answer(convert, value) for value in values]
        return column, any(value.__class__ is CellProblem for value in column)
    answers = dict.fromkeys(values)
    failed = False
    for value in answers:
        answers[value] = answer = _answer(convert, value)
        failed = failed or answer.__class__ is CellProblem
    return list(map(answers.__getitem__, values)), failed


def _answer(convert: Callable[[object], object], value: object) -> object:
    try:
        return convert(value)
    except CellProblem as problem:
        return problem


def _row_errors(
    sheet: ParsedSheet, row: RawRow, typed: dict[str, object], required: tuple[str, ...]
) -> list[CellError]:
    """Why a row cannot be used, left to right; a cell the reader flagged is not reported again."""
    flagged = {error.column for error in sheet.errors if error.row == row.row_number}
    found: list[tuple[str, str, str]] = []  # field, value shown, message
    for name, value in typed.items():
        if sheet.column_label(name) in flagged:
            continue
        if value.__class__ is CellProblem:
            found.append((name, shown(row.cells[name]), value.message))
        elif value is None and name in required:
            found.append((name, "", f"Empty: every row needs {_NEEDED[name]}."))
    identity = [name for name in ("product", "gtin") if name in typed]
    if all(typed[name] is None and sheet.column_label(name) not in flagged for name in identity):
        found.append((identity[0], "", "Give the product's name or its GTIN."))
    found.sort(key=lambda error: _column_order(sheet.columns[error[0]]))
    return [
        CellError(sheet.sheet_name, row.row_number, sheet.column_label(name), value, message)
        for name, value, message in found
    ]
