"""The hostile and odd workbooks of the corpus, written by hand: `python -m tests.spreadsheets.corpus.build`.

Each is small; EXPECTED says how an import preview must end: "read" (a summary, or cell
errors naming rows), or "refused" with a message naming the sheet, cell or row at fault.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

from tests.spreadsheets.workbooks import edit_part, parts, raw_zip, rezip, stored, xlsx

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


def sheet_outside_worksheets(part: str = "data/stock.xml") -> bytes:
    """The sheet's XML moved out of xl/worksheets/ (under any extension), with a far cell: still checked."""
    members = parts(with_rows('<row r="9"><c r="XFD9"><v>1</v></c></row>'))
    members[f"xl/{part}"] = members.pop(SHEET)
    for name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
        members[name] = members[name].replace(b"worksheets/sheet1.xml", part.encode())
    return rezip(members)


def utf16_custom_xml() -> bytes:
    """SharePoint's custom XML part, in UTF-16 as Office writes it (found in calamine's pivots.xlsx)."""
    members = parts(base())
    members["customXml/item1.xml"] = '<?xml version="1.0" encoding="utf-16"?><b:Sources xmlns:b="urn:x"/>'.encode("utf-16")
    return rezip(members)


def backslash_names(extra: str = "") -> bytes:
    """Part names written with backslashes, as some reporting tools do (calamine's issue_530.xlsx)."""
    members = parts(with_rows(extra) if extra else base())
    return rezip({name.replace("/", "\\"): content for name, content in members.items()})


def minimal_package(extra: str = "") -> bytes:
    """The workbook's parts at the root of the ZIP, no xl/ folder (calamine's minimal_package.xlsx)."""
    members = parts(with_rows(extra) if extra else base())
    moved = {name.removeprefix("xl/"): content for name, content in members.items()}
    moved["[Content_Types].xml"] = moved["[Content_Types].xml"].replace(b'"/xl/', b'"/')
    for rels in ("_rels/.rels", "_rels/workbook.xml.rels"):
        moved[rels] = moved[rels].replace(b"/xl/", b"/").replace(b'"xl/', b'"')
    return rezip(moved)


def part_larger_than_declared() -> bytes:
    """A part a few bytes longer than the ZIP directory says (calamine's issue252.xlsx): damaged, not a bomb."""
    members = [stored(name, content) for name, content in parts(base()).items()]
    at = next(index for index, member in enumerate(members) if member[0] == "xl/_rels/workbook.xml.rels")
    name, _method, content, crc, size = members[at]
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    members[at] = (name, zipfile.ZIP_DEFLATED, deflater.compress(content) + deflater.flush(), crc, size - 10)
    return raw_zip(members)


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
    "sheet-named-bin.xlsx": lambda: sheet_outside_worksheets("media/image1.bin"),
    "formatting-far-away.xlsx": formatting_far_away,
    "no-dimension.xlsx": no_dimension,
    "inline-strings.xlsx": inline_strings,
    "no-references.xlsx": no_references,
    "date-1904.xlsx": date_1904,
    "huge-shared-strings.xlsx": huge_shared_strings,
    "utf16-custom-xml.xlsx": utf16_custom_xml,
    "backslash-names.xlsx": backslash_names,
    "backslash-names-far-cell.xlsx": lambda: backslash_names('<row r="9"><c r="XFD9"><v>1</v></c></row>'),
    "minimal-package.xlsx": minimal_package,
    "minimal-package-far-cell.xlsx": lambda: minimal_package('<row r="9"><c r="XFD9"><v>1</v></c></row>'),
    "part-larger-than-declared.xlsx": part_larger_than_declared,
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
    "sheet-outside-worksheets.xlsx": ("refused", "Sheet 'Stock' has a cell at XFD9"),
    "sheet-named-bin.xlsx": ("refused", "Sheet 'Stock' has a cell at XFD9"),
    "formatting-far-away.xlsx": ("read", ""),
    "no-dimension.xlsx": ("read", ""),
    "inline-strings.xlsx": ("read", ""),
    "no-references.xlsx": ("read", ""),
    "date-1904.xlsx": ("read", ""),
    "huge-shared-strings.xlsx": ("read", ""),
    "utf16-custom-xml.xlsx": ("read", ""),
    "backslash-names.xlsx": ("read", ""),
    "backslash-names-far-cell.xlsx": ("refused", "Sheet 'Stock' has a cell at XFD9"),
    "minimal-package.xlsx": ("read", ""),
    "minimal-package-far-cell.xlsx": ("refused", "Sheet 'Stock' has a cell at XFD9"),
    "part-larger-than-declared.xlsx": ("refused", "holds more than its ZIP directory says"),
    "long-csv-field.csv": ("refused", "longer than 131,072 characters"),
}

if __name__ == "__main__":
    for name, build in BUILDERS.items():
        (HERE / name).write_bytes(build())
        print(name, (HERE / name).stat().st_size)
