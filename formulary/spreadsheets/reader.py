"""An uploaded .xlsx or .csv as raw rows under known columns, with the spreadsheet's own row numbers."""

from __future__ import annotations

import csv
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from io import BytesIO, StringIO
from operator import itemgetter

from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from formulary.spreadsheets.collector import collector_paused
from formulary.spreadsheets.csv_text import csv_refused
from formulary.spreadsheets.errors import CellError, WorkbookRefused
from formulary.spreadsheets.extent import row_bound, too_many_rows
from formulary.spreadsheets.filled_rows import filled_rows_over
from formulary.spreadsheets.format import (
    HEADER_OF,
    HEADER_SEARCH_ROWS,
    OPENED,
    SEALED,
    STOCK_SHEET,
    column_letter,
    expected_headers,
    field_for_header,
    missing_columns,
    read_elsewhere,
)
from formulary.spreadsheets.formulas import BadCell, find_bad_cells, sheet_part
from formulary.spreadsheets.guard import XLSX, Upload, guard_upload
from formulary.spreadsheets.values import shown
from formulary.vocabulary import ImportMode


@dataclass(slots=True)
class RawRow:
    """One data row: its number as the spreadsheet shows it, and its cells by field (blank is "")."""

    row_number: int
    cells: dict[str, object]


@dataclass
class ParsedSheet:
    """The sheet read: where the header was, which column holds which field, and the data rows.

    The rows are kept column by column (`row_numbers`, and `values` by field): typing a whole
    column at once costs a fraction of building a dict per row; `rows` gives them row by row.
    """

    sheet_name: str
    header_row_number: int
    columns: dict[str, str]  # field → column letter
    headers: dict[str, str]  # field → the header as the file spells it
    row_numbers: list[int]  # of the rows read, blank rows left out
    values: dict[str, list]  # field → its cell in each of those rows, as read (blank is "")
    ignored_columns: list[str] = field(default_factory=list)  # "H (Notes)"
    errors: list[CellError] = field(default_factory=list)  # cells the reader found unusable

    def column_label(self, name: str) -> str:
        """A field's column as the user sees it: "C (Exp. date)"."""
        return f"{self.columns[name]} ({self.headers[name]})"

    @cached_property
    def rows(self) -> list[RawRow]:
        """The rows read, each with its cells by field."""
        names = list(self.values)
        return [RawRow(number, dict(zip(names, cells, strict=True)))
                for number, *cells in zip(self.row_numbers, *self.values.values(), strict=True)]


def read_upload(data: bytes, filename: str, *, mode: str, max_rows: int = 100_000) -> ParsedSheet:
    """Guard, then read an upload's stock rows; raise WorkbookRefused for a file that cannot be used."""
    if mode not in tuple(ImportMode):
        raise ValueError(f"mode is one of {', '.join(ImportMode)}, not {mode!r}")
    upload = guard_upload(data, filename, max_rows=max_rows)
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
            _refuse_a_long_sheet(upload, name, max_rows)
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
        with collector_paused():  # the guard bounded the sheet's cells: so is the grid asked for here
            grid = sheet.to_python(nrows=row_bound(max_rows))
    except CalamineError as exc:
        raise WorkbookRefused("This workbook cannot be read; open it in Excel and save it again.") from exc
    bad_cells = find_bad_cells(upload.data, name, upload.formula_parts)
    with collector_paused():
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
        raise csv_refused(exc) from exc
    width = max(map(len, grid))
    grid = [row + [""] * (width - len(row)) if len(row) < width else row for row in grid]
    with collector_paused():
        return _parse(sheet_name, grid, header, mode, 1, 0, {})


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


def _refuse_a_long_sheet(upload: Upload, name: str, max_rows: int) -> None:
    """Refuse a sheet whose XML alone shows more rows than allowed, before calamine builds them all.

    The guard counted each sheet's row elements while inflating it; only a sheet with more of
    them than allowed is read again, up to the first row over, to count the rows that hold a
    value (a million rows: a fraction of a second instead of parsing them all first).
    """
    limit = max_rows + HEADER_SEARCH_ROWS  # the header, and any title above it, are among the first rows
    if all(count <= limit for count in upload.row_elements.values()):
        return
    try:
        with zipfile.ZipFile(BytesIO(upload.data)) as archive:
            part = sheet_part(archive, name)
    except (ValueError, SyntaxError):  # XML calamine read but defusedxml will not: leave it to the count after parsing
        return
    if part is not None and upload.row_elements.get(part, 0) > limit and filled_rows_over(upload.data, part, limit):
        raise WorkbookRefused(too_many_rows(max_rows))


def _count_rows(rows, limit: int, above: int = 0) -> None:
    """Refuse more than `limit` non-blank rows below `above` ones, stopping at the first one over."""
    count = -above
    for row in rows:
        count += not _blank(row)
        if count > limit:
            raise WorkbookRefused(too_many_rows(limit))


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
    """The rows under the header, blank ones left out; refuse duplicate or missing required columns."""
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
    _one_way_of_counting(seen, letters, texts)
    missing = missing_columns(set(seen), mode)
    if missing:
        raise WorkbookRefused(
            f"Sheet '{sheet_name}' has no {' and no '.join(missing)} column (header row {header_row}); "
            f"a {mode} file needs {expected_headers(mode)}."
        )
    columns = {name: letters[column] for column, name in fields.items()}
    data = grid[index + 1 :]
    start = header_row + 1
    numbers = list(range(start, start + len(data)))
    values = {name: list(map(itemgetter(column), data)) for column, name in fields.items()}
    # A formula without a result or an error value shows as an empty cell, yet its row is not
    # blank: it is read, even past the last row calamine gives, so that its error names a row read.
    used = set(columns.values())
    flagged = sorted({row for row, letter in bad_cells if row >= start and letter in used})
    blank = _blank_rows(list(values.values())).difference(row - start for row in flagged)
    if blank:
        kept = [position for position in range(len(data)) if position not in blank]
        numbers = [numbers[position] for position in kept]
        values = {name: [column[position] for position in kept] for name, column in values.items()}
    beyond = [row for row in flagged if row >= start + len(data)]
    if beyond:
        numbers.extend(beyond)
        for cells in values.values():
            cells.extend([""] * len(beyond))
    sheet = ParsedSheet(
        sheet_name,
        header_row,
        columns=columns,
        headers={name: texts[column] for column, name in fields.items()},
        row_numbers=numbers,
        values=values,
        ignored_columns=[f"{letters[c]} ({text})" for c, text in texts.items()
                         if text and c not in fields and not read_elsewhere(text)],
    )
    if bad_cells:
        _report_bad_cells(sheet, bad_cells)
    return sheet


def _one_way_of_counting(seen: dict[str, int], letters: dict[int, str], texts: dict[int, str]) -> None:
    """Refuse a sheet that gives quantities two ways (On hand, and Sealed units with Opened content), or
    Opened content without Sealed units: which one counts would be a guess."""

    def named(field: str) -> str:
        return f"{letters[seen[field]]} ({texts[seen[field]]})"

    if "quantity" in seen and ("sealed" in seen or "opened" in seen):
        units = " and ".join(named(field) for field in ("sealed", "opened") if field in seen)
        raise WorkbookRefused(
            f"Column {named('quantity')} gives each lot's quantity in the stock unit, and {units} in units: "
            f"keep one way. The stock workbook counts in {SEALED} and {OPENED}; a workbook of an older "
            f"export counts in {HEADER_OF['quantity']}."
        )
    if "opened" in seen and "sealed" not in seen:
        raise WorkbookRefused(
            f"Column {named('opened')} says what opened units hold, but no {SEALED} column counts the sealed "
            f"ones: add it (0 where none is left), or give the whole quantity under {HEADER_OF['quantity']}."
        )


def _blank_rows(columns: list[list]) -> set[int]:
    """The indexes of the rows blank in every column, found a column at a time.

    Each column's distinct values are looked at once; a column without a blank cell (the lot
    numbers of a delivery) settles at once that no row is blank.
    """
    found: list[int] | None = None
    for column in columns:
        blanks = {value for value in set(column) if value is None or (isinstance(value, str) and not value.strip())}
        if not blanks:
            return set()
        if found is None:
            found = [index for index, value in enumerate(column) if value in blanks]
        else:
            found = [index for index in found if column[index] in blanks]
        if not found:
            return set()
    return set(found or ())


def _report_bad_cells(sheet: ParsedSheet, bad_cells: dict[tuple[int, str], BadCell]) -> None:
    """Formula cells with no saved result and error cells under our columns become cell errors."""
    by_letter = {letter: name for name, letter in sheet.columns.items()}
    for (row, letter), bad in sorted(
        bad_cells.items(), key=lambda item: (item[0][0], len(item[0][1]), item[0][1])
    ):
        if row > sheet.header_row_number and letter in by_letter:
            column = sheet.column_label(by_letter[letter])
            sheet.errors.append(CellError(sheet.sheet_name, row, column, bad.shown, bad.message))
