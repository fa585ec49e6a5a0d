"""In a real browser, the practitioner's day: search "lucia" without the accent, open the patient, plan a
session from her page, check and give it at a tablet-sized screen; a manager recalls the lot and reaches
her phone number from the lot page. Every page is measured at 390, 768 and 1366 px: nothing sticks out
sideways and the navbar stays one line."""

import re
from datetime import date, timedelta
from decimal import Decimal

from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot

TODAY = date.today()
WIDTHS = (390, 768, 1366)
DESKTOPS = (1366, 1440, 1920)
# What sticks out to the right of the viewport (for the failure message).
WIDER = """[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > innerWidth + 1)
  .slice(0, 5).map(e => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().right))"""
ONE_LINE = 64  # px: a Bootstrap navbar of one row is 56 px high; two rows are over 90


def _clinic() -> dict:
    """A cocktail of one product with two lots, and three patients with contacts (accents in the names)."""
    from formulary.catalogue.models import Substance, TreatmentGoal
    from formulary.catalogue.products import ComponentData, ProductData, create_product
    from formulary.cocktails.recipes import ComponentLine, RecipeData, create_cocktail
    from formulary.extensions import db
    from formulary.patients.records import PatientData, create_patient
    from formulary.stock.ledger import receive

    db.session.add_all([Substance(name="sodium hyaluronate", key="sodiumhyaluronate"),
                        TreatmentGoal(name="hydration", key="hydration", description="")])
    db.session.flush()
    ha = create_product(ProductData(name="HA 1% 2 mL", category="hyaluronic acid", unit_size="2",
                                    composition=[ComponentData("sodium hyaluronate", "active")]), actor=None)
    lots = {number: receive(ha, lot_number=number, expiry=TODAY + timedelta(days=days), quantity=10,
                            received_on=TODAY - timedelta(days=5), actor=None, supplier="MesoSupply").id
            for number, days in [("HA-EARLY", 60), ("HA-LATE", 300)]}
    create_cocktail(RecipeData(name="Hydra glow", goals=["hydration"], components=[ComponentLine(ha.id, Decimal(1))]),
                    actor=None)
    people = [("Lucía Fernández", "P-1025", "+44 7700 900125", "lucia@example.org", True),
              ("Nina Petrović", "P-1017", "+44 7700 900117", "", False),
              ("Luciano Berti", "P-1031", "", "", False)]
    for name, reference, phone, email, contact_ok in people:
        create_patient(PatientData(name=name, reference=reference, date_of_birth=date(1990, 5, 1),
                                   allergy_status="none-known", phone=phone, email=email, contact_ok=contact_ok),
                       actor=None)
    return lots


def _fits(page, name: str) -> None:
    """At each width: no sideways scrolling of the page, and a navbar of one line; a picture of each."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(50)
        screenshot(page, f"day-{name}-{width}")
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, f"{name} at {width} px is {scroll} px wide: {page.evaluate(WIDER)}"
        height = page.locator("nav.navbar").bounding_box()["height"]
        assert height <= ONE_LINE, f"the navbar of {name} at {width} px is {height} px high"
    page.set_viewport_size({"width": 1366, "height": 900})


def _navbar_one_line(page, name: str) -> None:
    for width in DESKTOPS:
        page.set_viewport_size({"width": width, "height": 900})
        height = page.locator("nav.navbar").bounding_box()["height"]
        screenshot(page, f"day-navbar-{name}-{width}")
        assert height <= ONE_LINE, f"the {name} navbar at {width} px is {height} px high"
        spare = page.evaluate("""Math.round(document.querySelector(".navbar-user").getBoundingClientRect().left
            - document.querySelector("#main-nav .me-auto").getBoundingClientRect().right)""")
        print(f"navbar of the {name} at {width} px: {spare} px to spare")  # room for the items other pages add
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"the {name} navbar at {width} px pushes the page to {scroll} px ({spare} px spare)"
    page.set_viewport_size({"width": 1366, "height": 900})


def test_the_practitioners_day_and_a_recall_that_reaches_the_patient(page, browser, live_server, seed,
                                                                       browser_user):
    lots = seed(_clinic)
    practitioner, manager = browser_user("practitioner"), browser_user("manager")
    browser_user("admin", "admin-with-a-rather-long-name")

    # Searching without the accent finds Lucía (and Luciano), not Nina.
    log_in(page, practitioner)
    _navbar_one_line(page, "practitioner")
    page.locator("#main-nav").get_by_role("link", name="Patients").click()
    page.get_by_label("Name, clinic reference or date of birth").fill("lucia")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Lucía Fernández")).to_be_visible()
    expect(page.get_by_role("link", name="Nina Petrović")).to_have_count(0)
    _fits(page, "patient-search")
    page.get_by_label("Name, clinic reference or date of birth").fill("PETROVIC")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Nina Petrović")).to_be_visible()

    # Entering her again, without the accent, is stopped with a link to the record she already has.
    page.get_by_role("link", name="New patient").click()
    page.get_by_label("Name", exact=True).fill("Lucia Fernandez")
    page.get_by_label("Date of birth").fill("1990-05-01")
    page.get_by_role("button", name="Save patient").click()
    warning = page.locator(".possible-duplicates")
    expect(warning).to_contain_text("This may be a patient you already have")
    _fits(page, "duplicate-warning")
    warning.get_by_role("link", name="Lucía Fernández").click()

    # Her page: contacts, no session yet, and the way to plan one.
    expect(page.get_by_role("heading", name="Lucía Fernández")).to_be_visible()
    expect(page.locator(".patient-phone")).to_have_text("+44 7700 900125")
    expect(page.locator("#sessions")).to_contain_text("No session yet")
    page.get_by_role("link", name="Plan a session").first.click()
    expect(page.get_by_label("Patient", exact=True)).to_have_value(re.compile(r"\d+"))
    expect(page.get_by_label("Patient", exact=True).locator("option:checked")).to_have_text("Lucía Fernández (P-1025)")
    page.get_by_label("Cocktail").select_option(label="Hydra glow (version 1)")
    page.get_by_label("Date").fill(TODAY.isoformat())
    page.get_by_role("button", name="Plan session").click()

    # At the chair, on a tablet: the page leads with where the session stands and the one thing to do.
    page.set_viewport_size({"width": 768, "height": 1024})
    step = page.locator("#next-step")
    expect(step.locator(".next-step-badge")).to_have_text("Not checked")
    step.get_by_role("button", name="Run the check").click()
    expect(step.locator(".next-step-badge")).to_have_text("Ready")
    box = step.bounding_box()
    assert box["y"] < 400, f"the next step starts {box['y']} px down the page"
    _fits(page, "session-ready")
    page.set_viewport_size({"width": 768, "height": 1024})
    step.get_by_role("link", name="Give the session").click()
    page.get_by_role("button", name="Administer and draw the stock").click()
    expect(page.get_by_role("alert").first).to_contain_text("Administered")
    expect(step.locator(".next-step-badge")).to_have_text("Given")
    _fits(page, "session-given")

    # Her page now lists the session, given, with the lot she received.
    page.get_by_role("link", name="Lucía Fernández").first.click()
    row = page.locator(".patient-session").first
    expect(row.locator(".outcome-badge")).to_have_text("Given")
    expect(row).to_contain_text("lot HA-EARLY")
    _fits(page, "patient-page")
    page.locator("#main-nav").get_by_role("link", name="Sessions").click()
    expect(page.get_by_role("row").filter(has_text="Lucía Fernández").locator(".outcome-badge")).to_have_text("Given")
    _fits(page, "sessions")

    # The manager recalls the lot on its page, and reaches Lucía's phone number from there.
    page.get_by_role("button", name="Log out").click()
    log_in(page, manager)
    _navbar_one_line(page, "manager")
    page.goto(f"/stock/lots/{lots['HA-EARLY']}")
    page.once("dialog", lambda dialog: dialog.accept())
    recall = page.locator("#action-recall")
    recall.get_by_label("Reason").fill("Manufacturer notice MR-2026-114: particles in vials")
    recall.get_by_role("button").click()
    reached = page.locator("#lot-recipients")
    expect(reached).to_contain_text("Lucía Fernández")
    phone = reached.get_by_role("link", name="+44 7700 900125")
    expect(phone).to_have_attribute("href", "tel:+447700900125")
    _fits(page, "recalled-lot")

    # The recall list: her contacts and a letter ready to print, with her name and the lot filled in.
    reached.get_by_role("link", name="Recall list, letters and .xlsx").click()
    contact = page.locator(".recall-patient").filter(has_text="Lucía Fernández")
    expect(contact).to_contain_text("lucia@example.org")
    _fits(page, "recall-list")
    contact.get_by_role("link", name="Print the letter").click()
    letter = page.locator(".recall-letter-text")
    expect(letter).to_contain_text("Dear Lucía Fernández,")
    expect(letter).to_contain_text("lot HA-EARLY")
    screenshot(page, "day-recall-letter")

    page.get_by_role("button", name="Log out").click()
    log_in(page, "admin-with-a-rather-long-name")
    _navbar_one_line(page, "admin")
