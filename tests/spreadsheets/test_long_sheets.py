"""A sheet with more rows than allowed is refused from its XML, before any parser builds its rows.

The streamed count must never exceed what a parser finds: a sheet it refuses would be refused
after parsing too. Whatever the sheet holds (blank values, strings, errors, comments, rows
repeated or out of order), the count stays at or below python-calamine's non-blank rows, as
long as no cell is written twice (no spreadsheet program does; a parser keeps the last).
"""

import io

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineError, CalamineWorkbook

from formulary.spreadsheets import reader
from formulary.spreadsheets.errors import WorkbookRefused
from formulary.spreadsheets.filled_rows import filled_rows_over
from formulary.spreadsheets.guard import guard_upload
from formulary.spreadsheets.reader import read_upload
from tests.spreadsheets.workbooks import parts, rezip, xlsx

SHEET = "xl/worksheets/sheet1.xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHARED = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def with_shared_strings(data: bytes) -> dict[str, bytes]:
    """A workbook's parts plus two shared strings: 0 is a space (blank once read), 1 a word."""
    members = parts(data)
    members["xl/sharedStrings.xml"] = (f'<sst xmlns="{MAIN}" count="2" uniqueCount="2"><si><t xml:space="preserve"> '
                                       "</t></si><si><t>Serum</t></si></sst>").encode()
    members["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", f'<Relationship Id="rIdShared" Type="{SHARED}" Target="sharedStrings.xml"/>'
        "</Relationships>".encode())
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    return members


BASE = xlsx([["Product", "Lot", "Expiry", "Qty"]])
CELLS = {
    "number": '<c r="{ref}"><v>7</v></c>',
    "styled number": '<c r="{ref}" s="1" t="n"><v>2.5</v></c>',
    "space": '<c r="{ref}"><v> </v></c>',  # a cell of no type holding a space reads as " ": blank
    "space as a number": '<c r="{ref}" t="n"><v> </v></c>',  # not a number: the sheet cannot be read
    "empty value": '<c r="{ref}"><v></v></c>',
    "shared space": '<c r="{ref}" t="s"><v>0</v></c>',
    "shared word": '<c r="{ref}" t="s"><v>1</v></c>',
    "inline word": '<c r="{ref}" t="inlineStr"><is><t>Serum</t></is></c>',
    "inline space": '<c r="{ref}" t="inlineStr"><is><t> </t></is></c>',
    "error": '<c r="{ref}" t="e"><v>#N/A</v></c>',
    "formula without result": '<c r="{ref}"><f>1+1</f></c>',
    "formula": '<c r="{ref}"><f>1+1</f><v>2</v></c>',
    "boolean": '<c r="{ref}" t="b"><v>1</v></c>',
    "no-break space": '<c r="{ref}" t="str"><v>\u00a0</v></c>',
    "text result": '<c r="{ref}" t="str"><v>ok</v></c>',
    "date": '<c r="{ref}" t="d"><v>2027-03-31</v></c>',
    "styled only": '<c r="{ref}" s="1"/>',
    "type twice": '<c r="{ref}" t="s" t="n"><v>0</v></c>',  # a parser keeps the last
    "type first": '<c t="n" r="{ref}"><v>3</v></c>',
    "comment": '<!-- <c r="{ref}"><v>1</v></c> -->',
}
ROW = st.tuples(
    st.integers(1, 12),  # the row element's number
    st.lists(st.tuples(st.sampled_from("ABC"), st.integers(1, 12), st.sampled_from(list(CELLS.values()))), max_size=3),
)


def workbook(rows, prefix: str = "") -> bytes:
    """The base workbook with a hand-written sheet: rows of (number, [(column, cell row, cell)])."""
    tag = f"{prefix}:" if prefix else ""
    namespace = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    body = "".join(
        f'<{tag}row r="{number}">'
        + "".join(cell.format(ref=f"{column}{row}").replace("<c ", f"<{tag}c ").replace("</c>", f"</{tag}c>")
                  .replace("<v>", f"<{tag}v>").replace("</v>", f"</{tag}v>").replace("<f>", f"<{tag}f>")
                  .replace("</f>", f"</{tag}f>").replace("<is>", f"<{tag}is>").replace("</is>", f"</{tag}is>")
                  .replace("<t>", f"<{tag}t>").replace("</t>", f"</{tag}t>")
                  for column, row, cell in cells)
        + f"</{tag}row>"
        for number, cells in rows
    )
    members = with_shared_strings(BASE)
    members[SHEET] = (f'<?xml version="1.0" encoding="UTF-8"?><{tag}worksheet {namespace}><{tag}sheetData>'
                      f"{body}</{tag}sheetData></{tag}worksheet>").encode()
    return rezip(members)


def parsed_rows(data: bytes) -> int | None:
    """The rows python-calamine reads with a value (None when it cannot read the sheet)."""
    try:
        grid = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    except CalamineError:
        return None
    return sum(not reader._blank(row) for row in grid)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(ROW, max_size=8), prefix=st.sampled_from(["", "x"]))
def test_the_streamed_count_never_exceeds_the_parsed_rows(rows, prefix):
    refs = [(column, row) for _number, cells in rows for column, row, cell in cells if cell != CELLS["comment"]]
    assume(len(set(refs)) == len(refs))
    data = workbook(rows, prefix)
    found = parsed_rows(data)
    if found is not None:
        assert not filled_rows_over(data, SHEET, found)


@pytest.mark.parametrize("prefix", ["", "x"])
def test_rows_of_numbers_are_all_counted(prefix):
    rows = [(number, [("A", number, CELLS["shared word"]), ("B", number, CELLS["number"])]) for number in range(1, 9)]
    data = workbook(rows, prefix)
    assert parsed_rows(data) == 8
    assert filled_rows_over(data, SHEET, 7) and not filled_rows_over(data, SHEET, 8)


def test_the_guard_counts_each_sheets_row_elements():
    data = workbook([(number, [("A", number, CELLS["number"])]) for number in range(1, 6)], "x")
    assert guard_upload(data, "x.xlsx").row_elements == {SHEET: 5}


def long_sheet(rows: int, cell: str = CELLS["number"]) -> bytes:
    """A Stock sheet: a header of inline strings, then `rows` rows of one cell each."""
    header = "".join(f'<c r="{column}1" t="inlineStr"><is><t>{text}</t></is></c>'
                     for column, text in zip("ABCD", ["Product", "Lot", "Expiry", "Qty"], strict=True))
    body = "".join(f'<row r="{number}">{cell.format(ref=f"D{number}")}</row>' for number in range(2, rows + 2))
    members = with_shared_strings(BASE)
    members[SHEET] = (f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">{header}</row>{body}'
                      "</sheetData></worksheet>").encode()
    return rezip(members)


def test_a_long_sheet_is_refused_before_it_is_parsed(monkeypatch):
    def no_parsing(*_args):
        raise AssertionError("the sheet was parsed")

    monkeypatch.setattr(CalamineWorkbook, "get_sheet_by_name", no_parsing, raising=False)
    with pytest.raises(WorkbookRefused, match="This file has more than 30 rows; split it into smaller files."):
        read_upload(long_sheet(41), "long.xlsx", mode="delivery", max_rows=30)


def test_many_row_elements_without_values_are_no_long_sheet():
    sheet = read_upload(long_sheet(60, CELLS["styled only"]), "long.xlsx", mode="delivery", max_rows=30)
    assert sheet.row_numbers == []


@pytest.mark.parametrize("kind", ["space", "shared space"])
def test_blank_values_past_the_last_row_an_import_holds_are_refused(kind):
    # A value that reads as blank still stretches the grid calamine builds: it is bounded like any other.
    with pytest.raises(WorkbookRefused, match="more than 30 rows"):
        read_upload(long_sheet(60, CELLS[kind]), "long.xlsx", mode="delivery", max_rows=30)


def test_a_long_sheet_of_strings_is_still_refused_once_parsed():
    with pytest.raises(WorkbookRefused, match="more than 30 rows"):
        read_upload(long_sheet(41, CELLS["shared word"]), "long.xlsx", mode="delivery", max_rows=30)
