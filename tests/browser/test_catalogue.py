"""In a real browser: a manager builds a product with its composition and finds it in the catalogue."""

import re
from datetime import date, timedelta
from decimal import Decimal

from playwright.sync_api import expect

from formulary.extensions import db
from tests.browser.conftest import log_in, screenshot


def catalogue_basics():
    """A few substances, a group with a cross-reaction and a condition, as the reference library has them."""
    from formulary.catalogue.models import AllergenGroup, Condition, CrossReaction, Substance, SubstanceSynonym
    from formulary.reference.names import normalize_name

    def substance(name, category, synonyms=(), origin="reference"):
        row = Substance(name=name, key=normalize_name(name), category=category, origin=origin)
        row.synonyms = [SubstanceSynonym(name=s, key=normalize_name(s), origin=origin) for s in synonyms]
        db.session.add(row)
        return row

    substance("sodium hyaluronate", "hyaluronic acid", ["hyaluronic acid", "hyaluronan"])
    substance("ascorbic acid", "vitamin", ["vitamin C", "L-ascorbic acid"])
    substance("cyanocobalamin", "vitamin", ["vitamin B12"])
    substance("sodium chloride", "excipient", ["saline"])
    substance("phosphate buffer", "excipient")
    methyl = substance("methylparaben", "preservative", ["methyl 4-hydroxybenzoate"])
    propyl = substance("propylparaben", "preservative")
    procaine = substance("procaine", "anaesthetic")
    parabens = AllergenGroup(name="parabens", key="parabens", origin="reference",
                             description="Esters of para-hydroxybenzoic acid used as preservatives.")
    parabens.members = [methyl, propyl]
    esters = AllergenGroup(name="ester local anaesthetics", key="esterlocalanaesthetics", origin="reference")
    esters.members = [procaine]
    db.session.add_all([parabens, esters])
    db.session.add(CrossReaction(source_group=esters, target_group=parabens, strength="moderate",
                                 origin="reference"))
    db.session.add(Condition(name="pregnancy", key="pregnancy", origin="reference"))
    db.session.add(Condition(name="anticoagulant therapy", key="anticoagulanttherapy", origin="reference"))


def some_stock():
    """Two products with lots, for the list to show totals."""
    from formulary.catalogue.products import ComponentData, ProductData, create_product
    from formulary.stock.ledger import receive

    ha = create_product(ProductData(
        name="Aqua HA 1.5% 2 mL", category="hyaluronic acid", unit_size="2", manufacturer="Aqua Derm",
        reorder_level="10", composition=[ComponentData("sodium hyaluronate", "active", "15 mg/mL"),
                                         ComponentData("phosphate buffer", "excipient")]), actor=None)
    b12 = create_product(ProductData(
        name="Cobalamin 1 mg 1 mL", category="vitamin", unit_size="1", manufacturer="Lumen Labs",
        composition=[ComponentData("vitamin B12", "active", "1 mg/mL")]), actor=None)
    today = date.today()
    for product, number, quantity, days in [(ha, "HA-2401", "12", 400), (ha, "HA-2312", "4", 20),
                                            (b12, "B12-77", "6", 200)]:
        receive(product, lot_number=number, expiry=today + timedelta(days=days), quantity=Decimal(quantity),
                received_on=today - timedelta(days=30), actor=None, unit_cost=Decimal("3.50"))


def test_manager_creates_a_product_with_two_components(page, seed, browser_user):
    seed(catalogue_basics)
    seed(some_stock)
    manager = browser_user("manager")
    log_in(page, manager)
    page.get_by_role("link", name="Catalogue", exact=True).click()
    expect(page.get_by_role("heading", name="Products")).to_be_visible()
    expect(page.get_by_role("row", name="Aqua HA 1.5% 2 mL")).to_contain_text("16 mL")
    screenshot(page, "catalogue-products")
    page.get_by_role("link", name="Aqua HA 1.5% 2 mL").click()
    expect(page.get_by_role("row", name="HA-2312")).to_contain_text("Expires soon")
    expect(page.get_by_text("Usable today 8 vials · 16 mL")).to_be_visible()
    screenshot(page, "catalogue-product-with-lots")
    page.get_by_role("link", name="Products", exact=True).first.click()

    page.get_by_role("link", name="New product").click()
    page.get_by_label("Name", exact=True).fill("Brightening C 20% 5 mL")
    page.get_by_label("Category").select_option("vitamin")
    page.get_by_label("Manufacturer").fill("Lumen Labs")
    page.get_by_label("GTIN").fill("4006381333931")
    page.get_by_label("Content per unit").fill("5")
    page.get_by_label("Reorder level").fill("10")
    page.get_by_label("Expiry margin (days)").fill("7")
    page.get_by_label("Storage").fill("2–8 °C, away from light")
    page.get_by_label("Substance 1", exact=True).fill("vitamin C")
    page.get_by_label("Strength 1", exact=True).fill("200 mg/mL")
    page.get_by_label("Substance 2", exact=True).fill("methylparaben")
    page.get_by_label("Role 2", exact=True).select_option("excipient")
    page.get_by_label("Condition 1", exact=True).select_option("pregnancy")
    screenshot(page, "catalogue-product-form")
    page.get_by_role("button", name="Save product").click()

    expect(page.get_by_role("alert")).to_contain_text("Product Brightening C 20% 5 mL saved.")
    expect(page.get_by_role("heading", name="Brightening C 20% 5 mL")).to_be_visible()
    composition = page.locator("table", has=page.get_by_role("columnheader", name="Role"))
    expect(composition.get_by_role("row", name="ascorbic acid")).to_contain_text("active")
    expect(composition.get_by_role("row", name="ascorbic acid")).to_contain_text("200 mg/mL")
    expect(composition.get_by_role("row", name="methylparaben")).to_contain_text("excipient")
    expect(page.get_by_text("04006381333931")).to_be_visible()
    expect(page.get_by_text("No lots received yet.")).to_be_visible()
    screenshot(page, "catalogue-product")

    # The substance page shows where it is used, and its group's cross-reaction.
    composition.get_by_role("link", name="methylparaben").click()
    expect(page.get_by_role("row", name="Brightening C 20% 5 mL")).to_contain_text("excipient")
    expect(page.get_by_role("row", name="ester local anaesthetics")).to_contain_text("moderate")
    screenshot(page, "catalogue-substance")


def test_the_form_refuses_an_unknown_substance_and_keeps_the_rows(page, seed, browser_user):
    seed(catalogue_basics)
    log_in(page, browser_user("manager"))
    page.goto("/catalogue/products/new")
    page.get_by_label("Name", exact=True).fill("Mystery mix")
    page.get_by_label("Content per unit").fill("2")
    page.get_by_label("Substance 1", exact=True).fill("hyaluronan")
    page.get_by_label("Substance 2", exact=True).fill("unobtainium")
    page.get_by_role("button", name="Add more rows").click()
    expect(page.get_by_label("Substance 8", exact=True)).to_be_visible()
    expect(page.get_by_label("Substance 2", exact=True)).to_have_value("unobtainium")
    page.get_by_label("Substance 2", exact=True).press("Enter")  # Enter saves, it does not add rows
    expect(page.get_by_role("alert")).to_contain_text("Unknown substance 'unobtainium'")
    expect(page.get_by_label("Substance 9", exact=True)).to_have_count(0)
    screenshot(page, "catalogue-product-form-refused")
    page.goto("/catalogue/products")
    expect(page.get_by_text("No products yet")).to_be_visible()


def test_practitioner_browses_substances_and_groups(page, seed, browser_user):
    seed(catalogue_basics)
    log_in(page, browser_user("practitioner"))
    page.goto("/catalogue/substances")
    page.get_by_label("Name or synonym").fill("B-12")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="cyanocobalamin")).to_be_visible()
    expect(page.get_by_text("matches “vitamin B12”")).to_be_visible()
    expect(page.get_by_role("link", name="Add a substance")).to_have_count(0)
    page.goto("/catalogue/substances")
    screenshot(page, "catalogue-substances")
    page.get_by_role("link", name="Allergen groups").click()
    expect(page.get_by_role("row", name=re.compile("^parabens"))).to_contain_text("methylparaben")
    screenshot(page, "catalogue-groups")


def test_manager_adds_a_substance_and_a_group(page, seed, browser_user):
    seed(catalogue_basics)
    log_in(page, browser_user("manager"))
    page.goto("/catalogue/substances")
    page.get_by_role("link", name="Add a substance").click()
    page.get_by_label("Name").fill("butylparaben")
    page.get_by_label("Category").select_option("preservative")
    page.get_by_label("Synonyms").fill("butyl 4-hydroxybenzoate\nbutyl parahydroxybenzoate")
    page.get_by_label("parabens").check()
    screenshot(page, "catalogue-substance-form")
    page.get_by_role("button", name="Add substance").click()
    expect(page.get_by_role("alert")).to_contain_text("Substance butylparaben added.")
    expect(page.get_by_text("Clinic's own")).to_be_visible()

    page.goto("/catalogue/groups/new")
    page.get_by_label("Name").fill("Vitamin B12 compounds")
    page.get_by_label("cyanocobalamin").check()
    screenshot(page, "catalogue-group-form")
    page.get_by_role("button", name="Add allergen group").click()
    expect(page.get_by_role("alert")).to_contain_text("Allergen group Vitamin B12 compounds added.")
    expect(page.get_by_role("link", name="cyanocobalamin")).to_be_visible()
