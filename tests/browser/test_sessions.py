"""In a real browser: plan a session for an allergic patient, see it blocked and why, a manager overrides,
the practitioner administers, stock falls by FEFO, and recalling a drawn lot lists the patient."""

import re
from datetime import date, timedelta
from decimal import Decimal

from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot

TODAY = date.today()
REASON = "Patch test to parabens negative on 2026-11-01; the patient consents in writing."


def _clinic() -> dict:
    """HA 1% (2 mL single-use vials, an early and a late lot), Vitamin Complex B (methylparaben), a cocktail."""
    from formulary.catalogue.models import AllergenGroup, Substance, TreatmentGoal
    from formulary.catalogue.products import ComponentData, ProductData, create_product
    from formulary.cocktails.recipes import ComponentLine, RecipeData, create_cocktail
    from formulary.extensions import db
    from formulary.patients.records import AllergyData, PatientData, add_allergy, create_patient
    from formulary.stock.ledger import receive

    parabens = AllergenGroup(name="parabens", key="parabens")
    for name in ("sodium hyaluronate", "thiamine", "methylparaben"):
        substance = Substance(name=name, key=name.replace(" ", ""))
        db.session.add(substance)
        if name == "methylparaben":
            parabens.members.append(substance)
    db.session.add_all([parabens, TreatmentGoal(name="hydration", key="hydration", description="")])
    db.session.flush()
    ha = create_product(ProductData(name="HA 1% 2 mL", category="hyaluronic acid", unit_size="2",
                                    composition=[ComponentData("sodium hyaluronate", "active")]), actor=None)
    vit = create_product(ProductData(name="Vitamin Complex B 2 mL", category="vitamin", unit_size="2",
                                     composition=[ComponentData("thiamine", "active"),
                                                  ComponentData("methylparaben", "excipient")]), actor=None)
    lots = {}
    for product, number, quantity, days in [(ha, "HA-EARLY", 4, 40), (ha, "HA-LATE", 10, 300), (vit, "VB-1", 10, 200)]:
        lots[number] = receive(product, lot_number=number, expiry=TODAY + timedelta(days=days), quantity=quantity,
                               received_on=TODAY - timedelta(days=20), actor=None, supplier="MesoSupply").id
    create_cocktail(RecipeData(name="Hydra glow", goals=["hydration"],
                               components=[ComponentLine(ha.id, Decimal("1.5")), ComponentLine(vit.id, Decimal(1))]),
                    actor=None)
    patient = create_patient(PatientData(name="Paula Paraben", reference="P-0042", allergy_status="recorded"),
                             actor=None)
    add_allergy(patient, AllergyData(allergen="parabens", criticality="high",
                                     reaction="Contact dermatitis from a paraben cream"), actor=None)
    return lots


def _on_hand(lot_ids: dict) -> dict:
    from formulary.extensions import db
    from formulary.stock.models import Lot

    return {number: db.session.get(Lot, lot_id).on_hand for number, lot_id in lot_ids.items()}


def test_blocked_overridden_administered_and_recalled(page, browser, live_server, seed, browser_user):
    base_url, _app = live_server
    lots = seed(_clinic)
    practitioner, manager = browser_user("practitioner"), browser_user("manager")

    # The practitioner plans the session and runs the check: blocked, and why.
    log_in(page, practitioner)
    page.locator("#main-nav").get_by_role("link", name="Sessions").click()
    expect(page.get_by_text("No sessions planned")).to_be_visible()
    page.get_by_role("link", name="Plan a session").first.click()
    page.get_by_label("Patient", exact=True).select_option(label="Paula Paraben (P-0042)")
    page.get_by_label("Cocktail").select_option(label="Hydra glow (version 1)")
    page.get_by_label("Date").fill(TODAY.isoformat())
    page.get_by_role("button", name="Plan session").click()
    expect(page.get_by_role("alert")).to_contain_text("Session planned for Paula Paraben")
    page.get_by_role("button", name="Run check").click()
    panel = page.locator("#check")
    expect(panel.get_by_role("heading", name=re.compile("^Blocked"))).to_be_visible()
    expect(panel).to_contain_text(
        "Blocked: allergic to parabens (high criticality) — methylparaben is an excipient in the cocktail: Vitamin Complex B 2 mL")
    panel.locator(".finding-why summary").first.click()  # the chain that explains it is one click away
    why = panel.get_by_role("list", name="Why").first
    for step in ["allergy: parabens", "substance: methylparaben (excipient)", "product: Vitamin Complex B 2 mL"]:
        expect(why).to_contain_text(step)
    expect(panel.locator("#checked")).to_contain_text("Checked 1 active allergy")
    expect(panel).to_contain_text("Only a manager or an admin may override")
    expect(page.get_by_role("button", name="Administer and draw the stock")).to_have_count(0)
    session_url = page.url.split("#")[0]
    screenshot(page, "session-blocked")

    # A manager, in a browser of her own, overrides with a reason.
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    other = context.new_page()
    log_in(other, manager)
    other.goto(session_url)
    other.get_by_label("Reason for overriding", exact=True).fill("ok")
    other.get_by_role("button", name="Override the block").click()
    expect(other.locator("#check")).to_contain_text("at least a sentence")
    other.get_by_label("Reason for overriding", exact=True).fill(REASON)
    other.get_by_role("button", name="Override the block").click()
    expect(other.get_by_role("alert")).to_contain_text("Block overridden")
    expect(other.locator("#check")).to_contain_text(REASON)
    context.close()

    # The practitioner administers: the check runs again, the override holds, FEFO draws the early lot.
    page.goto(session_url)
    expect(page.locator("#check")).to_contain_text("Overridden by manager-browser")
    page.get_by_label("cheeks").check()
    page.get_by_label("forehead").check()
    page.get_by_role("button", name="Administer and draw the stock").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Administered. Drawn: 2 mL of HA 1% 2 mL (lot HA-EARLY), 2 mL of Vitamin Complex B 2 mL (lot VB-1).")
    drawn = page.get_by_role("table", name="Stock drawn")
    expect(drawn.get_by_role("row").filter(has_text="HA-EARLY")).to_contain_text("1.5 mL")
    expect(drawn.get_by_role("row").filter(has_text="VB-1")).to_contain_text("1 mL")
    expect(page.locator("#areas")).to_have_text("forehead, cheeks")
    assert seed(_on_hand, lots) == {"HA-EARLY": Decimal(2), "HA-LATE": Decimal(10), "VB-1": Decimal(8)}
    screenshot(page, "session-administered")

    page.get_by_role("link", name="Aftercare sheet").click()
    expect(page.get_by_role("heading", name="Aftercare after your mesotherapy session")).to_be_visible()
    expect(page.get_by_role("table", name="Products and lots used")).to_contain_text("HA-EARLY")
    screenshot(page, "session-aftercare")

    page.locator("#main-nav").get_by_role("link", name="Sessions").click()
    page.get_by_role("link", name="Past").click()  # today's session counts as upcoming
    page.get_by_role("link", name="Upcoming").click()
    expect(page.get_by_role("row").filter(has_text="Paula Paraben")).to_contain_text("Given")
    screenshot(page, "sessions-list")

    # The manager recalls the early HA lot: Paula is on the list, ready to print.
    page.get_by_role("button", name="Log out").click()
    log_in(page, manager)
    page.goto(f"/sessions/recall/{lots['HA-EARLY']}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_label("Reason").fill("Manufacturer notice MR-2026-114: particles in vials")
    page.get_by_role("button", name="Recall this lot").click()
    expect(page.get_by_role("alert")).to_contain_text("Lot HA-EARLY of HA 1% 2 mL is recalled")
    table = page.get_by_role("table", name="Sessions that received lot HA-EARLY")
    row = table.get_by_role("row").filter(has_text="Paula Paraben")
    expect(row).to_contain_text("P-0042")
    expect(row).to_contain_text("1.5 mL")
    expect(page.locator("#recipient-count")).to_have_text("1 patient")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download .xlsx").click()
    assert download.value.suggested_filename.startswith("recall-lot-HA-EARLY-")
    screenshot(page, "session-recall")
