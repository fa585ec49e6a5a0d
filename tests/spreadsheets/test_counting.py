"""Stocktakes against the moment of the count: sessions given meanwhile stand, lots left out are named."""

import io
import shutil
import subprocess
from datetime import date, timedelta
from decimal import Decimal as D

import openpyxl
import pytest
from sqlalchemy import func, select, update

from formulary.clinic_time import local_text
from formulary.db import utcnow
from formulary.extensions import db
from formulary.spreadsheets.count_record import COUNT_SHEET
from formulary.spreadsheets.errors import WorkbookRefused
from formulary.spreadsheets.exporter import export_stock
from formulary.spreadsheets.importer import apply_import, check_upload, prepare_import
from formulary.spreadsheets.models import DatabaseIdentity
from formulary.stock import ledger
from formulary.stock.counting import CountScope
from formulary.stock.models import Lot, StockMovement
from tests.spreadsheets.workbooks import xlsx

TODAY = date.today()
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def prepare(data, name="stock.xlsx"):
    return prepare_import(data, name, "stocktake", today=TODAY, date_order="DMY", max_rows=100_000)


def export_bytes(scope=None) -> bytes:
    buffer = io.BytesIO()
    export_stock(buffer, TODAY, 30, scope=scope)
    return buffer.getvalue()


def edit(data: bytes, change) -> bytes:
    """The workbook with its Stock sheet edited by `change(sheet)` (openpyxl keeps the hidden record)."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    change(workbook["Stock"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row_of(sheet, lot_number: str) -> int:
    return next(row for row in range(2, sheet.max_row + 1) if sheet.cell(row, 4).value == lot_number)


SEALED, OPENED = 8, 9  # H (Sealed units), I (Opened content): the products here come in 2 mL vials


def set_count(lot_number: str, sealed, opened=0):
    def change(sheet):
        row = row_of(sheet, lot_number)
        sheet.cell(row, SEALED).value, sheet.cell(row, OPENED).value = sealed, opened
    return change


@pytest.fixture
def stock(make_product, make_lot, make_user):
    serum = make_product("Hyaluronic serum 2 mL", gtin="09506000134352", storage="2–8 °C")
    vitamin = make_product("Vitamin C 20% 5 mL", category="vitamin", storage="Cupboard",
                           composition=[("ascorbic acid", "active")])
    lots = {
        "HA-1": make_lot(serum, quantity="10", lot_number="HA-1"),
        "HA-2": make_lot(serum, quantity="4", lot_number="HA-2"),
        "VC-1": make_lot(vitamin, quantity="6", lot_number="VC-1"),
    }
    db.session.commit()
    return lots


def test_the_workbook_records_the_moment_the_database_and_each_lots_quantity(stock):
    before = utcnow()
    workbook = openpyxl.load_workbook(io.BytesIO(export_bytes()))
    record = workbook[COUNT_SHEET]
    assert record.sheet_state == "hidden" and record.protection.sheet
    identity = db.session.scalar(select(DatabaseIdentity.uuid))
    assert record["B2"].value == identity
    assert before.replace(microsecond=0) <= __import__("datetime").datetime.fromisoformat(record["B3"].value)
    listed = dict(record.iter_rows(min_row=7, values_only=True))
    assert listed == {stock["HA-1"].id: 10, stock["HA-2"].id: 4, stock["VC-1"].id: 6}
    sheet = workbook["Stock"]
    assert sheet.cell(1, 15).value == "Quantity at count"
    assert sheet.cell(row_of(sheet, "HA-1"), 15).value == "5 vials · 10 mL"


def test_sessions_given_after_the_export_stand_when_the_unchanged_file_comes_back(stock):
    data = export_bytes()
    ledger.waste(stock["HA-1"], "3", actor=None, reason="drawn by a session meanwhile")
    db.session.commit()
    prepared = prepare(data)
    plan = prepared.plan
    assert plan.errors == [] and plan.changes == []
    assert [(m.lot_number, m.then, m.now) for m in plan.counted.moved] == [("HA-1", D(10), D(7))]
    assert plan.counted.not_counted == [] and plan.counted.counted_at is not None
    apply_import(prepared, actor=None)
    db.session.commit()
    assert db.session.get(Lot, stock["HA-1"].id).on_hand == D(7)


def test_a_count_applies_counted_minus_the_quantity_then(stock):
    data = edit(export_bytes(), set_count("HA-1", 4))  # one 2 mL vial was missing at the count
    ledger.waste(stock["HA-1"], "3", actor=None, reason="a session meanwhile")
    db.session.commit()
    prepared = prepare(data)
    [change] = prepared.plan.changes
    assert (change.lot, change.on_hand, change.quantity, change.after) == ("HA-1", D(7), D(-2), D(5))
    apply_import(prepared, actor=None)
    db.session.commit()
    assert db.session.get(Lot, stock["HA-1"].id).on_hand == D(5)


def test_a_count_below_what_left_since_is_refused_for_that_row_and_nothing_is_written(stock):
    data = edit(export_bytes(), set_count("HA-2", 0, 1))  # 4 then; 1 counted; 4 drawn since: -3
    ledger.waste(stock["HA-2"], "4", actor=None, reason="a session meanwhile")
    db.session.commit()
    moves = db.session.scalar(select(func.count()).select_from(StockMovement))
    prepared = prepare(data)
    [error] = prepared.plan.errors
    assert error.row == 3 and error.column == "H (Sealed units)" and error.value == "0"
    assert ("Counted 0 vials + 1 mL opened · 1 mL of lot HA-2 of Hyaluronic serum 2 mL, but 4 mL left it after "
            "the count") in error.message
    assert "below zero" in error.message
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == moves


def test_a_deleted_row_is_not_counted_and_never_zeroed_unless_asked(stock, make_user):
    def delete_vc(sheet):
        sheet.delete_rows(row_of(sheet, "VC-1"))
    data = edit(export_bytes(), delete_vc)
    plan = prepare(data).plan
    assert [(lot.lot_id, lot.lot_number) for lot in plan.counted.not_counted] == [(stock["VC-1"].id, "VC-1")]
    assert plan.changes == []

    manager = make_user("manager")
    prepared = check_upload(data, "stock.xlsx", "stocktake", zero=[stock["VC-1"].id])
    [change] = prepared.plan.changes
    assert (change.lot, change.quantity, change.after) == ("VC-1", D(-6), D(0))
    apply_import(prepared, actor=manager)
    db.session.commit()
    lot = db.session.get(Lot, stock["VC-1"].id)
    assert lot.on_hand == 0 and lot.counted_by_id == manager.id
    counted = db.session.get(Lot, stock["HA-1"].id)
    assert counted.counted_at is not None and counted.counted_by_id == manager.id


def test_zeroing_a_lot_that_was_counted_is_refused(stock):
    with pytest.raises(WorkbookRefused, match="not one of the lots this count left out"):
        check_upload(export_bytes(), "stock.xlsx", "stocktake", zero=[stock["HA-1"].id])


def test_zero_all_zeroes_every_lot_left_out(stock):
    data = edit(export_bytes(), lambda sheet: sheet.delete_rows(2, 2))  # the two HA lots
    prepared = check_upload(data, "stock.xlsx", "stocktake", zero="all")
    assert sorted(change.lot for change in prepared.plan.changes) == ["HA-1", "HA-2"]
    assert all(change.after == 0 for change in prepared.plan.changes)


def test_a_hand_typed_workbook_is_counted_now_and_names_the_lots_of_its_products_it_left_out(stock):
    data = xlsx([["Product", "Lot", "Counted"], ["Hyaluronic serum 2 mL", "HA-1", 9]])
    plan = prepare(data).plan
    assert plan.counted.counted_at is None
    [change] = plan.changes
    assert (change.lot, change.quantity) == ("HA-1", D(-1))
    assert [lot.lot_number for lot in plan.counted.not_counted] == ["HA-2"]  # not VC-1: another product


def test_a_workbook_from_another_database_is_refused(stock):
    data = export_bytes()
    db.session.execute(update(DatabaseIdentity).values(uuid="00000000-0000-4000-8000-000000000000"))
    with pytest.raises(WorkbookRefused, match="exported from another formulary database"):
        prepare(data)


def test_a_quantity_with_decimals_comes_back_exactly(make_product, make_lot):
    lot = make_lot(make_product("Serum 2 mL"), quantity="1234567.125", lot_number="BIG")
    db.session.commit()
    data = edit(export_bytes(), set_count("BIG", 617283, 1.125))
    plan = prepare(data).plan
    assert plan.changes == [] and plan.errors == [] and plan.counted.moved == []
    assert lot.on_hand == D("1234567.125")


def test_a_count_moment_in_the_future_is_refused(stock):
    data = export_bytes()
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    moment = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    workbook[COUNT_SHEET]["B3"].value = moment.isoformat(timespec="seconds")
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(WorkbookRefused, match="is in the future") as refused:
        prepare(buffer.getvalue())
    # Told on the clinic's clock, as every other time is shown.
    assert f"count moment, {local_text(moment)}," in str(refused.value)
    assert "UTC" not in str(refused.value)


def test_the_same_count_is_never_applied_twice(stock):
    data = edit(export_bytes(), set_count("HA-1", 4))
    apply_import(prepare(data), actor=None)
    db.session.commit()
    [error] = prepare(data).plan.errors
    assert "was counted again" in error.message and "applied twice" in error.message
    assert db.session.get(Lot, stock["HA-1"].id).on_hand == D(8)


def test_a_cycle_count_covers_one_storage_place(stock):
    data = export_bytes(CountScope(storage="Cupboard"))
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert [row[3] for row in workbook["Stock"].iter_rows(min_row=2, values_only=True)] == ["VC-1"]
    assert workbook[COUNT_SHEET]["B4"].value == "storage Cupboard"
    plan = prepare(data).plan
    assert plan.changes == [] and plan.counted.not_counted == []  # the fridge was not part of this count


def test_the_workbook_prints_on_a4_landscape_one_page_wide_with_its_header_repeated(stock):
    workbook = openpyxl.load_workbook(io.BytesIO(export_bytes()))
    for name in ("Stock", "Products"):
        sheet = workbook[name]
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.page_setup.paperSize == 9  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        # fitToWidth left out means 1 (the OOXML default, as XlsxWriter writes it); height 0: as tall as it takes
        assert (sheet.page_setup.fitToWidth or 1, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.print_title_rows == "$1:$1"


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
def test_the_record_survives_libreoffice_re_saving_the_workbook(stock, tmp_path):
    source = tmp_path / "counted" / "stock.xlsx"
    source.parent.mkdir()
    source.write_bytes(edit(export_bytes(), set_count("HA-2", 1, 1)))
    ledger.waste(stock["HA-1"], "2", actor=None, reason="a session meanwhile")
    db.session.commit()
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to", "xlsx",
         "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=180,
    )
    resaved = (tmp_path / "stock.xlsx").read_bytes()
    assert resaved != source.read_bytes()
    plan = prepare(resaved).plan
    assert plan.errors == [] and plan.ignored_columns == []
    assert [(c.lot, c.quantity) for c in plan.changes] == [("HA-2", D(-1))]
    assert [(m.lot_number, m.then, m.now) for m in plan.counted.moved] == [("HA-1", D(10), D(8))]


def test_costs_and_values_carry_the_clinics_currency(stock, make_lot):
    make_lot(db.session.get(Lot, stock["HA-1"].id).product, quantity="2", lot_number="PRICED", unit_cost="3.25")
    db.session.commit()
    buffer = io.BytesIO()
    export_stock(buffer, TODAY, 30, currency="JPY")
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))["Stock"]
    row = row_of(sheet, "PRICED")
    assert sheet.cell(row, 11).number_format == '"¥"#,##0' and sheet.cell(row, 12).number_format == '"¥"#,##0'
    eur = openpyxl.load_workbook(io.BytesIO(export_bytes()))["Stock"]
    assert eur.cell(row_of(eur, "PRICED"), 12).number_format == '"€"#,##0.00'
