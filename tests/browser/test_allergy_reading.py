"""In a real browser: an allergy told in words is read, the coded entry proposed and accepted, and the check
blocks naming the substance and where it is; a high-criticality allergy raises a cross-reaction to a block."""

import re
from datetime import date, timedelta
from decimal import Decimal

from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot

TODAY = date.today()


def _clinic() -> None:
    """The reference library; a lidocaine vial and a mepivacaine vial in stock, a cocktail of each; two patients."""
    from formulary.catalogue.products import ComponentData, ProductData, create_product
    from formulary.catalogue.reference_sync import sync_reference_library
    from formulary.cocktails.recipes import ComponentLine, RecipeData, create_cocktail
    from formulary.patients.records import AllergyData, PatientData, add_allergy, create_patient
    from formulary.stock.ledger import receive

    sync_reference_library()
    from formulary.catalogue.models import TreatmentGoal
    from formulary.extensions import db

    if db.session.query(TreatmentGoal).filter_by(key="rejuvenation").one_or_none() is None:
        db.session.add(TreatmentGoal(name="rejuvenation", key="rejuvenation", description=""))
    for name, substance in [("Lidocaine 2% 5 mL", "lidocaine"), ("Mepivacaine 3% 2 mL", "mepivacaine")]:
        product = create_product(ProductData(name=name, category="anaesthetic", unit_size="2",
                                             composition=[ComponentData(substance, "active")]), actor=None)
        receive(product, lot_number=f"{substance[:4].upper()}-1", expiry=TODAY + timedelta(days=300), quantity=10,
                received_on=TODAY - timedelta(days=5), actor=None, supplier="MesoSupply")
        create_cocktail(RecipeData(name=f"Numbing with {substance}", goals=["rejuvenation"],
                                   components=[ComponentLine(product.id, Decimal(1))]), actor=None)
    create_patient(PatientData(name="Elena Vasquez", reference="P-0101", allergy_status="recorded"), actor=None)
    tom = create_patient(PatientData(name="Tom Reilly", reference="P-0102", allergy_status="recorded"), actor=None)
    add_allergy(tom, AllergyData(allergen="lignocaine", criticality="high", reaction="Anaphylaxis"), actor=None)


def _check(page, patient: str, cocktail: str):
    """Plan a session for today and run its check; the check panel."""
    page.locator("#main-nav").get_by_role("link", name="Sessions").click()
    page.get_by_role("link", name="Plan a session").first.click()
    page.get_by_label("Patient", exact=True).select_option(label=patient)
    page.get_by_label("Cocktail").select_option(label=f"{cocktail} (version 1)")
    page.get_by_label("Date").fill(TODAY.isoformat())
    page.get_by_role("button", name="Plan session").click()
    page.get_by_role("button", name="Run check").click()
    return page.locator("#check")


def test_a_sentence_is_read_accepted_as_coded_and_the_check_blocks_naming_the_substance(page, seed, browser_user):
    seed(_clinic)
    log_in(page, browser_user("practitioner"))
    page.goto("/patients/")
    page.get_by_role("link", name="Elena Vasquez").click()
    page.get_by_role("link", name="Record an allergy").click()
    page.get_by_label("Allergic to").fill("allergic to Lidocaína (hives)")
    page.get_by_label("High").check()
    page.get_by_role("button", name="Record allergy").click()

    proposal = page.get_by_role("region", name=re.compile("which allergy is it"))
    expect(proposal).to_be_visible()
    expect(page.get_by_text("Nothing is recorded until you choose.")).to_be_visible()
    screenshot(page, "allergy-proposal")
    proposal.get_by_role("button", name=re.compile("Record as lidocaine")).click()
    expect(page.get_by_text("Allergy to lidocaine (substance) recorded.")).to_be_visible()
    row = page.locator("table.patient-allergies tbody tr").first
    expect(row.get_by_role("link", name="lidocaine")).to_be_visible()
    expect(row).to_contain_text("Told as “allergic to Lidocaína (hives)”")
    screenshot(page, "allergy-accepted")

    panel = _check(page, "Elena Vasquez (P-0101)", "Numbing with lidocaine")
    expect(panel.get_by_role("heading", name=re.compile("^Blocked"))).to_be_visible()
    expect(panel).to_contain_text("allergic to lidocaine (high criticality) — an active ingredient in the cocktail: "
                                  "Lidocaine 2% 5 mL")
    screenshot(page, "allergy-accepted-check")


def test_a_high_criticality_allergy_raises_the_amide_cross_reaction_to_a_block(page, seed, browser_user):
    seed(_clinic)
    log_in(page, browser_user("practitioner"))
    panel = _check(page, "Tom Reilly (P-0102)", "Numbing with mepivacaine")
    expect(panel.get_by_role("heading", name=re.compile("^Blocked"))).to_be_visible()
    expect(panel).to_contain_text("Blocked: allergic to lidocaine (amide local anaesthetics; high criticality); "
                                  "amide local anaesthetics cross-react with one another (moderate) — mepivacaine is "
                                  "an active ingredient in the cocktail: Mepivacaine 3% 2 mL; raised a step by the high "
                                  "criticality")
    screenshot(page, "high-criticality-check")
