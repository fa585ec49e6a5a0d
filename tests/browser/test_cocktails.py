"""In a real browser: a manager composes a cocktail, sees what it contains and costs, saves, revises it."""

import re
from datetime import date, timedelta
from decimal import Decimal

from playwright.sync_api import expect

from formulary.extensions import db
from tests.browser.conftest import log_in, screenshot


def goals_products_and_stock():
    """Three goals; HA and a vitamin B complex in 2 mL single-use vials, with costed lots."""
    from formulary.catalogue.models import Substance, SubstanceSynonym, TreatmentGoal
    from formulary.catalogue.products import ComponentData, ProductData, create_product
    from formulary.reference.names import normalize_name
    from formulary.stock.ledger import receive

    for name in ("hydration", "radiance", "brightening"):
        db.session.add(TreatmentGoal(name=name, key=normalize_name(name), origin="reference",
                                     description=f"What {name} cocktails aim at."))
    for name, synonyms in [("sodium hyaluronate", ["hyaluronic acid"]), ("sodium chloride", ["saline"]),
                           ("thiamine", ["vitamin B1"]), ("methylparaben", [])]:
        db.session.add(Substance(name=name, key=normalize_name(name), origin="reference", synonyms=[
            SubstanceSynonym(name=s, key=normalize_name(s), origin="reference") for s in synonyms]))
    db.session.flush()
    ha = create_product(ProductData(
        name="Hydra HA 1% 2 mL", category="hyaluronic acid", unit_size="2", manufacturer="Lumière Derm",
        composition=[ComponentData("sodium hyaluronate", "active", "10 mg/mL"),
                     ComponentData("sodium chloride", "excipient", "9 mg/mL")]), actor=None)
    vitb = create_product(ProductData(
        name="Vitamin B complex 2 mL", category="vitamin", unit_size="2", manufacturer="Nutriderm",
        composition=[ComponentData("vitamin B1", "active", "25 mg"),
                     ComponentData("methylparaben", "excipient", "1.8 mg/mL")]), actor=None)
    today = date.today()
    # HA: 6 mL in date (3 vials) and 4 mL expired yesterday, still on the shelf; vitamin B: 10 mL (5 vials).
    receive(ha, lot_number="HA-A", expiry=today + timedelta(days=300), quantity=Decimal("6"),
            received_on=today - timedelta(days=10), actor=None, unit_cost=Decimal("5"))
    receive(ha, lot_number="HA-OLD", expiry=today - timedelta(days=1), quantity=Decimal("4"),
            received_on=today - timedelta(days=20), actor=None, unit_cost=Decimal("5"))
    receive(vitb, lot_number="B-1", expiry=today + timedelta(days=400), quantity=Decimal("10"),
            received_on=today - timedelta(days=10), actor=None, unit_cost=Decimal("2"))


def test_compose_preview_save_revise_and_availability(page, seed, browser_user):
    seed(goals_products_and_stock)
    log_in(page, browser_user("manager"))
    page.get_by_role("link", name="Cocktails", exact=True).click()
    expect(page.get_by_text("No cocktails yet")).to_be_visible()
    page.get_by_role("link", name="Compose the first cocktail").click()

    page.get_by_label("Name", exact=True).fill("Hydra glow")
    page.get_by_label("Hydration", exact=True).check()
    page.get_by_label("Product 1", exact=True).select_option(label="Hydra HA 1% 2 mL")
    page.get_by_label("Amount 1", exact=True).fill("1")
    page.get_by_label("Product 2", exact=True).select_option(label="Vitamin B complex 2 mL")
    page.get_by_label("Amount 2", exact=True).fill("1")
    page.get_by_label("Technique and depth").fill("Nappage over the face, 32G 4 mm at 1–2 mm.")
    page.get_by_label("Sessions in a series").fill("4")
    page.get_by_label("Days between sessions").fill("14")
    # The summary refreshes as you compose (the script asks the server; nothing is saved).
    summary = page.locator("#cocktail-summary")
    expect(summary.locator("#summary-volume")).to_have_text("2 mL")
    # Two vials opened a session: 2 mL × 5 + 2 mL × 2.
    expect(summary.locator("#summary-cost")).to_have_text("€14.00")
    for substance in ("sodium hyaluronate", "sodium chloride", "thiamine", "methylparaben"):
        expect(summary).to_contain_text(substance)
    expect(summary.locator("li", has_text="methylparaben")).to_contain_text("Vitamin B complex 2 mL")
    screenshot(page, "cocktails-composer")
    page.get_by_role("button", name="Save cocktail").click()

    expect(page.get_by_role("alert")).to_contain_text("Cocktail Hydra glow saved as version 1.")
    expect(page.get_by_role("heading", name="Hydra glow")).to_be_visible()
    expect(page.get_by_text("Version 1", exact=True).first).to_be_visible()
    # Availability matches the seeded stock: the HA still in date fills 3 sessions' vials, the vitamin 5.
    expect(page.locator("#sessions-possible")).to_have_text("3")
    expect(page.locator("#limiting-product")).to_contain_text("Hydra HA 1% 2 mL")
    expect(page.locator("#series tbody tr")).to_have_count(4)
    expect(page.locator("#series tbody tr").nth(3)).to_contain_text("short")
    screenshot(page, "cocktails-detail")

    # Change an amount: version 2, with what changed from version 1.
    page.get_by_role("link", name="Edit recipe").click()
    page.get_by_label("Amount 1", exact=True).fill("1.5")
    expect(page.locator("#summary-volume")).to_have_text("2.5 mL")
    page.get_by_role("button", name="Save cocktail").click()
    expect(page.get_by_role("alert")).to_contain_text("Hydra glow saved as version 2.")
    history = page.locator("#history")
    expect(history).to_contain_text("Version 2")
    expect(history).to_contain_text("Hydra HA 1% 2 mL: 1 → 1.5 mL.")
    expect(page.locator("#sessions-possible")).to_have_text("3")
    history.get_by_role("link", name="Compare with version 1").click()
    expect(page.get_by_role("row", name=re.compile("Hydra HA 1% 2 mL"))).to_contain_text("changed")
    expect(page.locator("#changes")).to_contain_text("Hydra HA 1% 2 mL: 1 → 1.5 mL.")
    screenshot(page, "cocktails-compare")

    # Version 1 stays readable.
    page.goto(page.url.split("/compare")[0] + "/versions/1")
    expect(page.get_by_text("superseded")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Hydra HA 1% 2 mL"))).to_contain_text("1 mL")

    # Browse: by goal, and by a substance's synonym.
    page.get_by_role("link", name="Cocktails", exact=True).first.click()
    page.get_by_role("link", name=re.compile("^Hydration")).click()
    expect(page.get_by_role("link", name="Hydra glow")).to_be_visible()
    page.get_by_label("Contains substance").fill("vitamin B1")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("contains thiamine")).to_be_visible()
    expect(page.get_by_role("link", name="Hydra glow")).to_be_visible()
    screenshot(page, "cocktails-browse")
    page.get_by_label("Contains substance").fill("lidocaine")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No substance or synonym called 'lidocaine' is in the catalogue.")).to_be_visible()


def test_the_composer_refuses_bad_rows_and_keeps_them(page, seed, browser_user):
    seed(goals_products_and_stock)
    log_in(page, browser_user("manager"))
    page.goto("/cocktails/new")
    page.get_by_label("Name", exact=True).fill("Twice")
    page.get_by_label("Radiance", exact=True).check()
    page.get_by_label("Product 1", exact=True).select_option(label="Hydra HA 1% 2 mL")
    page.get_by_label("Amount 1", exact=True).fill("1")
    page.get_by_label("Product 2", exact=True).select_option(label="Hydra HA 1% 2 mL")
    page.get_by_label("Amount 2", exact=True).fill("0")
    page.get_by_role("button", name="Save cocktail").click()
    expect(page.get_by_role("alert").first).to_contain_text("Nothing was saved")
    expect(page.get_by_role("alert").first).to_contain_text("Hydra HA 1% 2 mL is listed twice")
    expect(page.get_by_role("alert").first).to_contain_text("must be more than zero (got 0)")
    expect(page.get_by_label("Amount 1", exact=True)).to_have_value("1")
    expect(page.get_by_label("Product 2", exact=True)).to_have_class(re.compile("is-invalid"))
    screenshot(page, "cocktails-composer-refused")
    page.get_by_role("button", name="Add more rows").click()
    expect(page.get_by_label("Product 7", exact=True)).to_be_visible()
    expect(page.get_by_label("Product 2", exact=True)).to_have_value(re.compile(r"\d+"))
