"""`formulary stock export` and `formulary stock import`: the same checks and preview as the pages."""

from datetime import date, timedelta
from decimal import Decimal as D

import openpyxl
import pytest
from sqlalchemy import func, select

from formulary.extensions import db
from formulary.stock.models import Lot, StockImport
from tests.spreadsheets.workbooks import xlsx

EXPIRY = date.today() + timedelta(days=400)
HEADER = ["Product", "Lot", "Exp. date", "Qty"]


@pytest.fixture
def serum(make_product):
    product = make_product("Hyaluronic serum 2 mL", gtin="09506000134352")
    db.session.commit()
    return product


def lots() -> dict:
    return {lot.lot_number: lot.on_hand for lot in db.session.scalars(select(Lot))}


def test_export_writes_the_workbook(runner, serum, make_lot, tmp_path):
    make_lot(serum, quantity="4", lot_number="A-1", expiry=EXPIRY)
    db.session.commit()
    path = tmp_path / "stock.xlsx"
    result = runner.invoke(args=["stock", "export", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output == f"Wrote {path}: 1 lots of 1 products (all stock).\n"
    assert openpyxl.load_workbook(path)["Stock"]["D2"].value == "A-1"
    assert runner.invoke(args=["stock", "export", str(tmp_path / "stock.csv")]).exit_code != 0


def test_a_dry_run_prints_the_preview_and_writes_nothing(runner, serum, tmp_path):
    path = tmp_path / "delivery.xlsx"
    path.write_bytes(xlsx([HEADER, ["Hyaluronic serum 2 mL", "A-1", EXPIRY, 4], ["Hyaluronic serum 2 mL", "A-2",
                                                                                 EXPIRY, 1.5]]))
    result = runner.invoke(args=["stock", "import", str(path), "--mode", "delivery", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "delivery.xlsx (delivery): 2 rows, 2 new lots, 0 lots changed, 0 unchanged." in result.output
    assert "  mL: +5.5\n" in result.output
    assert f"  row 2: Hyaluronic serum 2 mL, lot A-1 (expires {EXPIRY}): new lot, 0 → 4 mL" in result.output
    assert result.output.endswith("Dry run: nothing was written.\n")
    assert lots() == {}


def test_an_import_applies_and_the_same_delivery_needs_force(runner, serum, tmp_path):
    path = tmp_path / "delivery.xlsx"
    path.write_bytes(xlsx([HEADER, ["Hyaluronic serum 2 mL", "A-1", EXPIRY, 4]]))
    result = runner.invoke(args=["stock", "import", str(path), "--mode", "delivery"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("Imported as import #" + str(db.session.scalar(select(StockImport.id))) + ".")
    again = runner.invoke(args=["stock", "import", str(path), "--mode", "delivery"])
    assert again.exit_code == 1
    assert "This delivery was already imported on" in again.output and "then add --force." in again.output
    assert lots() == {"A-1": 4}
    forced = runner.invoke(args=["stock", "import", str(path), "--mode", "delivery", "--force"])
    assert forced.exit_code == 0 and lots() == {"A-1": 8}
    assert db.session.scalar(select(func.count()).select_from(StockImport)) == 2


def test_errors_are_one_line_each_and_the_exit_code_says_so(runner, serum, tmp_path):
    path = tmp_path / "delivery.xlsx"
    path.write_bytes(xlsx([HEADER, ["Hyaluronic serum 2 mL", "A-1", "31/02/2027", 4],
                           ["Hyaluronic serum 2 mL", "A-2", EXPIRY, "many"]]))
    result = runner.invoke(args=["stock", "import", str(path), "--mode", "delivery"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == 'Stock!row 2, column C (Exp. date), value "31/02/2027": Not a real date: February has no day 31.'
    assert lines[1] == 'Stock!row 3, column D (Qty), value "many": Not a number.'
    assert lines[2] == "Error: 2 errors in delivery.xlsx; nothing was imported."
    assert lots() == {}


def test_a_file_that_is_not_a_workbook_is_one_line(runner, tmp_path):
    path = tmp_path / "stock.xlsx"
    path.write_bytes(b"%PDF-1.4 ...")
    result = runner.invoke(args=["stock", "import", str(path), "--mode", "stocktake"])
    assert result.exit_code == 1
    assert result.output == ("Error: stock.xlsx: This file is a PDF document, not a workbook; upload the .xlsx or "
                             ".csv file. Nothing was imported.\n")


def test_a_large_stocktake_shows_a_progress_bar(runner, serum, make_lot, tmp_path, monkeypatch):
    from formulary.spreadsheets import commands

    monkeypatch.setattr(commands, "PROGRESS_FROM", 2)
    for number in range(3):
        make_lot(serum, quantity="5", lot_number=f"C{number}", expiry=EXPIRY)
    db.session.commit()
    path = tmp_path / "count.csv"
    path.write_text("GTIN;Lot;Counted\n09506000134352;C0;5\n09506000134352;C1;4,5\n09506000134352;C2;0\n")
    result = runner.invoke(args=["stock", "import", str(path), "--mode", "stocktake"])
    assert result.exit_code == 0, result.output
    assert "count.csv (stocktake): 3 rows, 0 new lots, 2 lots changed, 1 unchanged." in result.output
    assert "  mL: -5.5\n" in result.output
    assert "\nImporting" in result.output  # the bar's label; a terminal also sees it move
    assert lots() == {"C0": 5, "C1": D("4.5"), "C2": 0}


def test_a_stocktake_of_an_export_says_its_moment_what_moved_and_what_was_not_counted(runner, serum, make_lot,
                                                                                       tmp_path):
    import openpyxl

    from formulary.stock import ledger

    kept = make_lot(serum, quantity="4", lot_number="A-1", expiry=EXPIRY)
    gone = make_lot(serum, quantity="2", lot_number="A-2", expiry=EXPIRY)
    db.session.commit()
    path = tmp_path / "count.xlsx"
    assert runner.invoke(args=["stock", "export", str(path)]).exit_code == 0
    workbook = openpyxl.load_workbook(path)
    workbook["Stock"].delete_rows(3)  # the box is missing
    workbook.save(path)
    ledger.waste(kept, "1", actor=None, reason="a session meanwhile")
    db.session.commit()

    result = runner.invoke(args=["stock", "import", str(path), "--mode", "stocktake", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Counted at " in result.output and "what moved since stands" in result.output
    assert f"moved since the count: Hyaluronic serum 2 mL, lot A-1 (#{kept.id}): 4 → 3 mL" in result.output
    assert f"not counted: Hyaluronic serum 2 mL, lot A-2 (#{gone.id}): left as it is" in result.output

    result = runner.invoke(args=["stock", "import", str(path), "--mode", "stocktake",
                                 "--zero-not-counted", str(gone.id)])
    assert result.exit_code == 0, result.output
    assert f"lot A-2 (#{gone.id}): zeroed, as asked" in result.output
    db.session.expire_all()
    assert (db.session.get(Lot, kept.id).on_hand, db.session.get(Lot, gone.id).on_hand) == (3, 0)
