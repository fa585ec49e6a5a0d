"""In a real browser: receive by scan, see the lot in the list and on the dashboard, waste, recall."""

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot

GTIN = "09506000134352"
TODAY = date.today()


def _product(name, gtin=None, category="hyaluronic acid", reorder_level=None, substance="sodium hyaluronate"):
    from formulary.catalogue.products import ComponentData, ProductData, create_product

    return create_product(ProductData(
        name=name, category=category, unit_size="2", gtin=gtin, reorder_level=reorder_level,
        composition=[ComponentData(substance=substance, role="active")],
    ), actor=None)


def _substances():
    from formulary.catalogue.models import Substance
    from formulary.extensions import db
    from formulary.reference.names import normalize_name

    for name in ("sodium hyaluronate", "ascorbic acid", "glutathione"):
        db.session.add(Substance(name=name, key=normalize_name(name)))
    db.session.flush()


def _lot(product_id, number, quantity, expiry_days, status="available", cost="4.50", received_days=-10):
    from formulary.catalogue.models import Product
    from formulary.extensions import db
    from formulary.stock import ledger

    lot = ledger.receive(
        db.session.get(Product, product_id), lot_number=number, quantity=quantity,
        expiry=TODAY + timedelta(days=expiry_days), received_on=TODAY + timedelta(days=received_days),
        actor=None, supplier="MesoSupply", unit_cost=cost,
    )
    if status != "available":
        ledger.set_status(lot, status, actor=None, reason="seeded for the test")
    return lot.id


def seed_clinic(seed) -> dict:
    """A product with the scanned GTIN and a small clinic with something in every dashboard panel."""
    seed(_substances)
    ids = {
        "ha": seed(lambda: _product("Hyaluronic Acid 1% 2 mL", gtin=GTIN, reorder_level="4").id),
        "vit": seed(lambda: _product("Vitamin C 20% 5 mL", category="vitamin", reorder_level="30",
                                     substance="ascorbic acid").id),
        "glu": seed(lambda: _product("Glutathione 600 mg", category="antioxidant", substance="glutathione").id),
    }
    seed(_lot, ids["vit"], "VC-OLD", "3", -12, received_days=-300)
    seed(_lot, ids["vit"], "VC-HOLD", "10", 150, status="quarantined", cost="2.80")
    seed(_lot, ids["glu"], "GL-BAD", "6", 200, status="recalled", cost="12")
    seed(_lot, ids["glu"], "GL-2027", "20", 75, cost="12")
    seed(_lot, ids["glu"], "GL-LATER", "12", 240, cost="12")
    return ids


def test_receive_by_scan_then_list_dashboard_and_waste(page, seed, browser_user):
    seed_clinic(seed)
    log_in(page, browser_user("manager"))
    page.locator("#main-nav").get_by_role("link", name="Stock").click()
    page.get_by_role("link", name="Receive stock").click()
    screenshot(page, "stock-receive-empty")

    # The scanner types into the focused scan field and presses Enter.
    expiry = TODAY + timedelta(days=20)
    scan = page.get_by_label("Scan")
    expect(scan).to_be_focused()
    scan.fill(f"(01){GTIN}(17){expiry:%y%m%d}(10)BR-001(21)SN0042")
    scan.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(
        f"Scan read: Hyaluronic Acid 1% 2 mL, lot BR-001, expires {expiry.isoformat()}. Enter the quantity")
    expect(page.get_by_label("Lot", exact=True)).to_have_value("BR-001")
    quantity = page.get_by_label("Quantity")
    expect(quantity).to_be_focused()
    screenshot(page, "stock-receive-scanned")
    quantity.fill("10")
    quantity.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text(
        f"Received 5 vials · 10 mL of Hyaluronic Acid 1% 2 mL, lot BR-001 (expires {expiry.isoformat()}).")
    expect(page.locator("#on-hand")).to_have_text("5 vials · 10 mL")
    expect(page.get_by_role("table", name="History of lot BR-001")).to_contain_text("received; serial SN0042")

    page.locator("#main-nav").get_by_role("link", name="Stock").click()
    row = page.get_by_role("row").filter(has_text="BR-001")
    expect(row).to_contain_text("Expires soon")
    expect(row).to_contain_text("10 mL")
    screenshot(page, "stock-lots")

    page.locator("#main-nav").get_by_role("link", name="Dashboard").click()
    expiring = page.locator("#expiring")
    expect(expiring).to_contain_text("BR-001")
    expect(page.locator("#expired")).to_contain_text("VC-OLD")
    expect(page.locator("#quarantined")).to_contain_text("VC-HOLD")
    expect(page.locator("#recalled")).to_contain_text("GL-BAD")
    expect(page.locator("#below-reorder")).to_contain_text("Vitamin C 20% 5 mL")
    expect(page.get_by_role("img", name=re.compile("Stock expiring per month"))).to_be_visible()
    screenshot(page, "dashboard-stock")

    # From the alert to the lot, then waste part of it.
    expiring.get_by_role("link", name="BR-001").click()
    page.locator("#waste-quantity").fill("3")
    page.locator("#waste-reason").fill("vial dropped")
    page.get_by_role("button", name="Record waste").click()
    expect(page.get_by_role("alert")).to_contain_text("Recorded 3 mL of lot BR-001 as waste.")
    expect(page.locator("#on-hand")).to_have_text("3 vials + 1 mL · 7 mL")
    history = page.get_by_role("table", name="History of lot BR-001")
    wasted = history.get_by_role("row").filter(has_text="Wasted")
    expect(wasted).to_contain_text("−3 mL")
    expect(wasted).to_contain_text("vial dropped")
    expect(wasted).to_contain_text("manager-browser")

    # A broken vial is counted as a vial: the waste form takes vials beside mL.
    page.locator("#waste-quantity").fill("1")
    page.locator("#waste-count_in").select_option(label="vials")
    page.locator("#waste-reason").fill("vial cracked")
    page.get_by_role("button", name="Record waste").click()
    expect(page.get_by_role("alert")).to_contain_text("Recorded 1 vial · 2 mL of lot BR-001 as waste.")
    expect(page.locator("#on-hand")).to_have_text("2 vials + 1 mL · 5 mL")
    expect(history.get_by_role("row").filter(has_text="vial cracked")).to_contain_text("−2 mL")

    # A shelf count: the sealed vials whole, the opened one read off its graduation.
    page.get_by_label("Sealed units").fill("2")
    page.get_by_label("Opened content").fill("1.5")
    page.locator("#adjust-reason").fill("monthly count")
    page.get_by_role("button", name="Record count").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Stocktake of lot BR-001: counted 2 vials + 1.5 mL · 5.5 mL (+0.5 mL).")
    expect(page.locator("#on-hand")).to_have_text("2 vials + 1.5 mL · 5.5 mL")
    expect(page.locator("#sealed-units")).to_contain_text("2 × 2 mL")
    expect(page.locator("#loose-content")).to_contain_text("1.5 mL")
    screenshot(page, "stock-lot")


def test_a_refused_scan_names_the_problem(page, seed, browser_user):
    seed_clinic(seed)
    log_in(page, browser_user("manager"))
    page.goto("/stock/receive")
    page.get_by_label("Scan").fill("(01)09501101020917(10)X1")
    page.get_by_label("Scan").press("Enter")
    expect(page.get_by_text("No known product for GTIN 09501101020917")).to_be_visible()
    expect(page.get_by_label("Scan")).to_be_focused()
    screenshot(page, "stock-receive-unknown-gtin")


def test_a_recalled_lot_disappears_from_what_fefo_offers(page, seed, browser_user):
    ids = seed_clinic(seed)
    log_in(page, browser_user("manager"))
    page.goto(f"/stock/fefo?product_id={ids['glu']}")
    drawn = page.get_by_role("table", name="Lots FEFO draws")
    expect(drawn.get_by_role("row")).to_have_count(3)  # header, GL-2027, GL-LATER
    expect(drawn.get_by_role("row").nth(1)).to_contain_text("GL-2027")
    expect(page.get_by_role("table", name="Lots FEFO skips")).to_contain_text("GL-BAD")
    screenshot(page, "stock-fefo")

    drawn.get_by_role("link", name="GL-2027").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#recall-reason").fill("Manufacturer notice R-2026-17")
    page.get_by_role("button", name="Recall this lot").click()
    expect(page.get_by_role("alert")).to_contain_text("Lot GL-2027 is recalled: it is out of use for good.")
    expect(page.get_by_text("Sessions skip this lot: it is recalled.")).to_be_visible()

    page.get_by_role("link", name=re.compile("Which lots sessions use for")).click()
    drawn = page.get_by_role("table", name="Lots FEFO draws")
    expect(drawn.get_by_role("row")).to_have_count(2)
    expect(drawn).not_to_contain_text("GL-2027")
    skipped = page.get_by_role("table", name="Lots FEFO skips")
    expect(skipped.get_by_role("row").filter(has_text="GL-2027")).to_contain_text("Recalled")


def test_a_practitioner_sees_the_lot_but_no_actions(page, seed, browser_user):
    seed_clinic(seed)
    log_in(page, browser_user("practitioner"))
    page.goto("/stock?status=quarantined")
    page.get_by_role("link", name="VC-HOLD").click()
    expect(page.get_by_role("heading", name="Lot VC-HOLD")).to_be_visible()
    expect(page.get_by_role("button", name="Record waste")).to_have_count(0)
    expect(page.get_by_text("Sessions skip this lot: it is quarantined.")).to_be_visible()


def test_the_product_filter_suggests_names_and_filters_the_list(page, seed, browser_user):
    seed_clinic(seed)
    log_in(page, browser_user("practitioner"))
    page.locator("#main-nav").get_by_role("link", name="Stock").click()
    page.wait_for_load_state()  # the suggestions script runs once the page has loaded
    product = page.get_by_label("Product", exact=True)
    product.press_sequentially("gluta")
    # The suggestions come from the catalogue as the name is typed (the list is not in the page).
    expect(page.locator("#product-names option")).to_have_count(1)
    expect(page.locator("#product-names option")).to_have_attribute("value", "Glutathione 600 mg")
    product.fill("glutathione 600 MG")
    product.press("Enter")
    expect(product).to_have_value("Glutathione 600 mg")
    lots = page.get_by_role("table").get_by_role("link", name=re.compile(r"^(VC|GL)-"))
    expect(lots).to_have_text(["GL-2027", "GL-BAD", "GL-LATER"])  # by expiry
    screenshot(page, "stock-lots-by-product")
