"""How far a worksheet reaches, read from every cell reference of its XML as it inflates.

python-calamine builds a dense grid from the first cell to the furthest one holding a value,
before any row can be looked at: one cell at XFD1048576 asks for 512 GB. The guard feeds each
worksheet here, chunk by chunk, and a cell holding a value beyond what an import can hold is
refused before calamine sees the file. The `<dimension>` element is not trusted either way:
calamine sizes its grid from the cells, and Excel counts cells with only a style in it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import NamedTuple

from formulary.spreadsheets.errors import WorkbookRefused
from formulary.spreadsheets.format import HEADER_SEARCH_ROWS, column_letter

# Columns an import reads: the stock format has about 15, a clinic's own sheet a few more for
# notes. 100 leaves far more room than that while the densest grid allowed stays bounded
# (100 columns × the row limit); a sheet wider than that is no stock list.
MAX_COLUMNS = 100
EXCEL_COLUMNS, EXCEL_ROWS = 16_384, 1_048_576
MAX_TAG = 1024 * 1024  # a cell or row tag longer than this is refused, not carried on

_PREFIX = rb"(?:[^\s<>/:=\"']+:)?"  # calamine matches local names: any namespace prefix
_TAG_BODY = rb"""(?:[^>"']|"[^"]*"|'[^']*')*"""  # attributes, a ">" inside quotes included
_TAG = re.compile(rb"<(/?)" + _PREFIX + rb"(c|row)(?=[\s/>])(" + _TAG_BODY + rb")>")
_ATTRIBUTE = re.compile(rb"""([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REFERENCE = re.compile(rb"([A-Za-z]{1,3})([0-9]{1,7})")
_CELL_END = re.compile(rb"</" + _PREFIX + rb"c\s*>")
# What makes calamine keep a cell: a value (not an empty one) or an inline string, even empty.
_VALUE = re.compile(rb"<" + _PREFIX + rb"(?:is[\s/>]|v(?:\s" + _TAG_BODY + rb")?>[^<])")
_TWICE = b"two references"
_ROOT = re.compile(rb"<(?:([^\s<>/:=\"']+):)?worksheet[\s>]")


def row_bound(max_rows: int) -> int:
    """The last row an import reads: the data rows, below a header in the first rows."""
    return max_rows + HEADER_SEARCH_ROWS


def too_many_rows(limit: int) -> str:
    """The refusal of a sheet longer than an import holds."""
    return f"This file has more than {limit:,} rows; split it into smaller files."


def _up_to(bound: str, first: str, low: str, high: str) -> bytes:
    """A pattern for the words of [low-high] (starting with [first-high]) up to `bound` in number order.

    Numbers and column letters both order by length, then letter by letter: "CV" is 100.
    """
    size, parts = len(bound), []
    if size > 1:
        parts.append(f"[{first}-{high}][{low}-{high}]{{0,{size - 2}}}")
    for position, char in enumerate(bound):
        start = first if position == 0 else low
        if char > start:
            rest = size - position - 1
            tail = f"[{low}-{high}]{{{rest}}}" if rest else ""
            parts.append(f"{bound[:position]}[{start}-{chr(ord(char) - 1)}]{tail}")
    parts.append(bound)
    return ("(?:" + "|".join(parts) + ")").encode()


class _Patterns(NamedTuple):
    """What the quick reading looks for, in a sheet whose root element has this namespace prefix."""

    suspect: re.Pattern  # a cell that may hold a value and is not plainly within bounds
    row_number: re.Pattern  # a row element, with its number when written plainly
    odd_prefix: re.Pattern  # a cell or row element under another prefix than the root's


@lru_cache(maxsize=8)
def _patterns(prefix: bytes, rows: int) -> _Patterns:
    """The quick reading's patterns: each starts with a literal, so the regex engine skips ahead fast.

    A cell written as every spreadsheet program writes it (the reference first, double-quoted,
    upper-case and within bounds, then plain attributes, none of them a second reference)
    costs one regex step; a self-closing cell holds no value (a style only: calamine keeps no
    such cell, wherever it is); anything else is a suspect, looked at in Python.
    """
    tag = re.escape(b"<" + prefix)
    within = _up_to(column_letter(MAX_COLUMNS - 1), "A", "A", "Z") + _up_to(str(rows), "1", "0", "9")
    # Plain attributes: names without a prefix, none of them "r" (any prefixed one, "x:r" included, makes
    # a suspect); a class rather than a look-ahead per attribute, a quarter of the scan's time.
    plain = rb"(?: (?:[a-qs-zA-Z_]\w*|r\w+)=\"[^\"<>]*\")*/?>"
    other = rb"(?<!" + tag + rb")" if prefix else b""  # after the colon: the pattern starts with a literal
    odd = rb":" + other + rb"(?:c|row)[\s/>]" + (rb"|<(?:c|row)[\s/>]" if prefix else b"")
    return _Patterns(
        # Then, for the few cells that fail that, a self-closing one (a style only) is passed over.
        re.compile(tag + rb"c(?=[\s/>])(?! r=\"" + within + rb"\"" + plain + b")(?!" + _TAG_BODY + b"/>)"),
        re.compile(tag + rb"row(?=[\s/>])(?: r=\"([1-9][0-9]{0,6})\"(?=[\s/>]))?"),
        re.compile(odd),
    )


class Extent:
    """One worksheet's reach, checked as its XML inflates; `close` says whether to look again exactly."""

    def __init__(self, sheet: str, max_rows: int) -> None:
        """`sheet` names the part in a refusal: "Sheet 'Stock'", or "The part xl/x.xml"."""
        self.sheet, self.max_rows, self.rows = sheet, max_rows, row_bound(max_rows)
        self.patterns: _Patterns | None = None
        self.carry = b""
        self.row_elements = 0
        self.row_start = b"<row"
        self.exact = False  # a cell or row written oddly: the sheet is read again tag by tag
        self.rows_in_order = True  # every row so far written <row r="N" …>, N rising
        self.last_row = 0

    def feed(self, chunk: bytes) -> None:
        """Check the whole tags of this chunk (with what the last one left unfinished)."""
        block, self.carry = _whole_tags(self.carry + chunk, self.sheet)
        if self.patterns is None:
            root = _ROOT.search(block)
            prefix = root.group(1) + b":" if root and root.group(1) else b""
            self.patterns, self.row_start = _patterns(prefix, self.rows), b"<" + prefix + b"row"
        if self.exact:
            return
        patterns = self.patterns
        start = 0
        while match := patterns.suspect.search(block, start):
            start = match.end()
            tag = _TAG.match(block, match.start())
            reference = _attributes(tag.group(3)).get(b"r", b"") if tag else b""
            if tag is None or _REFERENCE.fullmatch(reference) is None or reference != reference.upper():
                self.exact = True  # no reference, or one calamine reads its own way: look exactly
                return
            holds = not tag.group(3).rstrip().endswith(b"/") and _holds_value(block, tag.end())

            def rows_before(at: int = match.start()) -> int:
                return self.row_elements + block.count(self.row_start, 0, at)

            _check_cell(self, reference, holds, rows_before)
        # A cell or row under another prefix than the root's is not seen above: look exactly.
        if patterns.odd_prefix.search(block):
            self.exact = True
        self.row_elements += block.count(self.row_start)
        if self.rows_in_order:
            self._check_row_order(block)

    def _check_row_order(self, block: bytes) -> None:
        """Note a row written otherwise than <row r="N" …>, or numbered out of order or twice: the
        exact reading then finds which. Read as the sheet inflates, a block's numbers at a time
        (never a list of every row), so that the sheet is not inflated a second time for them."""
        numbers = self.patterns.row_number.findall(block) if self.patterns else []
        if not numbers:
            return
        if b"" in numbers:
            self.rows_in_order = False
            return
        rows = list(map(int, numbers))
        if rows[0] <= self.last_row or rows != sorted(set(rows)):
            self.rows_in_order = False
        self.last_row = rows[-1]

    def close(self) -> bool:
        """Whether the sheet needs the exact reading: its tags were not all written plainly, or its
        rows are not numbered in order."""
        return self.exact or bool(self.carry.strip()) or not self.rows_in_order


def check_exactly(chunks: Iterable[bytes], sheet: str, max_rows: int) -> None:
    """Read a worksheet tag by tag as calamine places its cells: a cell without a reference follows
    the one before it, a row without a number follows the one before it. Slower, only for odd sheets.
    """
    extent = Extent(sheet, max_rows)
    seen = bytearray(extent.rows + 1)  # rows within bounds met so far: a repeated one is refused
    row = column = 0
    carry = b""
    for chunk in chunks:
        block, carry = _whole_tags(carry + chunk, sheet)
        for tag in _TAG.finditer(block):
            if tag.group(1):
                continue
            attributes = _attributes(tag.group(3))
            reference = attributes.get(b"r")
            if tag.group(2) == b"row":
                extent.row_elements += 1
                row = int(reference) if reference is not None and reference.isdigit() else row + 1
                column = 0
                if row <= extent.rows:
                    if seen[row]:
                        raise WorkbookRefused(
                            f"{sheet} has row {row:,} twice (two row elements numbered {row}), so one "
                            "would hide the other; open the file in Excel or LibreOffice and save it again."
                        )
                    seen[row] = 1
                continue
            if reference is None:
                column += 1
                reference = f"{column_letter(column - 1)}{max(row, 1)}".encode()
            else:
                found = _REFERENCE.fullmatch(reference)
                column = _column_number(found.group(1)) if found else 0
            holds = not tag.group(3).rstrip().endswith(b"/") and _holds_value(block, tag.end())
            _check_cell(extent, reference, holds, lambda: extent.row_elements)
    if carry.strip():
        raise WorkbookRefused(f"{sheet} ends inside a tag; the file is damaged.")


def _check_cell(extent: Extent, reference: bytes, holds_value: bool, rows_before: Callable[[], int]) -> None:
    """Refuse a reference that is no cell, and a cell holding a value beyond the bounds."""
    text = reference.decode("ascii", "replace")
    if reference == _TWICE:
        raise WorkbookRefused(f"{extent.sheet} has a cell with two references; the file is damaged.")
    found = _REFERENCE.fullmatch(reference)
    column = _column_number(found.group(1)) if found else 0
    row = int(found.group(2)) if found else 0
    if not (0 < column <= EXCEL_COLUMNS and 0 < row <= EXCEL_ROWS):
        raise WorkbookRefused(
            f"{extent.sheet} has a cell at {text[:40]}, which is no cell reference (a sheet ends at "
            f"column XFD and row {EXCEL_ROWS:,}); the file is damaged or was not written by a spreadsheet program."
        )
    if not holds_value or (column <= MAX_COLUMNS and row <= extent.rows):
        return
    if row > extent.rows and rows_before() >= extent.rows:  # a long sheet, not one far cell
        raise WorkbookRefused(too_many_rows(extent.max_rows))
    limits = [f"column {column_letter(MAX_COLUMNS - 1)}"] * (column > MAX_COLUMNS)
    beyond = " and ".join(limits + [f"row {extent.rows:,}"] * (row > extent.rows))
    raise WorkbookRefused(
        f"{extent.sheet} has a cell at {text.upper()}, beyond {beyond}: an import holds at most "
        f"{extent.max_rows:,} rows (below a header in the first {HEADER_SEARCH_ROWS}) and {MAX_COLUMNS} columns "
        f"(A to {column_letter(MAX_COLUMNS - 1)}); delete what lies beyond, or split the sheet."
    )


def _whole_tags(block: bytes, sheet: str) -> tuple[bytes, bytes]:
    """The block up to its last whole tag, and the unfinished tag after it (carried to the next chunk)."""
    last = block.rfind(b"<")
    if last == -1 or block.find(b">", last) != -1:
        return block, b""
    if len(block) - last > MAX_TAG:
        raise WorkbookRefused(f"{sheet} has a tag longer than a megabyte; the file is damaged.")
    return block[:last], block[last:]


def _attributes(body: bytes) -> dict[bytes, bytes]:
    """A tag's attributes; any namespaced "r" counts as the reference."""
    found: dict[bytes, bytes] = {}
    for name, double, single in _ATTRIBUTE.findall(body):
        name = b"r" if name.endswith(b":r") else name
        # Two references: which one a parser keeps is its own choice, so neither is trusted.
        found[name] = _TWICE if name == b"r" and name in found else double or single
    return found


def _holds_value(block: bytes, start: int) -> bool:
    """Whether the cell whose start tag ends at `start` holds a value; unsure (cut by the chunk) is yes."""
    end = _CELL_END.search(block, start)
    return end is None or _VALUE.search(block, start, end.start()) is not None


def _column_number(letters: bytes) -> int:
    """The 1-based number of a column's letters: A → 1, XFD → 16,384."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number
