"""A parsed sheet's rows as typed stock lines for a delivery or a stocktake, with every cell error."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from functools import partial
from itertools import islice, repeat
from operator import attrgetter, is_
from typing import Any, NamedTuple

from formulary.spreadsheets.errors import CellError
from formulary.spreadsheets.reader import ParsedSheet
from formulary.spreadsheets.values import (
    CellProblem,
    is_blank,
    shown,
    to_date,
    to_gtin,
    to_money,
    to_quantity,
    to_text,
    to_whole_count,
)
from formulary.vocabulary import ImportMode

LOT_LENGTH = 40  # Lot.lot_number
NAME_LENGTH = 200  # Product.name, Lot.supplier
_NEEDED = {"lot": "a lot number", "expiry": "an expiry date", "quantity": "a quantity",
           "sealed": "its sealed units counted (0 if none)"}
_TEXT = {"lot": LOT_LENGTH, "product": NAME_LENGTH, "supplier": NAME_LENGTH, "status": None}  # their longest


class StockLine(NamedTuple):
    """One row of a delivery or stocktake file, typed; the product is still a name or a GTIN."""

    row_number: int
    lot: str
    # Received (above 0) or counted (0 and above), in the stock unit. A sheet counting in units gives None
    # here until validation, which knows each product's unit size, works it out (in_stock_units).
    quantity: Decimal
    product: str | None = None
    gtin: str | None = None
    expiry: date | None = None  # always set for a delivery
    unit_cost: Decimal | None = None
    supplier: str | None = None
    received: date | None = None
    status: str | None = None  # as written; the importer decides what it means
    sealed: Decimal | None = None  # whole sealed units, when the sheet counts in units
    opened: Decimal | None = None  # what opened units hold, in the stock unit (blank: none)


_LINE = partial(tuple.__new__, StockLine)  # a line from its fields, without _make's Python-level call


class Same(NamedTuple):
    """A value every row shares, in place of a column."""

    value: object


class Rows(Sequence):
    """Named tuples kept a column each, each one made only when it is asked for.

    Fifty thousand lines or changes cost more to build, and for the collector to scan, than
    the columns an import reads and writes them by: `column` gives those.
    """

    # kind is a NamedTuple class: typeshed has no type for "any NamedTuple class" with its _fields.
    def __init__(self, kind: Any, length: int, columns: dict[str, Sequence | Same]) -> None:
        self.kind, self._length = kind, length
        self._make = partial(tuple.__new__, kind)
        defaults = kind._field_defaults
        self._columns = {name: columns[name] if name in columns else Same(defaults[name]) for name in kind._fields}

    def with_column(self, name: str, values: Sequence) -> Rows:
        """The same rows with one field's column replaced."""
        return Rows(self.kind, self._length, {**self._columns, name: values})

    def column(self, name: str) -> Sequence:
        """One field of every row (the column itself: to read, not to change)."""
        values = self._columns[name]
        return [values.value] * self._length if isinstance(values, Same) else values

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator:
        columns = [repeat(values.value) if isinstance(values, Same) else values for values in self._columns.values()]
        return map(self._make, islice(zip(*columns, strict=False), self._length))  # repeat() is endless

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[position] for position in range(*index.indices(self._length))]
        if not -self._length <= index < self._length:
            raise IndexError(index)
        index %= self._length
        return self._make(values.value if isinstance(values, Same) else values[index]
                          for values in self._columns.values())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, list | Rows):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(list(self))


def column(rows: Sequence, name: str) -> Sequence:
    """One field of a sequence of named tuples: straight from the columns of Rows."""
    return rows.column(name) if isinstance(rows, Rows) else list(map(attrgetter(name), rows))


def in_stock_units(lines: Sequence[StockLine], unit_sizes: Sequence[Decimal | None]) -> Sequence[StockLine]:
    """Lines counted in units, with their quantity in the stock unit: sealed × unit size + opened content.

    `unit_sizes` holds each line's product's unit size, None where the product is unknown (its quantity
    stays None: that line has a problem of its own).
    """
    quantities = [None if size is None else sealed * size + (opened or 0)
                  for sealed, opened, size in zip(column(lines, "sealed"), column(lines, "opened"), unit_sizes,
                                                  strict=True)]
    if isinstance(lines, Rows):
        return lines.with_column("quantity", quantities)
    # None only for a line whose product is unknown: validation reports that line and never reads its quantity.
    return [line._replace(quantity=quantity) for line, quantity in zip(lines, quantities, strict=True)]  # type: ignore[arg-type]


def stock_lines(sheet: ParsedSheet, mode: str, date_order: str) -> tuple[Sequence[StockLine], list[CellError]]:
    """Every row typed, or the reasons it cannot be: all rows are checked, none is skipped on error."""
    if mode not in tuple(ImportMode):
        raise ValueError(f"mode is one of {', '.join(ImportMode)}, not {mode!r}")
    converters: dict[str, Callable[[object], object]] = {
        "lot": partial(to_text, max_length=LOT_LENGTH),
        "quantity": partial(to_quantity, allow_zero=mode != ImportMode.DELIVERY),
        "product": partial(to_text, max_length=NAME_LENGTH),
        "gtin": to_gtin,
        "expiry": partial(to_date, date_order=date_order, month_end=True),
        "unit_cost": to_money,
        "supplier": partial(to_text, max_length=NAME_LENGTH),
        "received": partial(to_date, date_order=date_order),
        "status": to_text,
        "sealed": to_whole_count,
        "opened": partial(to_quantity, allow_zero=True),
    }  # in StockLine's order
    numbers = sheet.row_numbers
    # Column by column: products, dates and quantities repeat, and each distinct value is read once.
    typed: dict[str, list | None] = {}
    empty: set[str] = set()  # the fields with a blank cell
    bad: set[int] = set()  # indexes of rows that cannot be used
    for name, convert in converters.items():
        if name not in sheet.values:
            typed[name] = None
            continue
        values = sheet.values[name]
        texts = _text_column(values, _TEXT[name]) if name in _TEXT else None
        cells, failed, blank = texts if texts is not None else _convert_column(values, convert)
        typed[name] = cells
        if blank:
            empty.add(name)
        if failed:
            bad.update(index for index, value in enumerate(cells) if value.__class__ is CellProblem)
    count = "sealed" if "sealed" in sheet.values else "quantity"  # the reader lets a sheet give one or the other
    required = ("lot", count, "expiry") if mode == ImportMode.DELIVERY else ("lot", count)
    for name in empty.intersection(required):
        bad.update(index for index, value in enumerate(typed[name] or ()) if value is None)  # a blank cell: a column
    identity = [name for name in ("product", "gtin") if typed[name] is not None]
    if empty.issuperset(identity):  # else every row names its product one way or the other
        names = [typed[name] for name in identity]
        bad.update(index for index, either in enumerate(zip(*names, strict=True)) if not any(either))
    # The reader's errors (formulas with no result), in the columns a line is made of.
    used = {sheet.column_label(name) for name in converters if name in sheet.columns}
    reader_errors = [error for error in sheet.errors if error.column in used]
    if reader_errors:
        flagged_rows = {error.row for error in reader_errors}
        bad.update(index for index, number in enumerate(numbers) if number in flagged_rows)

    if not bad and not reader_errors:
        kept: dict[str, Sequence | Same] = {name: column for name, column in typed.items() if column is not None}
        if count == "sealed":
            kept["quantity"] = Same(None)
        return Rows(StockLine, len(numbers), {"row_number": numbers, **kept}), []
    columns: list[Iterable[object]] = [column if column is not None else repeat(None) for column in typed.values()]
    lines = list(map(_LINE, zip(numbers, *columns, strict=False)))  # repeat() is endless
    errors = reader_errors
    for index in sorted(bad):
        cells_of_row = {name: column[index] for name, column in typed.items() if column is not None}
        errors.extend(_row_errors(sheet, index, cells_of_row, required))
    errors.sort(key=lambda error: (error.row, *_column_order(error.column.split(" ", 1)[0])))
    return [line for index, line in enumerate(lines) if index not in bad], errors


def _column_order(letter: str) -> tuple[int, str]:
    return len(letter), letter  # B before AA


def _text_column(values: list, max_length: int | None) -> tuple[list, bool, bool] | None:
    """A column of text cells as to_text reads them, at C speed; None when one needs a closer look.

    As _convert_column: the texts, whether any failed (none can), whether any is blank.
    """
    try:
        texts = list(map(str.strip, values))
    except TypeError:  # a cell that is not text: a number, a date, nothing
        return None
    if max_length is not None and max(map(len, texts), default=0) > max_length:
        return None
    if "" in texts:
        return [text or None for text in texts], False, True
    return texts, False, False


def _convert_column(values: list, convert: Callable[[object], object]) -> tuple[list, bool, bool]:
    """Each value converted, or the CellProblem it raised; whether any did, and whether any gave None.

    Each distinct value is converted once, but True equals 1 and 1.0 as a key and must not share
    their answer: a column holding 0 or 1 is looked at for TRUE/FALSE first.
    """
    answers = dict.fromkeys(values)
    if (0 in answers or 1 in answers) and bool in set(map(type, values)):
        column = [_answer(convert, value) for value in values]
        return column, any(value.__class__ is CellProblem for value in column), any(map(is_, column, repeat(None)))
    failed = blank = False
    for value in answers:
        answers[value] = answer = _answer(convert, value)
        failed = failed or answer.__class__ is CellProblem
        blank = blank or answer is None
    return list(map(answers.__getitem__, values)), failed, blank


def _answer(convert: Callable[[object], object], value: object) -> object:
    try:
        return convert(value)
    except CellProblem as problem:
        return problem


def _row_errors(
    sheet: ParsedSheet, index: int, typed: dict[str, object], required: tuple[str, ...]
) -> list[CellError]:
    """Why the row at this index cannot be used, left to right; a cell the reader flagged is not said again."""
    row_number = sheet.row_numbers[index]
    if all(is_blank(column[index]) for column in sheet.values.values()):
        return []  # blank but for the cells the reader flagged, whose errors say it all
    flagged = {error.column for error in sheet.errors if error.row == row_number}
    found: list[tuple[str, str, str]] = []  # field, value shown, message
    for name, value in typed.items():
        if sheet.column_label(name) in flagged:
            continue
        if value.__class__ is CellProblem:
            found.append((name, shown(sheet.values[name][index]), value.message))
        elif value is None and name in required:
            found.append((name, "", f"Empty: every row needs {_NEEDED[name]}."))
    identity = [name for name in ("product", "gtin") if name in typed]
    if all(typed[name] is None and sheet.column_label(name) not in flagged for name in identity):
        found.append((identity[0], "", "Give the product's name or its GTIN."))
    found.sort(key=lambda error: _column_order(sheet.columns[error[0]]))
    return [
        CellError(sheet.sheet_name, row_number, sheet.column_label(name), value, message)
        for name, value, message in found
    ]
