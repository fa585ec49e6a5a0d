"""In a real browser, the practitioner's day: search "lucia", open her page, start a course of four sessions, get
consent signed on a tablet-sized screen by drawing on the pad, prepare the first session's cocktail and give it
(consent required for this test)."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.browser.test_sessions import TODAY

TABLET = {"width": 768, "height": 1024}


def _clinic() -> int:
    """Stock and a cocktail (with a series setting of 4 sessions, 14 days apart) and Lucía, with no known allergy."""
    from decimal import Decimal

    from formulary.catalogue.models import Substance, TreatmentGoal
    from formulary.catalogue.products import ComponentData, ProductData, create_product
    from formulary.cocktails.recipes import ComponentLine, RecipeData, create_cocktail
    from formulary.extensions import db
    from formulary.patients.records import PatientData, create_patient
    from formulary.stock.ledger import receive

    for name in ("sodium hyaluronate", "thiamine"):
        db.session.add(Substance(name=name, key=name.replace(" ", "")))
    db.session.add(TreatmentGoal(name="hydration", key="hydration", description=""))
    db.session.flush()
    ha = create_product(ProductData(name="HA 1% 2 mL", category="hyaluronic acid", unit_size="2",
                                    composition=[ComponentData("sodium hyaluronate", "active")]), actor=None)
    vit = create_product(ProductData(name="Vitamin Complex B 2 mL", category="vitamin", unit_size="2",
                                     composition=[ComponentData("thiamine", "active")]), actor=None)
    for product, number in [(ha, "HA-1"), (vit, "VB-1")]:
        receive(product, lot_number=number, expiry=TODAY + timedelta(days=300), quantity=10,
                received_on=TODAY - timedelta(days=5), actor=None, supplier="MesoSupply")
    create_cocktail(RecipeData(name="Hydra glow", goals=["hydration"], series_sessions=4, series_interval_days=14,
                               components=[ComponentLine(ha.id, Decimal("1.5")), ComponentLine(vit.id, Decimal(1))]),
                    actor=None)
    return create_patient(PatientData(name="Lucía Petrović", reference="P-0007", allergy_status="none-known"),
                          actor=None).id


def test_a_course_of_four_consent_signed_on_a_tablet_and_the_first_session_given(browser, live_server, seed,
                                                                                  browser_user):
    base_url, app = live_server
    app.config["REQUIRE_CONSENT"] = True
    patient_id = seed(_clinic)
    practitioner = browser_user("practitioner")
    context = browser.new_context(base_url=base_url, viewport=TABLET, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, practitioner)

    # Find Lucía without her accent, open her page and start a course from it.
    page.goto("/patients/")
    page.get_by_role("searchbox").fill("lucia")
    page.get_by_role("searchbox").press("Enter")
    page.get_by_role("link", name="Lucía Petrović").click()
    expect(page.get_by_role("heading", name="Lucía Petrović")).to_be_visible()
    page.get_by_role("link", name="Start a course").first.click()

    # Start the course: the cocktail's series setting fills the number of sessions and the interval.
    expect(page.get_by_label("Patient", exact=True)).to_have_value(str(patient_id))
    page.get_by_label("Goals").fill("Hydration and a brighter skin before the summer")
    page.get_by_label("Cocktail").select_option(label="Hydra glow (version 1)")
    expect(page.get_by_label("Number of sessions")).to_have_value("4")
    expect(page.get_by_label("Days between sessions")).to_have_value("14")
    page.get_by_label("First session").fill(TODAY.isoformat())
    page.get_by_label("Time").fill("14:30")
    screenshot(page, "course-new-768")
    page.get_by_role("button", name="Book the sessions").click()
    expect(page.get_by_role("alert")).to_contain_text("Course started for Lucía Petrović: 4 sessions booked")
    expect(page.locator("#course-progress")).to_contain_text("0 of 4 sessions given")
    expect(page.locator("#course-stock")).to_contain_text("Stock in date lasts to the last session")
    sessions = page.get_by_role("table", name="Sessions of the course").locator("tbody tr")
    expect(sessions).to_have_count(4)
    expect(sessions.nth(0)).to_contain_text(f"{TODAY:%Y-%m-%d} 14:30")
    expect(sessions.nth(3)).to_contain_text(f"{TODAY + timedelta(days=42):%Y-%m-%d} 14:30")
    screenshot(page, "course-768")

    # The first session: administering without consent is refused.
    page.locator("#next-due").get_by_role("link").click()
    expect(page.locator("#consent")).to_contain_text("Not signed")
    page.get_by_role("button", name="Administer and draw the stock").click()
    expect(page.locator("#problem")).to_contain_text("has not signed the consent")

    # Consent on the tablet: what is injected, the side effects, then a signature drawn on the pad.
    page.locator("#consent").get_by_role("link", name="Get consent signed").click()
    table = page.get_by_role("table", name="What will be injected")
    expect(table).to_contain_text("Vitamin Complex B 2 mL")
    expect(table).to_contain_text("thiamine")
    expect(page.locator(".consent-wording")).to_contain_text("Bruising")
    page.get_by_role("button", name="Record the consent").click()  # nothing drawn yet: the pad says so
    expect(page.locator("[data-signature-state]")).to_have_text("Please sign in the box first.")
    canvas = page.locator("#signature-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 600  # the pad spans the tablet's width
    page.mouse.move(box["x"] + 40, box["y"] + box["height"] * 0.6)
    page.mouse.down()
    for step in range(1, 25):
        page.mouse.move(box["x"] + 40 + step * 12, box["y"] + box["height"] * (0.6 - 0.3 * (step % 2)), steps=2)
    page.mouse.up()
    expect(page.locator("[data-signature-state]")).to_contain_text("Signed")
    screenshot(page, "consent-signing-768")
    page.get_by_role("button", name="Record the consent").click()
    expect(page.get_by_role("alert")).to_contain_text("Consent recorded (signed on screen)")
    expect(page.locator("#consent")).to_contain_text("Signed on screen")

    # The signature was kept as a PNG with ink on it.
    signature = page.request.get(page.url.split("#")[0] + "/consent/signature.png")
    assert signature.status == 200 and signature.body()[:8] == b"\x89PNG\r\n\x1a\n" and len(signature.body()) > 500

    # The cocktail is prepared (the stock leaves the shelf now), then the session is given from that preparation.
    page.get_by_role("button", name="Prepare the cocktail").click()
    expect(page.get_by_role("alert")).to_contain_text("Prepared PREP-")
    page.get_by_label("cheeks").check()
    page.get_by_role("button", name="Administer and draw the stock").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"Administered from PREP-\d+: .*HA 1% 2 mL"))
    screenshot(page, "session-given-768")

    # The printed consent keeps the signature; the course moves on.
    page.locator("#consent").get_by_role("link", name="View and print").click()
    expect(page.locator("#consent-signed")).to_contain_text("Signed on screen")
    expect(page.get_by_role("img", name="The patient's signature")).to_be_visible()
    screenshot(page, "consent-print-768")
    page.go_back()
    page.get_by_role("link", name="Session 1 of 4").click()
    expect(page.locator("#course-progress")).to_contain_text("1 of 4 sessions given")
    context.close()
    assert not errors, errors
