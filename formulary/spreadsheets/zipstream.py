"""A ZIP member's content inflated chunk by chunk, straight from the upload's bytes: memory stays bounded."""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator

from formulary.spreadsheets.errors import WorkbookRefused

CHUNK = 256 * 1024


def inflate(data: bytes, member: zipfile.ZipInfo) -> Iterator[bytes]:
    """A member's content in chunks of at most CHUNK bytes, never more in memory."""
    start = _data_offset(data, member)
    raw = memoryview(data)[start : start + member.compress_size]
    if member.compress_type == zipfile.ZIP_STORED:
        for offset in range(0, len(raw), CHUNK):
            yield bytes(raw[offset : offset + CHUNK])
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    pending: bytes | memoryview = raw
    try:
        while pending and not inflater.eof:
            yield inflater.decompress(pending, CHUNK)
            pending = inflater.unconsumed_tail
    except zlib.error as exc:
        raise WorkbookRefused("This workbook is damaged (a part of it cannot be unpacked).") from exc


# The fixed part of a ZIP local file header (APPNOTE 4.3.7); zipfile has it only as an untyped private.
_LOCAL_HEADER = struct.calcsize("<4s2B4HL2L2H")


def _data_offset(data: bytes, member: zipfile.ZipInfo) -> int:
    """Where a member's compressed bytes start: after its local header, name and extra field."""
    offset = member.header_offset
    header = data[offset : offset + _LOCAL_HEADER]
    if len(header) != _LOCAL_HEADER or header[:4] != b"PK\x03\x04":
        raise WorkbookRefused("This workbook is damaged (its ZIP directory points at nothing).")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    return offset + _LOCAL_HEADER + name_length + extra_length
