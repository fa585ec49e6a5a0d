"""The hostile and odd workbooks of the corpus, written by hand: `python -m tests.spreadsheets.corpus.build`.

Each is small; EXPECTED says how an import preview must end: "read" (a summary, or cell
errors naming rows), or "refused" with a message naming the sheet, cell or row at fault.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.spreadsheets.workbooks import edit_part, parts, rezip, xlsx

HERE = Path(__file__).resolve().parent
SHEET = "xl/worksheets/sheet1.xml"
HEADER = ["Product", "GTIN", "Lot", "Expiry", "Qty"]
ROW = ["Hyaluronic serum 2 mL", "09506000134352", "A-1", "2031-03-31", 4]


def base() -> bytes:
    return xlsx([HEADER, ROW])


def with_rows(xml: str) -> bytes:
    """The base workbook with rows added at the end of its sheet."""
    return edit_part(base(), SHEET, lambda text: text.replace("</sheetData>", xml + "</sheetData>"))


def lying_dimension() -> bytes:
    data = with_rows('<row r="50"><c r="XFD50"><v>1</v></c></row>')
    return edit_part(data, SHEET, lambda text: re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:B2"/>', text))


def no_dimension() -> bytes:
    return edit_part(base(), SHEET, lambda text: re.sub(r'<dimension ref="[^"]*"/>', "", text))


def formatting_far_away() -> bytes:
    """A style on whole columns, a formatted row and formatted empty cells at the sheet's very end."""
    def edit(text: str) -> str:
        text = re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', text)
        text = text.replace("<sheetData>", '<cols><col min="1" max="16384" width="12" style="0"/></cols><sheetData>')
        return text.replace("</sheetData>", '<row r="5000" s="0" customFormat="1"/><row r="1048576">'
                            '<c r="A1048576" s="0"/><c r="XFD1048576" s="0"/></row></sheetData>')
    return edit_part(base(), SHEET, edit)


def inline_strings() -> bytes:
    cells = "".join(f'<c r="{chr(65 + i)}{{row}}" t="inlineStr"><is><t>{{v{i}}}</t></is></c>' for i in range(4))
    rows = [cells.format(row=1, **{f"v{i}": h for i, h in enumerate(HEADER[:4])}) + '<c r="E1" t="inlineStr"><is><t>Qty</t></is></c>',
            cells.format(row=2, **{f"v{i}": v for i, v in enumerate(ROW[:4])}) + '<c r="E2"><v>4</v></c>']
    body = "".join(f'<row r="{n}">{cells}</row>' for n, cells in enumerate(rows, start=1))
    return edit_part(base(), SHEET, lambda text: re.sub(r"<sheetData>.*</sheetData>", f"<sheetData>{body}</sheetData>", text,
                                                         flags=re.S))


def no_references() -> bytes:
    """Rows and cells without their r attribute, as the format allows: placed one after the other."""
    return edit_part(base(), SHEET, lambda text: re.sub(r' r="[A-Z]*[0-9]+"', "", text))


def date_1904() -> bytes:
    members = parts(base())
    members["xl/workbook.xml"] = re.sub(rb"<workbookPr([^>]*)/>", rb'<workbookPr date1904="1"\1/>', members["xl/workbook.xml"])
    if b"date1904" not in members["xl/workbook.xml"]:
        members["xl/workbook.xml"] = members["xl/workbook.xml"].replace(b"<bookViews>", b'<workbookPr date1904="1"/><bookViews>')
    return rezip(members)


def huge_shared_strings() -> bytes:
    """30,000 shared strings, one of them used: a large table with a small sheet."""
    return xlsx([HEADER, ROW], extra_sheets=[("Notes", [[f"note {n}"] for n in range(30_000)])])


def sheet_outside_worksheets() -> bytes:
    """The sheet's XML moved out of xl/worksheets/, with a far cell: still checked as a sheet."""
    members = parts(with_rows('<row r="9"><c r="XFD9"><v>1</v></c></row>'))
    members["xl/data/stock.xml"] = members.pop(SHEET)
    for name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
        members[name] = members[name].replace(b"worksheets/sheet1.xml", b"data/stock.xml")
    return rezip(members)


BUILDERS = {
    "far-cell-xfd1048576.xlsx": lambda: with_rows('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'),
    "far-cell-xfd6000.xlsx": lambda: with_rows('<row r="6000"><c r="XFD6000"><v>1</v></c></row>'),
    "malformed-reference.xlsx": lambda: with_rows('<row r="5"><c r="ZZZZZ99999999999"><v>1</v></c></row>'),
    "far-row-no-reference.xlsx": lambda: with_rows('<row r="900000"><c><v>1</v></c></row>'),
    "far-cell-single-quotes.xlsx": lambda: with_rows("<row r='7'><c r='xfd7'><v>1</v></c></row>"),
    "far-inline-empty-string.xlsx": lambda: with_rows('<row r="9"><c r="ZZ9" t="inlineStr"><is/></c></row>'),
    "lying-dimension.xlsx": lying_dimension,
    "duplicate-row-numbers.xlsx": lambda: with_rows('<row r="2"><c r="C2" t="inlineStr"><is><t>B-9</t></is></c></row>'),
    "sheet-outside-worksheets.xlsx": sheet_outside_worksheets,
    "formatting-far-away.xlsx": formatting_far_away,
    "no-dimension.xlsx": no_dimension,
    "inline-strings.xlsx": inline_strings,
    "no-references.xlsx": no_references,
    "date-1904.xlsx": date_1904,
    "huge-shared-strings.xlsx": huge_shared_strings,
    "long-csv-field.csv": lambda: ("Product,Lot,Expiry,Qty\n\"" + "x" * 140_000 + "\",A-1,2031-03-31,4\n").encode(),
}
EXPECTED = {
    "far-cell-xfd1048576.xlsx": ("refused", "cell at XFD1048576"),
    "far-cell-xfd6000.xlsx": ("refused", "cell at XFD6000, beyond column CV"),
    "malformed-reference.xlsx": ("refused", "ZZZZZ99999999999, which is no cell reference"),
    "far-row-no-reference.xlsx": ("refused", "cell at A900000"),
    "far-cell-single-quotes.xlsx": ("refused", "cell at XFD7"),
    "far-inline-empty-string.xlsx": ("refused", "cell at ZZ9"),
    "lying-dimension.xlsx": ("refused", "cell at XFD50"),
    "duplicate-row-numbers.xlsx": ("refused", "row 2 twice"),
    "sheet-outside-worksheets.xlsx": ("refused", "cell at XFD9"),
    "formatting-far-away.xlsx": ("read", ""),
    "no-dimension.xlsx": ("read", ""),
    "inline-strings.xlsx": ("read", ""),
    "no-references.xlsx": ("read", ""),
    "date-1904.xlsx": ("read", ""),
    "huge-shared-strings.xlsx": ("read", ""),
    "long-csv-field.csv": ("refused", "longer than 131,072 characters"),
}

if __name__ == "__main__":
    for name, build in BUILDERS.items():
        (HERE / name).write_bytes(build())
        print(name, (HERE / name).stat().st_size)
