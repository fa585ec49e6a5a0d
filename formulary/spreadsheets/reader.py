"""An uploaded .xlsx or .csv as raw rows under known columns, with the spreadsheet's own row numbers."""

from __future__ import annotations

import csv
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import BytesIO, StringIO
from operator import itemgetter

from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from formulary.spreadsheets.errors import CellError, WorkbookRefused
from formulary.spreadsheets.format import (
    HEADER_OF,
    HEADER_SEARCH_ROWS,
    MODES,
    STOCK_SHEET,
    column_letter,
    expected_headers,
    field_for_header,
    missing_columns,
)
from formulary.spreadsheets.formulas import BadCell, find_bad_cells
from formulary.spreadsheets.guard import XLSX, Upload, guard_upload
from formulary.spreadsheets.values import shown


@dataclass(slots=True)
class RawRow:
    """One data row: its number as the spreadsheet shows it, and its cells by field (blank is "")."""

    row_number: int
    cells: dict[str, object]


@dataclass
class ParsedSheet:
    """The sheet read: where the header was, which column holds which field, and the data rows."""

    sheet_name: str
    header_row_number: int
    columns: dict[str, str]  # field → column letter
    headers: dict[str, str]  # field → the header as the file spells it
    rows: list[RawRow]
    ignored_columns: list[str] = field(default_factory=list)  # "H (Notes)"
    errors: list[CellError] = field(default_factory=list)  # cells the reader found unusable

    def column_label(self, name: str) -> str:
        """A field's column as the user sees it: "C (Exp. date)"."""
        return f"{self.columns[name]} ({self.headers[name]})"


def read_upload(data: bytes, filename: str, *, mode: str, max_rows: int = 100_000) -> ParsedSheet:
    """Guard, then read an upload's stock rows; raise WorkbookRefused for a file that cannot be used."""
    if mode not in MODES:
        raise ValueError(f"mode is one of {MODES}, not {mode!r}")
    upload = guard_upload(data, filename)
    if upload.kind == XLSX:
        return _read_xlsx(upload, mode, max_rows)
    return _read_csv(upload, filename.replace("\\", "/").rsplit("/", 1)[-1] or "CSV", mode, max_rows)


def _read_xlsx(upload: Upload, mode: str, max_rows: int) -> ParsedSheet:
    try:
        workbook = CalamineWorkbook.from_filelike(BytesIO(upload.data))
        names = [
            sheet.name
            for sheet in workbook.sheets_metadata
            if sheet.typ == SheetTypeEnum.WorkSheet and sheet.visible == SheetVisibleEnum.Visible
        ]
        # The Stock sheet when there is one, then the other sheets in order.
        names.sort(key=lambda name: name.casefold() != STOCK_SHEET.casefold())
        if not names:
            raise WorkbookRefused("This workbook has no visible worksheet.")
        for name in names:
            sheet = workbook.get_sheet_by_name(name)
            head = sheet.to_python(nrows=HEADER_SEARCH_ROWS)
            header = _find_header(head)
            if header is not None:
                break
        else:
            where = f"the sheet '{names[0]}'" if len(names) == 1 else "any sheet"
            raise WorkbookRefused(_no_header(where, mode))
        first_row, first_column = sheet.start or (0, 0)
        index = header[0]
        if sheet.height - index - 1 > max_rows:
            above = sum(not _blank(row) for row in head[: index + 1])  # the header and any title
            _count_rows(sheet.iter_rows(), max_rows, above)
        with _collector_paused():
            grid = sheet.to_python()
    except CalamineError as exc:
        raise WorkbookRefused("This workbook cannot be read; open it in Excel and save it again.") from exc
    bad_cells = find_bad_cells(upload.data, name, upload.formula_parts)
    with _collector_paused():
        return _parse(name, grid, header, mode, first_row + 1, first_column, bad_cells)


def _read_csv(upload: Upload, sheet_name: str, mode: str, max_rows: int) -> ParsedSheet:
    assert upload.text is not None
    records = csv.reader(StringIO(upload.text, newline=""), delimiter=upload.delimiter)
    grid = []
    try:
        for record in records:
            grid.append(record)
            if len(grid) > max_rows + HEADER_SEARCH_ROWS:
                break
        header = _find_header(grid[:HEADER_SEARCH_ROWS])
        if header is None:
            raise WorkbookRefused(_no_header(f"'{sheet_name}'", mode))
        if len(grid) > max_rows + header[0] + 1:
            grid.extend(records)  # rows past the limit: count them, blank ones do not count
            _count_rows(grid[header[0] + 1 :], max_rows)
    except csv.Error as exc:
        raise WorkbookRefused(f"This CSV file cannot be read ({exc}).") from exc
    width = max(map(len, grid))
    grid = [row + [""] * (width - len(row)) if len(row) < width else row for row in grid]
    with _collector_paused():
        return _parse(sheet_name, grid, header, mode, 1, 0, {})


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building rows.

    Each batch of new lists and dicts would make it rescan every row built so far, which
    doubles the reading time of a large sheet; rows hold no reference cycles to collect.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _find_header(head: list[list]) -> tuple[int, dict[int, str], dict[int, str]] | None:
    """The row with the most known headers (two at least): its index, fields and header texts."""
    best = None
    for index, row in enumerate(head):
        fields = {column: name for column, cell in enumerate(row) if (name := field_for_header(cell))}
        if len(fields) >= 2 and (best is None or len(fields) > len(best[1])):
            best = (index, fields, {column: shown(cell).strip() for column, cell in enumerate(row)})
    return best


def _no_header(where: str, mode: str) -> str:
    return (
        f"No header row found in the first {HEADER_SEARCH_ROWS} rows of {where}; "
        f"a {mode} file needs the columns {expected_headers(mode)}."
    )


def _count_rows(rows, limit: int, above: int = 0) -> None:
    """Refuse more than `limit` non-blank rows below `above` ones, stopping at the first one over."""
    count = -above
    for row in rows:
        count += not _blank(row)
        if count > limit:
            raise WorkbookRefused(f"This file has more than {limit:,} rows; split it into smaller files.")


def _blank(values) -> bool:
    for value in values:
        if value is None or value == "" or (value.__class__ is str and value.isspace()):
            continue
        return False
    return True


def _parse(
    sheet_name: str,
    grid: list[list],
    header: tuple[int, dict[int, str], dict[int, str]],
    mode: str,
    first_row: int,
    first_column: int,
    bad_cells: dict[tuple[int, str], BadCell],
) -> ParsedSheet:
    """Rows under the header as RawRows; refuse duplicate or missing required columns."""
    index, fields, texts = header
    header_row = first_row + index
    letters = {column: column_letter(first_column + column) for column in texts}
    seen: dict[str, int] = {}
    for column, name in fields.items():
        if name in seen:
            first = seen[name]
            raise WorkbookRefused(
                f"Columns {letters[first]} ({texts[first]}) and {letters[column]} ({texts[column]}) "
                f"both mean {HEADER_OF[name]}; keep one of them."
            )
        seen[name] = column
    missing = missing_columns(set(seen), mode)
    if missing:
        raise WorkbookRefused(
            f"Sheet '{sheet_name}' has no {' and no '.join(missing)} column (header row {header_row}); "
            f"a {mode} file needs {expected_headers(mode)}."
        )
    sheet = ParsedSheet(
        sheet_name,
        header_row,
        columns={name: letters[column] for column, name in fields.items()},
        headers={name: texts[column] for column, name in fields.items()},
        rows=[],
        ignored_columns=[f"{letters[c]} ({text})" for c, text in texts.items() if text and c not in fields],
    )
    names = list(fields.values())
    pick = itemgetter(*fields)  # two fields at least, so it gives a tuple
    append = sheet.rows.append
    for number, row in enumerate(grid[index + 1 :], start=header_row + 1):
        values = pick(row)
        if not _blank(values):
            append(RawRow(number, dict(zip(names, values, strict=True))))
    if bad_cells:
        _report_bad_cells(sheet, bad_cells)
    return sheet


def _report_bad_cells(sheet: ParsedSheet, bad_cells: dict[tuple[int, str], BadCell]) -> None:
    """Formula cells with no saved result and error cells under our columns become cell errors."""
    by_letter = {letter: name for name, letter in sheet.columns.items()}
    for (row, letter), bad in sorted(
        bad_cells.items(), key=lambda item: (item[0][0], len(item[0][1]), item[0][1])
    ):
        if row > sheet.header_row_number and letter in by_letter:
            column = sheet.column_label(by_letter[letter])
            sheet.errors.append(CellError(sheet.sheet_name, row, column, bad.shown, bad.message))
