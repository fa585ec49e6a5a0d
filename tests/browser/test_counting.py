"""In a real browser: export the stock, give a session while counting, import the unchanged export as a
stocktake (no change, the moved lot listed), then a file with a row deleted (the lot listed as not counted,
zeroed only when ticked); the count sheet and the dashboard's overdue counts."""

from datetime import date, timedelta
from decimal import Decimal

import openpyxl
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot

TODAY = date.today()


def _clinic() -> dict:
    """HA 1% in 2 mL vials (fridge), Vitamin C in 5 mL ampoules (cupboard), a cocktail, a patient."""
    from formulary.catalogue.models import Substance, TreatmentGoal
    from formulary.catalogue.products import ComponentData, ProductData, create_product
    from formulary.cocktails.recipes import ComponentLine, RecipeData, create_cocktail
    from formulary.extensions import db
    from formulary.patients.records import PatientData, create_patient
    from formulary.stock.ledger import receive

    for name in ("sodium hyaluronate", "ascorbic acid"):
        db.session.add(Substance(name=name, key=name.replace(" ", "")))
    db.session.add(TreatmentGoal(name="hydration", key="hydration", description=""))
    db.session.flush()
    ha = create_product(ProductData(
        name="HA 1% 2 mL", category="hyaluronic acid", unit_size="2", gtin="09506000134352", storage="Fridge",
        composition=[ComponentData("sodium hyaluronate", "active")]), actor=None)
    vit = create_product(ProductData(
        name="Vitamin C 5 mL", category="vitamin", unit_size="5", storage="Cupboard", package="ampoule",
        composition=[ComponentData("ascorbic acid", "active")]), actor=None)
    lots = {}
    for product, number, quantity, days in [(ha, "HA-1", 10, 300), (vit, "VC-1", 15, 400)]:
        lots[number] = receive(product, lot_number=number, expiry=TODAY + timedelta(days=days), quantity=quantity,
                               received_on=TODAY - timedelta(days=200), actor=None, supplier="MesoSupply",
                               unit_cost="4.5").id
    create_cocktail(RecipeData(name="Hydra glow", goals=["hydration"], components=[ComponentLine(ha.id, Decimal(2))]),
                    actor=None)
    create_patient(PatientData(name="Nora Count", reference="P-0077", allergy_status="none-known"), actor=None)
    return lots


def _on_hand(lot_ids: dict) -> dict:
    from formulary.extensions import db
    from formulary.stock.models import Lot

    return {number: db.session.get(Lot, lot_id).on_hand for number, lot_id in lot_ids.items()}


def _counted(lot_ids: dict) -> dict:
    from formulary.extensions import db
    from formulary.stock.models import Lot

    return {number: db.session.get(Lot, lot_id).counted_by_id is not None for number, lot_id in lot_ids.items()}


def _upload_stocktake(page, path) -> None:
    page.locator("#main-nav").get_by_role("link", name="Import/Export").click()
    page.get_by_label("Workbook (.xlsx or .csv)").set_input_files(str(path))
    page.get_by_label("Stocktake: the quantities counted, lot by lot").check()
    page.get_by_role("button", name="Check the file").click()


def test_a_count_while_a_session_is_given_undoes_nothing_and_names_what_it_missed(
        page, browser, live_server, seed, browser_user, tmp_path):
    base_url, _app = live_server
    lots = seed(_clinic)
    manager, practitioner = browser_user("manager"), browser_user("practitioner")

    # The manager prints the count sheet and takes the workbook for the count.
    log_in(page, manager)
    page.goto("/stock/count-sheet")
    expect(page.get_by_role("heading", name="Count sheet: all stock")).to_be_visible()
    expect(page.get_by_role("table", name="Lots at Fridge")).to_contain_text("HA-1")
    expect(page.get_by_role("img", name="GS1 barcode (01)09506000134352")).to_have_count(1)
    expect(page.locator(".barcode svg")).to_have_count(1)
    screenshot(page, "counting-count-sheet")
    page.emulate_media(media="print")
    screenshot(page, "counting-count-sheet-print")
    page.emulate_media(media="screen")
    page.locator("#main-nav").get_by_role("link", name="Import/Export").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the stock workbook").click()
    exported = tmp_path / "count.xlsx"
    download_info.value.save_as(exported)

    # Meanwhile a practitioner gives a session: 2 mL of HA-1 leave the fridge.
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    other = context.new_page()
    log_in(other, practitioner)
    other.locator("#main-nav").get_by_role("link", name="Sessions").click()
    other.get_by_role("link", name="Plan a session").first.click()
    other.get_by_label("Patient", exact=True).select_option(label="Nora Count (P-0077)")
    other.get_by_label("Cocktail").select_option(label="Hydra glow (version 1)")
    other.get_by_label("Date").fill(TODAY.isoformat())
    other.get_by_role("button", name="Plan session").click()
    other.get_by_role("button", name="Run check").click()
    other.get_by_role("button", name="Administer and draw the stock").click()
    expect(other.get_by_role("alert")).to_contain_text("Administered. Drawn: 2 mL of HA 1% 2 mL (lot HA-1)")
    context.close()
    assert seed(_on_hand, lots) == {"HA-1": Decimal(8), "VC-1": Decimal(15)}

    # The unchanged export comes back as a stocktake: nothing changes, the moved lot is named.
    _upload_stocktake(page, exported)
    expect(page.get_by_role("heading", name="Preview of count.xlsx")).to_be_visible()
    expect(page.locator("#count-moment")).to_contain_text("Counted against")
    expect(page.get_by_text("Every count agrees with the stock")).to_be_visible()
    moved = page.get_by_role("table", name="Moved since the count")
    expect(moved.get_by_role("row")).to_have_count(2)
    expect(moved).to_contain_text("HA-1")
    expect(moved).to_contain_text("10 mL")
    expect(moved).to_contain_text("8 mL")
    expect(page.get_by_role("table", name="Not counted")).to_have_count(0)
    screenshot(page, "counting-preview-moved")
    page.get_by_role("button", name="Confirm: record the count").click()
    expect(page.get_by_role("alert")).to_contain_text("0 lots changed")
    assert seed(_on_hand, lots) == {"HA-1": Decimal(8), "VC-1": Decimal(15)}  # the session stands
    assert seed(_counted, lots) == {"HA-1": True, "VC-1": True}

    # The same export with the vitamin's row deleted: VC-1 is not counted, and stays until ticked.
    workbook = openpyxl.load_workbook(exported)
    sheet = workbook["Stock"]
    sheet.delete_rows(next(row[0].row for row in sheet.iter_rows(min_row=2) if row[3].value == "VC-1"))
    missing = tmp_path / "missing.xlsx"
    workbook.save(missing)
    _upload_stocktake(page, missing)
    not_counted = page.get_by_role("table", name="Not counted")
    expect(not_counted).to_contain_text("VC-1")
    expect(not_counted).to_contain_text("15 mL")
    screenshot(page, "counting-preview-not-counted")
    page.get_by_label("Zero lot VC-1").check()
    page.get_by_role("button", name="Confirm: record the count").click()
    expect(page.get_by_role("alert")).to_contain_text("1 lot not counted set to zero")
    assert seed(_on_hand, lots) == {"HA-1": Decimal(8), "VC-1": Decimal(0)}

    # The lot page says it in units, and who counted it.
    page.goto(f"/stock/lots/{lots['HA-1']}")
    expect(page.locator("#on-hand")).to_have_text("4 vials · 8 mL")
    expect(page.locator("#last-counted")).to_contain_text("manager-browser")
    screenshot(page, "counting-lot")


def test_the_dashboard_names_counts_overdue_and_the_receive_page_offers_more_of_a_scanned_lot(
        page, seed, browser_user):
    seed(_clinic)
    log_in(page, browser_user("manager"))
    panel = page.locator("#counts-overdue")
    expect(panel).to_contain_text("Counts overdue 2")
    expect(panel).to_contain_text("Fridge")
    screenshot(page, "counting-dashboard")
    panel.get_by_role("link", name="See every lot not counted in 90 days").click()
    expect(page.get_by_role("link", name="HA-1")).to_be_visible()

    page.goto("/stock/receive")
    page.get_by_label("Quantity", exact=True).fill("4")
    expiry = TODAY + timedelta(days=300)
    page.get_by_label("Scan").fill(f"(01)09506000134352(17){expiry:%y%m%d}(10)HA-1")
    page.get_by_label("Scan").press("Enter")
    offer = page.locator("#already-in-stock")
    expect(offer).to_contain_text("Lot HA-1 of HA 1% 2 mL is already in stock")
    screenshot(page, "counting-receive-offer")
    offer.get_by_role("button", name="Receive more of lot HA-1").click()
    expect(page.get_by_role("alert")).to_contain_text("Received 2 vials · 4 mL more of lot HA-1")
    expect(page.locator("#on-hand")).to_have_text("7 vials · 14 mL")
