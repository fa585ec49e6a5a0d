"""Cells calamine shows as empty but are not: formulas with no saved result, and error values (#DIV/0!)."""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass
from html import unescape
from io import BytesIO

from defusedxml import ElementTree

_CHUNK = 1024 * 1024
_PREFIX = re.compile(rb"<(?:(\w+):)?worksheet\b")
_REF = re.compile(rb'\sr="([A-Z]+)(\d+)"')
_TYPE = re.compile(rb'\st="(\w+)"')


@dataclass(frozen=True)
class BadCell:
    """A cell without a usable value: what it holds (the formula or the error) and why."""

    shown: str
    message: str


def sheet_part(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    """The part holding a sheet's XML (see sheet_parts), or None."""
    found = [part for part, name in sheet_parts(archive).items() if name == sheet_name]
    return found[-1] if found else None


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Every sheet's part (its ZIP name with forward slashes) and the sheet's name, as calamine finds them.

    The workbook part is the package's officeDocument: xl/workbook.xml as Excel writes it, or
    elsewhere (a minimal package keeps it at the root); some tools write "xl\\" names.
    """
    infos = {part_name(info): info for info in archive.infolist()}

    def read(name: str) -> bytes | None:
        info = infos.get(name)
        return archive.read(info) if info is not None and info.file_size <= _SMALL else None

    workbook_part = _office_document(read("_rels/.rels")) or "xl/workbook.xml"
    folder, base = posixpath.split(workbook_part)
    workbook, relations = read(workbook_part), read(posixpath.join(folder, "_rels", f"{base}.rels"))
    if workbook is None or relations is None:
        return {}
    names = {}
    for element in ElementTree.fromstring(workbook).iter():
        if _local(element.tag) == "sheet":
            rel_id = next((value for key, value in element.attrib.items() if _local(key) == "id"), None)
            names[rel_id] = element.get("name", "")
    parts = {}
    for relation in ElementTree.fromstring(relations).iter():
        if _local(relation.tag) == "Relationship" and relation.get("Id") in names:
            parts[_target(folder, relation.get("Target", ""))] = names[relation.get("Id")]
    return parts


def part_name(member: zipfile.ZipInfo) -> str:
    """A part's name as calamine finds it: forward slashes, no leading one."""
    return member.filename.replace("\\", "/").lstrip("/")


_SMALL = 4 * 1024 * 1024  # a workbook or relationships part larger than this is not read for names


def _office_document(relations: bytes | None) -> str | None:
    """The workbook part named by the package's relationships (_rels/.rels)."""
    for relation in ElementTree.fromstring(relations).iter() if relations else ():
        if _local(relation.tag) == "Relationship" and relation.get("Type", "").endswith("/officeDocument"):
            return _target("", relation.get("Target", ""))
    return None


def _target(folder: str, target: str) -> str:
    """A relationship's target as a part name: absolute, or relative to the folder of its source."""
    target = target.replace("\\", "/")
    return posixpath.normpath(target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target))


def find_bad_cells(
    data: bytes, sheet_name: str, candidates: frozenset[str]
) -> dict[tuple[int, str], BadCell]:
    """Every formula cell with no saved result and every error cell of a sheet, by (row, column letter).

    `candidates` are the worksheet parts the guard saw formula or error markers in; any
    other sheet has neither, and is not read again.
    """
    if not candidates:
        return {}
    with zipfile.ZipFile(BytesIO(data)) as archive:
        part = sheet_part(archive, sheet_name)
        if part not in candidates:
            return {}
        member = next(info for info in archive.infolist() if part_name(info) == part)
        with archive.open(member) as stream:
            return _scan(stream)


def _scan(stream) -> dict[tuple[int, str], BadCell]:
    """Look only around formula and error markers, a block of whole cells at a time: no XML tree.

    Parsing every element of a 50,000-row sheet in Python takes seconds; the guard has
    already refused any DOCTYPE, so the markup is plain and its only entities are XML's own.
    """
    found: dict[tuple[int, str], BadCell] = {}
    pending = b""
    needles = None
    while chunk := stream.read(_CHUNK):
        pending += chunk
        if needles is None:
            match = _PREFIX.search(pending)
            prefix = match.group(1) + b":" if match and match.group(1) else b""
            needles = tuple(part.replace(b"x:", prefix) for part in (b"<x:c ", b"</x:c>", b"<x:f", b"<x:v"))
        # "</c>" never occurs in text (a "<" there is escaped), so the block ends between two cells.
        end = pending.rfind(needles[1])
        if end != -1:
            end += len(needles[1])
            _scan_block(pending[:end], needles, found)
            pending = pending[end:]
    if pending and needles is not None:
        _scan_block(pending, needles, found)
    return found


def _scan_block(block: bytes, needles: tuple[bytes, ...], found: dict[tuple[int, str], BadCell]) -> None:
    cell_open, cell_close, formula, value = needles
    for marker in (formula, b't="e"'):
        position = block.find(marker)
        while position != -1:
            after = block[position + len(marker) : position + len(marker) + 1]
            start = block.rfind(cell_open, 0, position)
            end = block.find(cell_close, position)
            if start != -1 and end != -1 and (marker != formula or after in (b" ", b">", b"/")):
                cell = block[start:end]
                head = cell[: cell.find(b">")]
                bad = _bad_cell(cell, head, formula, value)
                ref = _REF.search(head)
                if bad is not None and ref:
                    found[(int(ref.group(2)), ref.group(1).decode())] = bad
            position = block.find(marker, max(position + 1, end))


def _bad_cell(cell: bytes, head: bytes, formula: bytes, value: bytes) -> BadCell | None:
    """One <c> element: an error value, or a formula with no (or an empty) saved result."""
    typed = _TYPE.search(head)
    kind = typed.group(1) if typed else b"n"
    text = _text(cell, formula)
    # A shared formula's other cells hold only <f t="shared" si="0"/>: a formula without its text.
    shown = f"={text}" if text else ("(formula)" if cell.find(formula) != -1 else "")
    cached = _text(cell, value)
    if kind == b"e":
        error = cached or "an error"
        return BadCell(shown or error, f"Shows the error {error}; correct the cell or type the value.")
    # A formula returning "" is saved as a string (t="str") with an empty value: that is a real result.
    if shown and not cached and kind != b"str":
        return BadCell(
            shown,
            "A formula with no saved result; open the file in Excel or LibreOffice and save it again, "
            "or type the value.",
        )
    return None


def _text(cell: bytes, opening: bytes) -> str:
    """The text of the first element opened by `opening` ("<f", "<v") in a cell, unescaped."""
    start = cell.find(opening)
    if start == -1:
        return ""
    tag_end = cell.find(b">", start)
    if tag_end == -1 or cell[tag_end - 1 : tag_end] == b"/":
        return ""
    close = cell.find(b"</", tag_end)
    return unescape(cell[tag_end + 1 : close if close != -1 else len(cell)].decode("utf-8", "replace"))


def _local(tag: str) -> str:
    """A tag or attribute name without its namespace."""
    return tag.rsplit("}", 1)[-1]
