"""In a real browser: export the stock, change a count in the file, import it as a stocktake, confirm."""

import re
from datetime import date, timedelta

import openpyxl
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot

TODAY = date.today()


def _clinic():
    from formulary.catalogue.models import Substance
    from formulary.catalogue.products import ComponentData, ProductData, create_product
    from formulary.extensions import db
    from formulary.reference.names import normalize_name
    from formulary.stock import ledger

    for name in ("sodium hyaluronate", "ascorbic acid"):
        db.session.add(Substance(name=name, key=normalize_name(name)))
    db.session.flush()
    serum = create_product(ProductData(
        name="Hyaluronic Acid 1% 2 mL", category="hyaluronic acid", unit_size="2", gtin="09506000134352",
        composition=[ComponentData(substance="sodium hyaluronate", role="active")]), actor=None)
    vitamin = create_product(ProductData(
        name="Vitamin C 20% 5 mL", category="vitamin", unit_size="5", reorder_level="30",
        composition=[ComponentData(substance="ascorbic acid", role="active")]), actor=None)
    for product, number, quantity, days in ((serum, "HA-100", "12", 300), (serum, "HA-090", "4", 20),
                                            (vitamin, "VC-7", "25", 500), (vitamin, "VC-OLD", "3", -5)):
        ledger.receive(product, lot_number=number, expiry=TODAY + timedelta(days=days), quantity=quantity,
                       received_on=TODAY - timedelta(days=30), actor=None, supplier="MesoSupply", unit_cost="4.5")


def _on_hand(lot_number):
    from sqlalchemy import select

    from formulary.extensions import db
    from formulary.stock.models import Lot

    return db.session.scalar(select(Lot.on_hand).where(Lot.lot_number == lot_number))


def test_export_edit_a_count_import_it_as_a_stocktake(page, seed, browser_user, tmp_path):
    seed(_clinic)
    log_in(page, browser_user("manager"))
    page.locator("#main-nav").get_by_role("link", name="Import/Export").click()
    expect(page.get_by_role("heading", name="Import and export")).to_be_visible()
    screenshot(page, "spreadsheets-index-empty")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the stock workbook").click()
    download = download_info.value
    assert download.suggested_filename == f"formulary-stock-{TODAY.isoformat()}.xlsx"
    exported = tmp_path / download.suggested_filename
    download.save_as(exported)

    # The manager counts 9 mL of lot VC-7 instead of 25: one sealed 5 mL vial and 4 mL in an opened one.
    workbook = openpyxl.load_workbook(exported)
    sheet = workbook["Stock"]
    rows = {row[3].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(rows) == {"HA-100", "HA-090", "VC-7", "VC-OLD"}
    assert [cell.value for cell in rows["VC-7"][6:9]] == ["vial of 5 mL", 5, 0]
    rows["VC-7"][7].value, rows["VC-7"][8].value = 1, 4
    counted = tmp_path / "stocktake.xlsx"
    workbook.save(counted)

    page.get_by_label("Workbook (.xlsx or .csv)").set_input_files(str(counted))
    page.get_by_label("Stocktake: the quantities counted, lot by lot").check()
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("heading", name="Preview of stocktake.xlsx")).to_be_visible()
    changes = page.get_by_role("table", name="Changes")
    expect(changes.get_by_role("row")).to_have_count(2)  # the header and the one difference
    row = changes.get_by_role("row").nth(1)
    expect(row).to_contain_text("VC-7")
    expect(row).to_contain_text("5 vials · 25 mL")
    expect(row).to_contain_text("1 vial + 4 mL · 9 mL")
    expect(row).to_contain_text("−16")
    expect(page.locator(".preview-totals")).to_contain_text("Unchanged (count = on hand)")
    screenshot(page, "spreadsheets-preview")
    assert seed(_on_hand, "VC-7") == 25  # nothing written before the confirmation

    page.get_by_role("button", name="Confirm: import 1 change").click()
    expect(page.get_by_role("alert")).to_contain_text("Imported stocktake.xlsx: 0 new lots, 1 lot changed.")
    movements = page.get_by_role("table", name="Movements of this import")
    expect(movements).to_contain_text("Stocktake")
    expect(movements).to_contain_text("−16")
    screenshot(page, "spreadsheets-import")
    assert seed(_on_hand, "VC-7") == 9

    movements.get_by_role("link", name="VC-7").click()
    expect(page.locator("#on-hand")).to_have_text("1 vial + 4 mL · 9 mL")  # 5 mL vials

    page.locator("#main-nav").get_by_role("link", name="Import/Export").click()
    page.get_by_role("link", name="All imports").first.click()
    imports = page.get_by_role("table", name="Imports")
    expect(imports.get_by_role("row").nth(1)).to_contain_text("stocktake.xlsx")
    expect(imports.get_by_role("row").nth(1)).to_contain_text("manager-browser")
    screenshot(page, "spreadsheets-imports")


def test_a_file_with_errors_lists_every_one_and_imports_nothing(page, seed, browser_user, tmp_path):
    seed(_clinic)
    log_in(page, browser_user("manager"))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Stock"
    sheet.append(["Product", "GTIN", "Lot No.", "Exp. date", "Qty", "Notes"])
    sheet.append(["Hyaluronic Acid 1% 2 mL", None, "HA-200", "31/02/2028", 10, "top shelf"])
    sheet.append(["Hyaluronic Acid 1% 2 mL", None, "HA-090", TODAY + timedelta(days=90), 5, None])
    sheet.append(["Vitamin D3", None, "VD-1", TODAY + timedelta(days=90), "ten", None])
    sheet.append([None, "09506000134352", "HA-201", TODAY + timedelta(days=400), 0, None])
    path = tmp_path / "delivery.xlsx"
    workbook.save(path)

    page.goto("/stock/spreadsheets/")
    page.get_by_label("Workbook (.xlsx or .csv)").set_input_files(str(path))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Nothing was imported from delivery.xlsx")).to_be_visible()
    errors = page.get_by_role("table", name="Errors")
    expect(errors.get_by_role("row")).to_have_count(6)
    expect(errors).to_contain_text("Not a real date: February has no day 31.")
    expect(errors).to_contain_text(re.compile(r"Lot HA-090 of Hyaluronic Acid 1% 2 mL is already in stock with expiry"))
    expect(errors).to_contain_text("No product in the catalogue has this name")
    expect(errors).to_contain_text("Must be more than 0.")
    expect(page.get_by_text("Columns not used (not ours): F (Notes).")).to_be_visible()
    screenshot(page, "spreadsheets-errors")


def test_a_delivery_from_the_template_then_the_same_file_again(page, seed, browser_user, tmp_path):
    seed(_clinic)
    log_in(page, browser_user("manager"))
    page.goto("/stock/spreadsheets/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the delivery template").click()
    template = tmp_path / "template.xlsx"
    download_info.value.save_as(template)

    workbook = openpyxl.load_workbook(template)
    sheet = workbook["Stock"]
    headers = [cell.value for cell in sheet[1]]
    rows = [
        {"Product": "Hyaluronic Acid 1% 2 mL", "Lot": "HA-300", "Expiry": "2029-06", "On hand": 20,
         "Unit cost": 4.25, "Supplier": "MesoSupply"},
        {"Product": "Hyaluronic Acid 1% 2 mL", "Lot": "HA-100", "Expiry": TODAY + timedelta(days=300), "On hand": 6},
        {"Product": "Vitamin C 20% 5 mL", "Lot": "VC-8", "Expiry": "31/12/2029", "On hand": 10,
         "Supplier": "+Derma (Lyon)"},
    ]
    for number, row in enumerate(rows, start=2):
        for header, value in row.items():
            sheet.cell(number, headers.index(header) + 1, value)
    delivery = tmp_path / "delivery-0412.xlsx"
    workbook.save(delivery)

    page.get_by_label("Workbook (.xlsx or .csv)").set_input_files(str(delivery))
    page.get_by_role("button", name="Check the file").click()
    changes = page.get_by_role("table", name="Changes")
    expect(changes.get_by_role("row")).to_have_count(4)
    expect(changes.get_by_role("row").filter(has_text="HA-300")).to_contain_text("New lot")
    expect(changes.get_by_role("row").filter(has_text="HA-300")).to_contain_text("2029-06-30")
    expect(changes.get_by_role("row").filter(has_text="HA-100")).to_contain_text("More of this lot")
    expect(changes.get_by_role("row").filter(has_text="HA-100")).to_contain_text("18 mL")
    expect(changes.get_by_role("row").filter(has_text="VC-8")).to_contain_text("+Derma (Lyon)")
    screenshot(page, "spreadsheets-preview-delivery")
    page.get_by_role("button", name="Confirm: import 3 changes").click()
    expect(page.get_by_role("alert")).to_contain_text("Imported delivery-0412.xlsx: 2 new lots, 1 lot changed.")
    assert seed(_on_hand, "HA-100") == 18

    page.goto("/stock/spreadsheets/")
    page.get_by_label("Workbook (.xlsx or .csv)").set_input_files(str(delivery))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("alert")).to_contain_text("This delivery was imported before")
    expect(page.get_by_role("button", name=re.compile("Confirm"))).to_have_count(0)
    screenshot(page, "spreadsheets-preview-imported-before")
    assert seed(_on_hand, "HA-100") == 18
