"""Export, edit, import back: nothing changes unless a count does; text survives byte for byte."""

import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal as D

import openpyxl
import pytest
from sqlalchemy import event, func, select

from formulary.extensions import db
from formulary.spreadsheets.exporter import export_stock, export_template
from formulary.spreadsheets.importer import apply_import, prepare_import
from formulary.stock.models import Lot, StockMovement
from tests.spreadsheets.workbooks import xlsx

TODAY = date.today()
TRICKY = ["=SUM(A1:A9)", "+49 30 1234", "-Lotion-", "@supplier", "=1+2 (cell)", "＝Full-width", "＋plus", "x\u00a0y"]


def prepare(data, mode, name="stock.xlsx"):
    return prepare_import(data, name, mode, today=TODAY, date_order="DMY", max_rows=100_000)


def export_bytes() -> bytes:
    buffer = io.BytesIO()
    export_stock(buffer, TODAY, 30)
    return buffer.getvalue()


def movements() -> int:
    return db.session.scalar(select(func.count()).select_from(StockMovement))


@pytest.fixture
def stock(make_product, make_lot):
    """Lots in several units and states: expired, expiring, quarantined, decimals, no cost, tricky text."""
    serum = make_product("Hyaluronic serum 2 mL", gtin="09506000134352")
    vitamin = make_product("Vitamin C 20% 5 mL", category="vitamin", unit="vial",
                           composition=[("ascorbic acid", "active")])
    lots = [
        make_lot(serum, quantity="10", lot_number="HA-1", expiry=TODAY + timedelta(days=400), unit_cost="3.25",
                 supplier="MesoSupply"),
        make_lot(serum, quantity="2.5", lot_number="HA-2", expiry=TODAY + timedelta(days=10), unit_cost="0.1"),
        make_lot(serum, quantity="0.125", lot_number="00123", expiry=TODAY + timedelta(days=20),
                 received_on=TODAY - timedelta(days=400)),
        make_lot(vitamin, quantity="7", lot_number="VC-1", expiry=TODAY + timedelta(days=900), status="quarantined"),
        make_lot(vitamin, quantity="1", lot_number="VC-OLD", expiry=TODAY + timedelta(days=1),
                 received_on=TODAY - timedelta(days=700)),
    ]
    db.session.commit()
    return lots


def test_an_unchanged_export_imported_as_a_stocktake_changes_nothing(stock):
    before = movements()
    prepared = prepare(export_bytes(), "stocktake")
    assert prepared.plan.errors == []
    assert prepared.plan.changes == [] and prepared.plan.unchanged == len(stock)
    apply_import(prepared, actor=None)
    db.session.commit()
    assert movements() == before


def test_an_edited_export_makes_exactly_those_adjustments(stock):
    workbook = openpyxl.load_workbook(io.BytesIO(export_bytes()))
    sheet = workbook["Stock"]
    counted = {"HA-2": (1, 0), "VC-1": (9, 0.5)}  # HA: 2 mL vials and mL opened; VC: stocked in vials
    for row in sheet.iter_rows(min_row=2):
        if row[3].value in counted:
            row[7].value, row[8].value = counted[row[3].value]
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = movements()
    prepared = prepare(buffer.getvalue(), "stocktake", name="counted.xlsx")
    assert prepared.plan.errors == []
    assert sorted((change.lot, change.on_hand, change.quantity) for change in prepared.plan.changes) == [
        ("HA-2", D("2.5"), D("-0.5")), ("VC-1", D(7), D("2.5"))]
    stock_import = apply_import(prepared, actor=None)
    db.session.commit()
    assert movements() == before + 2
    on_hand = {lot.lot_number: lot.on_hand for lot in db.session.scalars(select(Lot))}
    assert on_hand == {"HA-1": 10, "HA-2": 2, "00123": D("0.125"), "VC-1": D("9.5"), "VC-OLD": 1}
    adjusted = db.session.scalars(select(StockMovement).where(StockMovement.import_id == stock_import.id))
    assert sorted((m.kind, m.quantity, m.on_hand_after) for m in adjusted) == [
        ("adjust", D("-0.5"), 2), ("adjust", D("2.5"), D("9.5"))]


def test_the_export_is_a_workbook_a_manager_wants_to_open(stock):
    workbook = openpyxl.load_workbook(io.BytesIO(export_bytes()))
    assert workbook.sheetnames == ["Stock", "Products", "Instructions", "Count record"]  # the last one hidden
    assert workbook["Count record"].sheet_state == "hidden"
    sheet = workbook["Stock"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:O6"  # O: Quantity at count
    assert all(cell.font.b for cell in sheet[1])
    rows = {row[3]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    ha1 = rows["HA-1"]
    assert ha1[:4] == ("Hyaluronic serum 2 mL", "09506000134352", "hyaluronic acid", "HA-1")
    assert isinstance(ha1[4], datetime) and ha1[5] == "Available" and ha1[6:10] == ("vial of 2 mL", 5, 0, "mL")
    assert (ha1[10], ha1[11], ha1[12], ha1[14]) == (3.25, 32.5, "MesoSupply", "5 vials · 10 mL")
    assert rows["00123"][7:9] == (0, 0.125)  # less than a vial: all of it under Opened content
    assert rows["VC-1"][6:9] == ("vial", 7, 0)  # a product stocked in vials counts vials
    assert rows["HA-2"][5] == "Expires soon" and rows["VC-1"][5] == "Quarantined"
    assert rows["00123"][3] == "00123"  # a lot number that looks like a number stays text
    assert sheet["E2"].number_format == "yyyy-mm-dd"
    rules = [rule.formula[0] for rules in sheet.conditional_formatting for rule in rules.rules]
    assert any("TODAY()" in formula for formula in rules)
    products = {row[0]: row for row in workbook["Products"].iter_rows(min_row=2, values_only=True)}
    assert products["Vitamin C 20% 5 mL"][4] == 8


def test_formula_looking_text_survives_export_and_import_byte_for_byte(make_product, make_lot):
    products = [make_product(f"{text} product", gtin=None) for text in TRICKY]
    for number, (product, text) in enumerate(zip(products, TRICKY, strict=True)):
        make_lot(product, quantity="1", lot_number=f"L{number}", supplier=text)
    db.session.commit()
    data = export_bytes()
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Stock"]
    suppliers = {row[12].value for row in sheet.iter_rows(min_row=2)}
    assert suppliers == set(TRICKY)
    assert all(row[12].data_type == "s" and row[0].data_type == "s" for row in sheet.iter_rows(min_row=2))
    prepared = prepare(data, "stocktake")
    assert prepared.plan.errors == [] and prepared.plan.unchanged == len(TRICKY)

    # The same rows as a delivery of new lots: the text lands in the database exactly as it was.
    sheet.delete_cols(6, 1)  # Status is not needed
    for number, row in enumerate(sheet.iter_rows(min_row=2)):
        row[3].value = f"NEW{number}"
    buffer = io.BytesIO()
    sheet.parent.save(buffer)
    delivery = prepare(buffer.getvalue(), "delivery")
    assert delivery.plan.errors == []
    apply_import(delivery, actor=None)
    db.session.commit()
    stored = db.session.scalars(select(Lot.supplier).where(Lot.lot_number.like("NEW%"))).all()
    assert sorted(stored) == sorted(TRICKY)
    assert {change.product.id for change in delivery.plan.changes} == {product.id for product in products}


def test_the_delivery_template_imports_once_filled_in(make_product):
    make_product("Hyaluronic serum 2 mL")
    buffer = io.BytesIO()
    export_template(buffer, "DMY")
    workbook = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    sheet = workbook["Stock"]
    headers = [cell.value for cell in sheet[1]]
    row = {"Product": "Hyaluronic serum 2 mL", "Lot": "T-1", "Expiry": datetime(2030, 1, 31), "On hand": 3,
           "Unit cost": 4.5, "Supplier": "MesoSupply", "Received": datetime(2029, 12, 1)}
    for header, value in row.items():
        sheet.cell(2, headers.index(header) + 1, value)
    out = io.BytesIO()
    workbook.save(out)
    prepared = prepare(out.getvalue(), "delivery")
    assert prepared.plan.errors == []
    (change,) = prepared.plan.changes
    assert (change.lot, change.expiry, change.quantity, change.received) == (
        "T-1", date(2030, 1, 31), 3, date(2029, 12, 1))


def test_the_statements_do_not_grow_with_the_rows(app, make_product):
    """Preload, bulk insert: importing 500 rows runs exactly as many SQL statements as importing 10."""
    product = make_product("Hyaluronic serum 2 mL", gtin="09506000134352")
    other = make_product("Vitamin C 20% 5 mL")
    db.session.commit()

    def statements(rows: int, tag: str) -> int:
        lines = [["Product", "Lot", "Expiry", "Qty"]]
        for number in range(rows):
            name = product.name if number % 2 else other.name.upper()
            lines.append([name, f"{tag}{number}", TODAY + timedelta(days=300 + number % 50), 1 + number % 7])
        data = xlsx(lines)
        seen = []

        def count(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            apply_import(prepare(data, "delivery"), actor=None)
            db.session.flush()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len([s for s in seen if not re.match(r"\s*(SAVEPOINT|RELEASE|PRAGMA)", s)])

    small, large = statements(10, "S"), statements(500, "L")
    assert small == large
    assert small <= 10  # products, lots, an earlier import, max lot id, the import, lots, movements, audit


def test_a_workbook_from_another_tool_with_every_date_style(make_product):
    """openpyxl writes what LibreOffice or Numbers might: real dates, serials, text, month-only expiry."""
    make_product("Hyaluronic serum 2 mL", gtin="09506000134352")
    data = xlsx([
        ["Stock count", None, None, None, None],  # a title above the header
        ["Item", "Batch no", "Use by", "Quantity", "Date received"],
        ["Hyaluronic serum 2 mL", "D1", datetime(2031, 3, 31), 1, date(2026, 5, 2)],
        ["Hyaluronic serum 2 mL", "D2", 47208, 2, 46144],  # Excel serials
        ["Hyaluronic serum 2 mL", "D3", "31/03/2031", "3", "02/05/2026"],  # text in the clinic's order
        ["Hyaluronic serum 2 mL", "D4", "03/2031", 4, None],  # a month only: its last day
        ["Hyaluronic serum 2 mL", "D5", "EXP 2031-03", "4,5", "2026-05-02"],
        [None, None, None, None, None],  # blank: skipped
    ])
    prepared = prepare(data, "delivery")
    assert prepared.plan.errors == []
    got = [(c.row, c.lot, c.expiry, c.quantity) for c in prepared.plan.changes]
    assert got == [(3, "D1", date(2031, 3, 31), 1), (4, "D2", date(2029, 3, 31), 2),
                   (5, "D3", date(2031, 3, 31), 3), (6, "D4", date(2031, 3, 31), 4),
                   (7, "D5", date(2031, 3, 31), D("4.5"))]
    assert prepared.plan.changes[1].received == date(2026, 5, 2)
