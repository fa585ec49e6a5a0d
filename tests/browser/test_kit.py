"""In a real browser: a manager sets the procedure kit, and a patient allergic to latex or chlorhexidine
gets a blocked check that says "in the gloves" / "in the antiseptic"."""

import re
from datetime import date, timedelta
from decimal import Decimal

from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot

TODAY = date.today()


def _clinic() -> None:
    """A cocktail with stock, the procedure products (cream, antiseptic, nitrile and latex gloves), two patients."""
    from formulary.catalogue.models import Substance, SubstanceSynonym, TreatmentGoal
    from formulary.catalogue.products import ComponentData, ProductData, create_product
    from formulary.cocktails.recipes import ComponentLine, RecipeData, create_cocktail
    from formulary.extensions import db
    from formulary.patients.records import AllergyData, PatientData, add_allergy, create_patient
    from formulary.stock.ledger import receive

    for name, synonym in [("sodium hyaluronate", None), ("lidocaine", None), ("prilocaine", None),
                          ("chlorhexidine", "chlorhexidine gluconate"), ("natural rubber latex", "latex"),
                          ("nitrile butadiene rubber", None)]:
        substance = Substance(name=name, key=name.replace(" ", ""))
        if synonym:
            substance.synonyms.append(SubstanceSynonym(name=synonym, key=synonym.replace(" ", "")))
        db.session.add(substance)
    db.session.add(TreatmentGoal(name="hydration", key="hydration", description=""))
    db.session.flush()

    def product(name, category, substances, size="2"):
        return create_product(ProductData(name=name, category=category, unit_size=size,
                                          composition=[ComponentData(s, "active") for s in substances]), actor=None)

    ha = product("HA 1% 2 mL", "hyaluronic acid", ["sodium hyaluronate"])
    product("Lidocaine/prilocaine cream 5%", "anaesthetic", ["lidocaine", "prilocaine"], "30")
    product("Chlorhexidine 2% skin antiseptic", "other", ["chlorhexidine"], "250")
    product("Nitrile examination gloves", "other", ["nitrile butadiene rubber"], "100")
    product("Latex examination gloves", "other", ["natural rubber latex"], "100")
    receive(ha, lot_number="HA-1", expiry=TODAY + timedelta(days=300), quantity=Decimal(20),
            received_on=TODAY - timedelta(days=5), actor=None)
    create_cocktail(RecipeData(name="Hydra glow", goals=["hydration"],
                               components=[ComponentLine(ha.id, Decimal(2))]), actor=None)
    for name, reference, allergen in [("Lena Latex", "P-0101", "latex"),
                                      ("Chloe Chlorhexidine", "P-0102", "chlorhexidine")]:
        patient = create_patient(PatientData(name=name, reference=reference, allergy_status="recorded"), actor=None)
        add_allergy(patient, AllergyData(allergen=allergen, criticality="high", reaction="Hives"), actor=None)


def _check(page, patient: str) -> None:
    page.goto("/sessions")
    page.get_by_role("link", name="Plan a session").first.click()
    page.get_by_label("Patient", exact=True).select_option(label=patient)
    page.get_by_label("Cocktail").select_option(label="Hydra glow (version 1)")
    page.get_by_label("Date").fill(TODAY.isoformat())
    page.get_by_role("button", name="Plan session").click()
    page.get_by_role("button", name="Run check").click()


def test_the_kit_is_edited_and_its_items_block_an_allergic_patient(page, live_server, seed, browser_user):
    seed(_clinic)
    manager = browser_user("manager")
    log_in(page, manager)

    # The manager sets the kit: cream, antiseptic, latex gloves.
    page.locator("#main-nav").get_by_role("link", name="Cocktails").click()
    page.get_by_role("link", name="Procedure kit").click()
    expect(page.get_by_role("heading", name="Procedure kit")).to_be_visible()
    expect(page.get_by_text("The kit is empty")).to_be_visible()
    page.get_by_role("button", name="Add more rows").click()
    page.get_by_label("Kit product 1").select_option(label="Lidocaine/prilocaine cream 5%")
    page.get_by_label("Use 1").select_option(label="Topical anaesthetic")
    page.get_by_label("Kit product 2").select_option(label="Chlorhexidine 2% skin antiseptic")
    page.get_by_label("Use 2").select_option(label="Antiseptic")
    page.get_by_label("Kit product 3").select_option(label="Latex examination gloves")
    page.get_by_label("Use 3").select_option(label="Gloves")
    screenshot(page, "kit-editing")
    page.get_by_role("button", name="Save the kit").click()
    expect(page.get_by_role("alert")).to_contain_text("The kit is saved: 3 items")
    expect(page.get_by_label("Kit product 3")).to_have_value(re.compile(r"^\d+$"))
    screenshot(page, "kit-saved")

    # A latex-allergic patient: blocked, and the check says where the latex is.
    _check(page, "Lena Latex (P-0101)")
    panel = page.locator("#check")
    expect(panel.get_by_role("heading", name=re.compile("^Blocked"))).to_be_visible()
    expect(panel).to_contain_text("in the gloves: Latex examination gloves")
    expect(page.locator("#session-kit")).to_contain_text("Gloves: Latex examination gloves")
    screenshot(page, "kit-latex-blocked")

    # A chlorhexidine-allergic patient: blocked in the antiseptic.
    _check(page, "Chloe Chlorhexidine (P-0102)")
    expect(page.locator("#check")).to_contain_text("in the antiseptic: Chlorhexidine 2% skin antiseptic")

    # Nitrile gloves instead: the latex-allergic patient's new check is clear.
    page.goto("/cocktails/kit")
    page.get_by_label("Kit product 3").select_option(label="Nitrile examination gloves")
    page.get_by_role("button", name="Save the kit").click()
    expect(page.get_by_role("alert")).to_contain_text("The kit is saved")
    _check(page, "Lena Latex (P-0101)")
    expect(page.locator("#check").get_by_role("heading", name=re.compile("^Clear"))).to_be_visible()


def test_the_composer_adds_procedure_items_and_shows_the_dose(page, live_server, seed, browser_user):
    seed(_clinic)
    log_in(page, browser_user("manager"))
    page.goto("/cocktails")
    page.get_by_role("link", name="Hydra glow").first.click()
    page.get_by_role("link", name="Edit").first.click()
    expect(page.locator("#procedure-items")).to_contain_text("empty for now")
    page.get_by_label("Procedure product 1").select_option(label="Latex examination gloves")
    page.get_by_label("Procedure use 1").select_option(label="Gloves")
    screenshot(page, "kit-composer")
    page.get_by_role("button", name="Save cocktail").click()
    expect(page.get_by_role("alert")).to_contain_text("saved as version 2")
    expect(page.locator("#version-procedure")).to_contain_text("Latex examination gloves (gloves)")
    screenshot(page, "kit-cocktail")
