"""An uploaded CSV file's text: its encoding, its delimiter, and a refusal in words for what csv will not read."""

from __future__ import annotations

import csv

from formulary.spreadsheets.errors import WorkbookRefused
from formulary.spreadsheets.format import HEADER_SEARCH_ROWS, field_for_header

_DELIMITERS = (",", ";", "\t")


def decode(data: bytes) -> str:
    """CSV text: UTF-16 or UTF-8 with their byte-order marks, else UTF-8, else Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise WorkbookRefused("This file is not a workbook or a CSV file we can read.") from exc
    if b"\x00" in data[:4096]:
        raise WorkbookRefused("This file is not a workbook or a CSV file (it holds binary data).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise WorkbookRefused("This file is not a workbook or a CSV file we can read.") from exc


def sniff_delimiter(text: str) -> str:
    """The delimiter (comma, semicolon or tab) under which the first lines show the most known headers."""
    lines = text.splitlines()[:HEADER_SEARCH_ROWS]

    def score(delimiter: str) -> tuple[int, int]:
        rows = csv.reader(lines, delimiter=delimiter)
        try:
            known = max((sum(field_for_header(cell) is not None for cell in row) for row in rows), default=0)
        except csv.Error as exc:
            raise csv_refused(exc) from exc
        return known, sum(line.count(delimiter) for line in lines)

    return max(_DELIMITERS, key=score)


def csv_refused(error: csv.Error) -> WorkbookRefused:
    """A CSV file Python's csv module will not read, refused in words (a value over its field limit)."""
    if "field limit" in str(error):
        return WorkbookRefused(
            f"This CSV file has a value longer than {csv.field_size_limit():,} characters, far more than a "
            "stock list's cell holds (a quotation mark left open, or not a stock list); it cannot be read."
        )
    return WorkbookRefused(f"This CSV file cannot be read ({error}).")
