"""How many rows of a long worksheet hold a value, counted from its XML as it inflates, before any parser."""

from __future__ import annotations

import re
import zipfile
from functools import lru_cache
from io import BytesIO
from typing import NamedTuple

from formulary.spreadsheets.zipstream import inflate

_SHEET_ROOT = re.compile(rb"<(?:(\w+):)?worksheet[\s>]")


def filled_rows_over(data: bytes, part: str, limit: int) -> bool:
    """Whether a worksheet holds more than `limit` rows with a value, read from its XML as it inflates.

    A row counts when one of its cells surely reads as not blank: a number, a date, TRUE or
    FALSE, or a formula's text result, starting with a visible character. Shared and inline
    strings, error values, odd attributes and rows out of order are not counted, nor is
    anything in a sheet holding comments, CDATA or processing instructions: the count never
    exceeds what a parser finds, so a sheet refused here would be refused after parsing too,
    only a second later and with all its rows in memory. (A cell written twice, which no
    spreadsheet program does, is counted by its first value where a parser keeps the last.)
    Memory stays bounded: a chunk and a partial cell at most.
    """
    with zipfile.ZipFile(BytesIO(data)) as archive:
        try:
            member = archive.getinfo(part)
        except KeyError:
            return False
    tags = None
    count = last_row = 0
    carry = b""
    started = False
    for chunk in inflate(data, member):
        block = carry + chunk
        if tags is None:
            root = _SHEET_ROOT.search(block)
            tags = _sheet_tags(root.group(1) + b":" if root and root.group(1) else b"")
        if not started:
            opening = block.find(tags.sheet_data)
            if opening == -1:
                carry = block[-64:]
                continue
            started, block = True, block[opening:]
        if b"<!" in block or b"<?" in block:
            return False  # a comment, CDATA or a processing instruction may hide or fake cells
        end = block.find(tags.sheet_data_end)
        cut = end if end != -1 else block.rfind(tags.cell_end)
        if cut == -1:  # no whole cell yet: keep reading, within bounds
            carry = block if len(block) <= _CARRY else b""
            continue
        if end == -1:
            cut += len(tags.cell_end)
        more, last_row = _count_filled(block, cut, tags, last_row)
        count += more
        if count > limit:
            return True
        if end != -1:
            return False
        carry = block[cut:]
    return False


class _SheetTags(NamedTuple):
    """What filled_rows_over looks for in a worksheet, with its namespace prefix."""

    sheet_data: bytes
    sheet_data_end: bytes
    cell_end: bytes
    filled: re.Pattern


_CARRY = 1024 * 1024  # a cell longer than this is not counted


@lru_cache(maxsize=4)
def _sheet_tags(prefix: bytes) -> _SheetTags:
    """The tags of a worksheet whose elements carry this namespace prefix ("x:", or none)."""
    # A cell with its row number first, a sure type and plainly quoted attributes, then at once its
    # value (after its formula, if any) starting with a visible character: it cannot read as blank.
    filled = re.compile(
        rb'<%(p)sc\s+r="[A-Z]{1,3}([1-9][0-9]*)"(?:\s+(?:t="(?:n|d|b|str)"|(?:s|cm|vm|ph)="[^"<>]*"))*\s*>'
        rb"(?:<%(p)sf\b[^<>]*/>|<%(p)sf\b[^<>]*>[^<]*</%(p)sf>)?<%(p)sv>[\x21-\x25\x27-\x3b\x3d-\x7e]"
        % {b"p": re.escape(prefix)}
    )
    return _SheetTags(b"<%ssheetData" % prefix, b"</%ssheetData>" % prefix, b"</%sc>" % prefix, filled)


def _count_filled(block: bytes, end: int, tags: _SheetTags, last_row: int) -> tuple[int, int]:
    """How many more rows the whole cells of block[:end] fill, and the last of them, after `last_row`.

    Rows are told by number (a parser places a cell by its reference), and only numbers past
    `last_row` count: however a sheet repeats or reorders its rows, none is counted twice.
    """
    rows = set(map(int, tags.filled.findall(block, 0, end)))
    if rows and min(rows) <= last_row:
        rows = {row for row in rows if row > last_row}
    return len(rows), max(rows, default=last_row)
