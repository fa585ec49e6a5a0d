"""A workbook written by another program than ours: LibreOffice, when it is installed."""

import shutil
import subprocess
from datetime import date
from decimal import Decimal as D

import pytest

from formulary.spreadsheets.importer import prepare_import

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
def test_a_csv_converted_to_xlsx_by_libreoffice_imports(tmp_path, make_product):
    make_product("Hyaluronic serum 2 mL", gtin="09506000134352")
    source = tmp_path / "delivery.csv"
    source.write_text(
        "Product,GTIN,Lot No.,Exp. date,Qty,Unit price,Vendor,Date received\n"
        "Hyaluronic serum 2 mL,09506000134352,LO-1,2031-03-31,2,12.5,MesoSupply,2026-05-02\n"
        "Hyaluronic serum 2 mL,,0042,2031-04-30,2.5,,,\n"
        ",,,,,,,\n"
        "hyaluronic serum 2ml,,LO-3,2031-05-31,10,3,=not a formula,2026-05-03\n"
    )
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to", "xlsx",
         "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=120,
    )
    data = (tmp_path / "delivery.xlsx").read_bytes()
    assert data.startswith(b"PK")
    prepared = prepare_import(data, "delivery.xlsx", "delivery", today=date(2026, 6, 1), date_order="DMY",
                              max_rows=1000)
    # LibreOffice names the sheet after the file, and takes the text "=not a formula" for one (#VALUE!).
    assert [(e.sheet, e.row, e.column, e.value, e.message) for e in prepared.plan.errors] == [
        ("delivery", 5, "G (Vendor)", "=not a formula", "Shows the error #VALUE!; correct the cell or type the value."),
    ]
    changes = [(c.row, c.lot, c.expiry, c.quantity, c.unit_cost, c.supplier, c.received) for c in prepared.plan.changes]
    assert changes == [
        # The GTIN became a number (its leading zero put back); ISO dates became date cells.
        (2, "LO-1", date(2031, 3, 31), 2, D("12.5"), "MesoSupply", date(2026, 5, 2)),
        # The lot "0042" became the number 42, as LibreOffice reads a CSV: the import can only see 42.
        (3, "42", date(2031, 4, 30), D("2.5"), None, "", date(2026, 6, 1)),
    ]
    assert {c.product.name for c in prepared.plan.changes} == {"Hyaluronic serum 2 mL"}
