"""Refuse hostile or wrong uploads before any parser sees them: by content, fast, with bounded memory."""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO

from formulary.spreadsheets.csv_text import decode, sniff_delimiter
from formulary.spreadsheets.errors import WorkbookRefused
from formulary.spreadsheets.extent import Extent, check_exactly
from formulary.spreadsheets.formulas import part_name, sheet_parts
from formulary.spreadsheets.zipstream import inflate

XLSX = "xlsx"
CSV = "csv"

MAX_ROWS = 100_000  # the import's row limit when none is given (FORMULARY_IMPORT_MAX_ROWS)
MAX_MEMBERS = 1_000  # a real workbook has a few dozen parts
MAX_TOTAL_SIZE = 200 * 1024 * 1024  # inflated, all parts together
MAX_RATIO = 100  # inflated / compressed, for a part larger than RATIO_FLOOR
RATIO_FLOOR = 10 * 1024 * 1024
PROLOG_WINDOW = 64 * 1024  # an XML part must reach its root element within this

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_EXCEL_NAMES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".xltx", ".xltm")
_XML_PARTS = (".xml", ".rels", ".vml")
_HTML = re.compile(rb"\s*<(!doctype html|html|head|body|table|meta|!--)", re.IGNORECASE)
_SPACE = re.compile(rb"\s*")
_NAME_START = re.compile(rb"<[A-Za-z_]")
# The end of a formula element (</f>, </x:f>) or a cell of type "e" (an error value). Plain
# substring searches: a regex over a 30 MB sheet would cost more than calamine's whole parse.
_FORMULA_MARKERS = (b"f>", b't="e"')
_SHEET_ROOT = re.compile(rb"<(?:(\w+):)?worksheet[\s>]")


@dataclass(frozen=True)
class Upload:
    """An upload that passed the guard: an .xlsx to parse, or CSV text with its delimiter."""

    kind: str  # XLSX or CSV
    data: bytes
    text: str | None = None
    delimiter: str = ","
    formula_parts: frozenset[str] = frozenset()  # worksheet parts that may hold formulas or errors
    # Worksheet part → how many row elements it opens: more rows than that it cannot hold.
    row_elements: dict[str, int] = field(default_factory=dict)


def guard_upload(data: bytes, filename: str = "", *, max_rows: int = MAX_ROWS) -> Upload:
    """Check an upload by its content, not its name; raise WorkbookRefused with one clear sentence.

    The name only tells a renamed CSV (text named .xlsx), which is refused, from a real one;
    `max_rows` bounds how far a worksheet's cells may reach.
    """
    if not data.strip():
        raise WorkbookRefused("The file is empty, not a workbook.")
    if data.startswith(_OLE2):
        raise WorkbookRefused(_ole2_message(data))
    if data.startswith(_ZIP):
        formula_parts, row_elements = _check_xlsx(data, max_rows)
        return Upload(XLSX, data, formula_parts=formula_parts, row_elements=row_elements)
    if data.startswith(b"%PDF"):
        raise WorkbookRefused("This file is a PDF document, not a workbook; upload the .xlsx or .csv file.")
    head = data[:1024].lstrip(b"\xef\xbb\xbf")
    if _HTML.match(head):
        raise WorkbookRefused("This file is a web page (HTML), not a workbook; save it as .xlsx in Excel.")
    if head.lstrip().startswith(b"<?xml"):
        raise WorkbookRefused("This file is XML, not a workbook; open it in Excel and save it as .xlsx.")
    text = decode(data)
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    if name.lower().endswith(_EXCEL_NAMES):
        raise WorkbookRefused(
            f"This file is named {name} but is not a workbook (it is plain text, perhaps a renamed "
            "CSV file); save it as .xlsx in Excel, or upload it as .csv."
        )
    return Upload(CSV, data, text, sniff_delimiter(text))


def _ole2_message(data: bytes) -> str:
    """An OLE2 file is an old .xls, or an .xlsx Excel encrypted with a password."""
    if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
        return "This workbook is password-protected; remove the password in Excel and upload it again."
    return (
        "This is an old Excel .xls file (or a password-protected workbook); "
        "open it in Excel and save it as .xlsx without a password."
    )


def _check_xlsx(data: bytes, max_rows: int) -> tuple[frozenset[str], dict[str, int]]:
    """An .xlsx: a ZIP with the workbook parts, no macros, honest sizes, XML without a DOCTYPE.

    Returns the worksheet parts that may hold formulas or error values, and how many row
    elements each worksheet part opens.
    """
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise WorkbookRefused("This file is damaged or not a workbook (its ZIP is unreadable).") from exc
    if len(members) > MAX_MEMBERS:
        raise WorkbookRefused(f"This workbook has {len(members):,} parts, far more than a workbook has.")
    # Some tools write "xl\\workbook.xml", or put the parts at the root (a minimal package): calamine
    # reads both, so the checks below name the parts as it does.
    names = {part_name(member) for member in members}
    lowered = {name.lower() for name in names}
    if "content.xml" in lowered and "mimetype" in lowered:
        raise WorkbookRefused("This is an OpenDocument spreadsheet (.ods); save it as .xlsx and upload that.")
    if "xl/workbook.bin" in lowered:
        raise WorkbookRefused("This is a binary Excel workbook (.xlsb); save it as .xlsx and upload that.")
    if "[Content_Types].xml" not in names or not any(name.endswith("workbook.xml") for name in lowered):
        raise WorkbookRefused("This file is a ZIP archive but not an Excel workbook.")
    if any(name.endswith("vbaproject.bin") or name.startswith("xl/macrosheets/") for name in lowered):
        raise WorkbookRefused(_MACROS)
    _check_declared_sizes(members)
    sheets = _sheet_names(archive)
    marked, rows = set(), {}
    for member in members:
        name = part_name(member)
        is_sheet = "worksheets/" in name or name in sheets
        # Every XML part is read for cells, a sheet or not: a part calamine reads as a sheet is
        # found wherever the workbook puts it, and no other part holds cell or row elements.
        label = f"Sheet '{sheets[name]}'" if name in sheets else f"The part {name}"
        extent = Extent(label, max_rows) if name.lower().endswith(_XML_PARTS) or name in sheets else None
        formulas, row_elements = _check_member(data, member, extent, is_sheet)
        if formulas:
            marked.add(name)
        if row_elements is not None:
            rows[name] = row_elements
    if b"macroenabled" in archive.read("[Content_Types].xml").lower():
        raise WorkbookRefused(_MACROS)
    return frozenset(marked), rows


def _sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each sheet's part and name, wherever the workbook puts it; {} when its parts cannot be read yet.

    A part the workbook reads as a sheet is checked as one, whatever its folder or extension;
    a workbook part that is not plain XML is refused by the member checks.
    """
    try:
        return sheet_parts(archive)
    except (ValueError, SyntaxError, zipfile.BadZipFile, zlib.error, EOFError):
        return {}


_MACROS = "This workbook contains macros, which are refused; save it as a plain .xlsx without macros."
_BOMB = "This workbook inflates to far more data than it holds (a ZIP bomb), so it was refused unread."


def _check_declared_sizes(members: list[zipfile.ZipInfo]) -> None:
    """The archive's own directory: refuse what would inflate too far, before inflating anything."""
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise WorkbookRefused("This workbook is password-protected; remove the password in Excel first.")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise WorkbookRefused("This workbook uses a compression Excel never writes; save it as .xlsx.")
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if total > MAX_TOTAL_SIZE or (member.file_size > RATIO_FLOOR and ratio > MAX_RATIO):
            raise WorkbookRefused(_BOMB)


def _check_member(
    data: bytes, member: zipfile.ZipInfo, extent: Extent | None, is_sheet: bool
) -> tuple[bool, int | None]:
    """Inflate one part in chunks: as large as declared, an XML part without DOCTYPE.

    For a worksheet part, returns whether it may hold formulas or error values (which
    calamine shows as empty cells, so that only such a sheet is parsed again to find them),
    and how many row elements it opens (counted at the speed of a byte search, so that a
    sheet of a million rows is told before any parser builds them); (False, None) otherwise.
    A worksheet's cells are checked to lie within what an import holds (extent.py).
    """
    is_xml = member.filename.lower().endswith(_XML_PARTS) or is_sheet
    size = 0
    marked = False
    rows = 0
    row_tag = b"<row"
    tail = b""
    chunks = inflate(data, member)
    for chunk in chunks:
        if size + len(chunk) > member.file_size:
            raise WorkbookRefused(_larger_than_declared(member, size + len(chunk), chunks))
        if size == 0 and is_xml:
            _check_prolog(chunk[:PROLOG_WINDOW], part_name(member))
            if is_sheet and (root := _SHEET_ROOT.search(chunk, 0, PROLOG_WINDOW)) and root.group(1):
                row_tag = b"<" + root.group(1) + b":row"  # <x:row> under <x:worksheet>
        size += len(chunk)
        if is_sheet:
            if not marked:
                window = tail + chunk
                marked = any(marker in window for marker in _FORMULA_MARKERS)
            # A tag cut between two chunks is counted from the bytes either side of the cut.
            rows += chunk.count(row_tag) + (tail[-len(row_tag) + 1 :] + chunk[: len(row_tag) - 1]).count(row_tag)
            tail = chunk[-max(8, len(row_tag)) :]
        if extent is not None:
            extent.feed(chunk)
    if size != member.file_size:
        raise WorkbookRefused("This workbook is damaged (a part of it is shorter than declared).")
    if extent is not None and extent.close():
        check_exactly(inflate(data, member), extent.sheet, extent.max_rows)
    return marked, rows if is_sheet else None


_SLACK = 1024 * 1024  # inflated past its declared size by less than this, a part is damaged, not a bomb


def _larger_than_declared(member: zipfile.ZipInfo, size: int, rest: Iterator[bytes]) -> str:
    """Why a part inflates past its declared size: a damaged file, or (much larger) a ZIP bomb."""
    for chunk in rest:
        size += len(chunk)
        if size > member.file_size + _SLACK:
            return _BOMB
    return (f"This workbook is damaged: its part {part_name(member)} holds more than its ZIP directory "
            "says, so it cannot be read; open it in Excel and save it again.")


def _check_prolog(head: bytes, name: str) -> None:
    """Refuse a DOCTYPE or ENTITY (the entity bomb), and a prolog too long or oddly encoded to check.

    Parts outside xl/ that no parser here reads (Office's customXml/item1.xml, written in UTF-16
    by SharePoint) are checked in their own encoding.
    """
    head = head.removeprefix(b"\xef\xbb\xbf")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) and not name.startswith("xl/"):
        head = head[: len(head) // 2 * 2].decode("utf-16", "replace").encode()
    upper = head.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        raise WorkbookRefused("This workbook declares XML entities (an entity bomb risk), so it was refused.")
    if head.strip() and not _reaches_root(head):
        raise WorkbookRefused(f"This workbook has a part ({name}) that is not plain UTF-8 XML.")


def _reaches_root(head: bytes) -> bool:
    """Whether the XML declaration, comments and processing instructions end in a root element."""
    pos = 0
    while True:
        space = _SPACE.match(head, pos)
        assert space is not None  # \s* matches anywhere
        pos = space.end()
        for opening, closing in ((b"<?", b"?>"), (b"<!--", b"-->")):
            if head.startswith(opening, pos):
                end = head.find(closing, pos + len(opening))
                if end < 0:
                    return False
                pos = end + len(closing)
                break
        else:
            return _NAME_START.match(head, pos) is not None
