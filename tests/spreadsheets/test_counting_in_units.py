"""The stocktake workbook counts in the product's units: sealed vials, ampoules or boxes, and what opened ones
hold, with the volume beside; a workbook of the older mL-only format is still read."""

import io
from datetime import date, timedelta
from decimal import Decimal as D

import openpyxl
import pytest

from formulary.extensions import db
from formulary.spreadsheets.errors import WorkbookRefused
from formulary.spreadsheets.exporter import export_stock
from formulary.spreadsheets.importer import apply_import, prepare_import
from formulary.stock import ledger
from formulary.stock.draws import draw_rule, fefo_offer
from formulary.stock.models import Lot
from formulary.stock.opened import take
from formulary.stock.opened_models import OpenedUnit
from formulary.vocabulary import MovementKind
from tests.spreadsheets.workbooks import xlsx

TODAY = date.today()
HEADERS = ("Product", "GTIN", "Category", "Lot", "Expiry", "Status", "Package", "Sealed units", "Opened content",
           "Unit", "Unit cost", "Value", "Supplier", "Received", "Quantity at count")
LIDO = "Lidocaine 1% 20 mL multi-dose"


def prepare(data, mode="stocktake", name="count.xlsx"):
    return prepare_import(data, name, mode, today=TODAY, date_order="DMY", max_rows=100_000)


def export_bytes() -> bytes:
    buffer = io.BytesIO()
    export_stock(buffer, TODAY, 30)
    return buffer.getvalue()


def stock_sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))["Stock"]


def rows_by_lot(sheet) -> dict[str, dict]:
    headers = [cell.value for cell in sheet[1]]
    return {row[3]: dict(zip(headers, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)}


def counted(data: bytes, counts: dict[str, tuple]) -> bytes:
    """The workbook with lots counted as (sealed units, opened content), as a counter types them."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook["Stock"]
    for row in sheet.iter_rows(min_row=2):
        if row[3].value in counts:
            row[7].value, row[8].value = counts[row[3].value]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def shelf(make_product, make_lot):
    """A multi-dose 20 mL vial lot with one vial opened (7 mL drawn), 2 mL ampoules, and gloves in boxes of 100."""
    lido = make_product(LIDO, unit_size="20", single_use=False, opened_shelf_life_days=28,
                        category="anaesthetic", composition=[("lidocaine", "active")])
    ha = make_product("HA 1% 2 mL", package="ampoule", gtin="09506000134352")
    gloves = make_product("Nitrile gloves, box of 100 pairs", unit="pair", unit_size="100", package="box",
                          single_use=False, category="other", composition=[("nitrile butadiene rubber", "active")])
    lots = {
        "LI-1": make_lot(lido, lot_number="LI-1", quantity="60", expiry=TODAY + timedelta(days=300)),
        "HA-1": make_lot(ha, lot_number="HA-1", quantity="24", expiry=TODAY + timedelta(days=200), unit_cost="4.5"),
        "GL-1": make_lot(gloves, lot_number="GL-1", quantity="250", expiry=TODAY + timedelta(days=900)),
    }
    take(lots["LI-1"], fefo_offer(lido, TODAY, D(7)).plan.draws[0], draw_rule(lido, TODAY),
         kind=MovementKind.ADMINISTER, actor=None, reason="a session")
    db.session.commit()
    return lots


def test_the_workbook_shows_each_lot_in_units_with_the_volume_beside(shelf):
    workbook = openpyxl.load_workbook(io.BytesIO(export_bytes()))
    sheet = workbook["Stock"]
    assert tuple(cell.value for cell in sheet[1]) == HEADERS
    rows = rows_by_lot(sheet)
    lido, ha, gloves = rows["LI-1"], rows["HA-1"], rows["GL-1"]
    # 53 mL: two sealed 20 mL vials, and the opened one holds 13 mL
    assert (lido["Package"], lido["Sealed units"], lido["Opened content"], lido["Unit"]) == ("vial of 20 mL", 2, 13,
                                                                                             "mL")
    assert lido["Quantity at count"] == "2 vials + 13 mL opened · 53 mL"
    assert (ha["Package"], ha["Sealed units"], ha["Opened content"]) == ("ampoule of 2 mL", 12, 0)
    assert ha["Quantity at count"] == "12 ampoules · 24 mL" and ha["Value"] == 108
    assert (gloves["Package"], gloves["Sealed units"], gloves["Opened content"]) == ("box of 100 pair", 2, 50)
    assert gloves["Quantity at count"] == "2 boxes + 50 pair opened · 250 pair"
    comments = {cell.value: cell.comment.text for cell in sheet[1] if cell.comment}
    assert "unopened vials, ampoules or boxes" in comments["Sealed units"]
    assert "read it off the vial" in comments["Opened content"]
    instructions = " ".join(cell.value for cell in workbook["Instructions"]["A"])
    assert "Sealed units: the whole, unopened vials" in instructions
    assert "rather than as a part of a vial (0.35)" in instructions
    assert "has an On hand column instead" in instructions
    products = {row[0]: row for row in workbook["Products"].iter_rows(min_row=2, values_only=True)}
    assert products[LIDO][4:6] == (53, "2 vials + 13 mL opened · 53 mL")


def test_the_unchanged_workbook_comes_back_with_no_change(shelf):
    prepared = prepare(export_bytes())
    assert prepared.plan.errors == [] and prepared.plan.ignored_columns == []
    assert prepared.plan.changes == [] and prepared.plan.unchanged == 3


def test_a_count_in_units_becomes_the_volume_and_the_opened_vial_is_left_as_it_is(shelf):
    data = counted(export_bytes(), {"LI-1": (1, 12.5), "HA-1": (11, 0), "GL-1": (3, 0)})
    ledger.waste(shelf["HA-1"], "2", actor=None, reason="a session while counting")  # stands: counted − then
    db.session.commit()
    prepared = prepare(data)
    assert prepared.plan.errors == []
    changes = {change.lot: (change.on_hand, change.quantity, change.after) for change in prepared.plan.changes}
    assert changes == {"LI-1": (D(53), D("-20.5"), D("32.5")),  # 1 × 20 + 12.5
                       "HA-1": (D(22), D(-2), D(20)),  # 11 × 2 counted, 24 then; 2 left since
                       "GL-1": (D(250), D(50), D(300))}  # 3 boxes of 100 pairs
    apply_import(prepared, actor=None)
    db.session.commit()
    assert {number: db.session.get(Lot, lot.id).on_hand for number, lot in shelf.items()} == {
        "LI-1": D("32.5"), "HA-1": D(20), "GL-1": D(300)}
    unit = db.session.scalar(db.select(OpenedUnit).where(OpenedUnit.lot_id == shelf["LI-1"].id))
    assert unit.content_left == D(13)  # the count adjusts the lot; its opened vial is the ledger's to change


@pytest.mark.parametrize(("counts", "column", "shown", "message"), [
    ((2.5, 0), "H (Sealed units)", "2.5", "Sealed units are whole: write what an opened one holds under Opened content."),
    ((-1, 0), "H (Sealed units)", "-1", "Cannot be negative."),
    (("two", 0), "H (Sealed units)", "two", "Not a number"),
    ((None, 4), "H (Sealed units)", "", "Empty: every row needs its sealed units counted (0 if none)."),
    ((2, -3), "I (Opened content)", "-3", "Cannot be negative."),
    ((2, 1.2345), "I (Opened content)", "1.2345", "Has more than 3 decimals."),
])
def test_a_bad_count_is_named_by_its_row_and_column_and_nothing_is_imported(shelf, counts, column, shown, message):
    data = counted(export_bytes(), {"HA-1": counts})
    row = next(row for row in range(2, 5) if stock_sheet(data).cell(row, 4).value == "HA-1")
    prepared = prepare(data)
    [error] = prepared.plan.errors
    assert (error.row, error.column, error.value) == (row, column, shown)
    assert error.message.startswith(message), error.message
    assert prepared.plan.changes == []


def test_a_count_below_what_left_since_names_the_count_in_units(shelf):
    data = counted(export_bytes(), {"HA-1": (1, 0)})  # 2 mL counted; 24 then
    ledger.waste(shelf["HA-1"], "23", actor=None, reason="sessions while counting")
    db.session.commit()
    [error] = prepare(data).plan.errors
    assert error.column == "H (Sealed units)"
    assert error.message.startswith("Counted 1 ampoule · 2 mL of lot HA-1 of HA 1% 2 mL, but 23 mL left it")


def test_a_workbook_of_the_older_mL_format_is_still_read_as_millilitres(shelf):
    """An export made before counting in units: On hand (the count in mL) where Package, Sealed and Opened are."""
    data = export_bytes()
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook["Stock"]
    for row in sheet.iter_rows(min_row=2):
        row[6].value = {"LI-1": 40, "HA-1": 24, "GL-1": 250}[row[3].value]  # counted in mL
    sheet.cell(1, 7).value = "On hand"
    sheet.delete_cols(8, 2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    prepared = prepare(buffer.getvalue())
    assert prepared.plan.errors == [] and prepared.plan.counted.counted_at is not None
    assert [(change.lot, change.quantity) for change in prepared.plan.changes] == [("LI-1", D(-13))]
    hand_typed = prepare(xlsx([["Product", "Lot", "Counted"], ["HA 1% 2 mL", "HA-1", 20]]))
    assert [(change.lot, change.quantity) for change in hand_typed.plan.changes] == [("HA-1", D(-4))]


def test_a_sheet_counting_both_ways_is_refused_naming_the_columns(shelf):
    data = xlsx([["Product", "Lot", "On hand", "Sealed units", "Opened content"], ["HA 1% 2 mL", "HA-1", 24, 12, 0]])
    with pytest.raises(WorkbookRefused) as refused:
        prepare(data)
    assert refused.value.message.startswith(
        "Column C (On hand) gives each lot's quantity in the stock unit, and D (Sealed units) and E (Opened "
        "content) in units: keep one way.")
    with pytest.raises(WorkbookRefused, match=r"Column C \(Opened\) says what opened units hold, but no Sealed units"):
        prepare(xlsx([["Product", "Lot", "Opened"], ["HA 1% 2 mL", "HA-1", 1]]))


def test_a_delivery_can_be_received_in_units_too(shelf):
    data = xlsx([["Product", "Lot", "Expiry", "Sealed units"],
                 ["HA 1% 2 mL", "HA-NEW", TODAY + timedelta(days=400), 10],
                 [LIDO, "LI-NEW", TODAY + timedelta(days=400), 0]])
    prepared = prepare(data, mode="delivery", name="delivery.xlsx")
    [error] = prepared.plan.errors
    assert (error.row, error.column, error.message) == (3, "D (Sealed units)",
                                                        "Must be more than 0: count the units received.")
    fine = prepare(xlsx([["Product", "Lot", "Expiry", "Sealed units"],
                         ["HA 1% 2 mL", "HA-NEW", TODAY + timedelta(days=400), 10]]), mode="delivery")
    [change] = fine.plan.changes
    assert (change.lot, change.quantity) == ("HA-NEW", D(20))


def test_the_stocktake_preview_shows_the_counts_in_units(shelf, client, login_as):
    login_as("manager")
    data = counted(export_bytes(), {"HA-1": (11, 0)})
    from tests.spreadsheets.test_pages import upload

    page = upload(client, data, mode="stocktake", name="count.xlsx").get_data(as_text=True)
    assert "12 ampoules · 24 mL" in page and "11 ampoules · 22 mL" in page
