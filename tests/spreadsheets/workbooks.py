"""Workbooks and archives built in the tests: openpyxl sheets, hand-edited parts, raw ZIPs."""

import io
import struct
import zipfile
import zlib

import openpyxl

ZIP_HEADER = "<4s2B4HL2L2H"
ZIP_CENTRAL = "<4s4B4HL2L5H2L"
ZIP_END = "<4s4H2LH"


def xlsx(rows, *, title="Stock", extra_sheets=()) -> bytes:
    """An .xlsx written by openpyxl, one list per row (None for an empty cell)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for name, sheet_rows in extra_sheets:
        other = workbook.create_sheet(name)
        for row in sheet_rows:
            other.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def parts(data: bytes) -> dict[str, bytes]:
    """Every part of a ZIP by name."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(members: dict[str, bytes]) -> bytes:
    """A ZIP with these parts, deflated as Excel does."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def edit_part(data: bytes, name: str, edit) -> bytes:
    """The same workbook with one part's text changed by `edit(text) -> text`."""
    members = parts(data)
    members[name] = edit(members[name].decode()).encode()
    return rezip(members)


def zeros_deflated(megabytes: int) -> tuple[bytes, int, int]:
    """A raw deflate stream of `megabytes` MB of zeros, built from one compressed megabyte.

    Blocks ended by a full flush are byte-aligned and self-contained, so the same bytes can be
    repeated: 300 MB of zeros cost 300 KB and a fraction of a second. Returns (stream, crc, size).
    """
    megabyte = bytes(1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = compressor.compress(megabyte) + compressor.flush(zlib.Z_FULL_FLUSH)
    final = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush()
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(megabyte, crc)
    return block * megabytes + final, crc, megabytes << 20


def raw_zip(members) -> bytes:
    """A ZIP written byte by byte from (name, method, raw bytes, crc, declared size) members.

    zipfile cannot write a member whose declared size is a lie, nor pre-compressed data.
    """
    out, central = bytearray(), bytearray()
    for name, method, raw, crc, size in members:
        encoded = name.encode()
        offset = len(out)
        out += struct.pack(ZIP_HEADER, b"PK\x03\x04", 20, 0, 0, method, 0, 0x21, crc, len(raw), size, len(encoded), 0)
        out += encoded + raw
        central += struct.pack(
            ZIP_CENTRAL, b"PK\x01\x02", 20, 0, 20, 0, 0, method, 0, 0x21, crc, len(raw), size,
            len(encoded), 0, 0, 0, 0, 0, offset,
        )
        central += encoded
    start = len(out)
    out += central
    out += struct.pack(ZIP_END, b"PK\x05\x06", 0, 0, len(members), len(members), len(central), start, 0)
    return bytes(out)


def stored(name: str, content: bytes):
    """A raw_zip member kept as it is."""
    return (name, zipfile.ZIP_STORED, content, zlib.crc32(content), len(content))
