"""Every workbook attack is refused within a second of CPU with bounded memory, before anything is written."""

import io
import time
import tracemalloc
import zipfile

import pytest

from formulary.spreadsheets.errors import WorkbookRefused
from formulary.spreadsheets.reader import read_upload
from tests.spreadsheets.workbooks import edit_part, raw_zip, stored, xlsx, zeros_deflated

# CPU seconds, not wall clock: a dense grid or an unbounded read costs tens of seconds of CPU, while a
# busy machine only stretches the wall clock (CI once took 1.37 s of wall time for 0.3 s of work).
CPU_SECONDS = 1.0
MEMORY = 64 * 1024 * 1024


def million_rows() -> bytes:
    """A real .xlsx whose Stock sheet holds 1,000,000 data rows (the XML streamed into the zip)."""
    base = xlsx([["Product", "Lot", "Expiry", "Qty"], ["Serum", "L1", "2027-03-31", 1]])
    source = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                target.writestr(item, source.read(item))
                continue
            with target.open(item.filename, "w") as sheet:
                sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
                            b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                sheet.write(b'<row r="1"><c r="A1" t="inlineStr"><is><t>Product</t></is></c>'
                            b'<c r="B1" t="inlineStr"><is><t>Lot</t></is></c><c r="C1" t="inlineStr">'
                            b'<is><t>Expiry</t></is></c><c r="D1" t="inlineStr"><is><t>Qty</t></is></c></row>')
                for number in range(2, 1_000_002):
                    sheet.write(b'<row r="%d"><c r="D%d"><v>1</v></c></row>' % (number, number))
                sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def zip_bomb() -> bytes:
    """A 300 MB sheet of zeros that deflates to about 300 KB."""
    raw, crc, size = zeros_deflated(300)
    return raw_zip([stored("[Content_Types].xml", b"<Types/>"), stored("xl/workbook.xml", b"<workbook/>"),
                    ("xl/worksheets/sheet1.xml", zipfile.ZIP_DEFLATED, raw, crc, size)])


def entity_bomb() -> bytes:
    laugh = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
             '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')
    return edit_part(xlsx([["Product", "Lot"]]), "xl/worksheets/sheet1.xml",
                     lambda xml: laugh + xml.split("?>", 1)[-1])


def macro_workbook() -> bytes:
    data = io.BytesIO(xlsx([["Product", "Lot"]]))
    with zipfile.ZipFile(data, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro")
    return data.getvalue()


# A million rows are refused from the sheet's XML as the guard inflates it (60 MB), counted up
# to the first row over the limit, before any parser builds them: about 0.3 s here.
ATTACKS = {"zip bomb": zip_bomb, "XML entity bomb": entity_bomb, "macro workbook": macro_workbook,
           "1,000,000 rows": million_rows}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_a_hostile_workbook_is_refused_quickly_with_bounded_memory(name):
    data = ATTACKS[name]()
    tracemalloc.start()
    started, started_cpu = time.perf_counter(), time.process_time()
    with pytest.raises(WorkbookRefused) as refused:
        read_upload(data, "stock.xlsx", mode="delivery", max_rows=100_000)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"hostile workbook: {name} ({len(data):,} bytes) refused in {elapsed * 1000:.0f} ms "
          f"({cpu * 1000:.0f} ms CPU), "
          f"peak Python memory {peak / 1e6:.1f} MB: {refused.value}")
    assert cpu < CPU_SECONDS, f"{name} took {cpu:.2f} s of CPU to refuse"
    assert peak < MEMORY, f"{name} used {peak / 1e6:.0f} MB"
