"""In a real browser: prepare a session's cocktail, print and scan its label, administer it; the next session
that day draws from the same opened vial; five weeks on a session opens a new vial and the old one waits on
the dashboard to be discarded."""

from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot

TODAY = date.today()


def _clinic() -> dict:
    """HA 1% (2 mL single-use), lidocaine 2% (10 mL multi-dose, 28 days once opened), a cocktail, three sessions."""
    from formulary.auth.models import User
    from formulary.catalogue.models import Substance, TreatmentGoal
    from formulary.catalogue.products import ComponentData, ProductData, create_product
    from formulary.cocktails.recipes import ComponentLine, RecipeData, create_cocktail
    from formulary.extensions import db
    from formulary.patients.records import PatientData, create_patient
    from formulary.stock.ledger import receive
    from formulary.treatments.sessions import plan_session

    for name in ("sodium hyaluronate", "lidocaine hydrochloride"):
        db.session.add(Substance(name=name, key=name.replace(" ", "")))
    db.session.add(TreatmentGoal(name="hydration", key="hydration", description=""))
    db.session.flush()
    ha = create_product(ProductData(name="HA 1% 2 mL", category="hyaluronic acid", unit_size="2",
                                    composition=[ComponentData("sodium hyaluronate", "active", "1%")]), actor=None)
    lido = create_product(ProductData(name="Lidocaine 2% 10 mL", category="anaesthetic", unit_size="10",
                                      single_use=False, opened_shelf_life_days=28,
                                      composition=[ComponentData("lidocaine hydrochloride", "active", "2%")]),
                          actor=None)
    receive(ha, lot_number="HA-1", expiry=TODAY + timedelta(days=300), quantity=20, received_on=TODAY, actor=None)
    lido_lot = receive(lido, lot_number="LI-1", expiry=TODAY + timedelta(days=300), quantity=20, received_on=TODAY,
                       actor=None)
    cocktail = create_cocktail(RecipeData(name="Glow", goals=["hydration"], components=[
        ComponentLine(ha.id, Decimal("1.5")), ComponentLine(lido.id, Decimal("0.5"))]), actor=None)
    practitioner = db.session.query(User).filter_by(username="practitioner-browser").one()
    sessions = []
    for name, reference in [("Ana Silva", "P-0001"), ("Bea Costa", "P-0002"), ("Cara Lopes", "P-0003")]:
        patient = create_patient(PatientData(name=name, reference=reference, allergy_status="none-known",
                                             date_of_birth=date(1990, 4, 2)), actor=None)
        sessions.append(plan_session(patient, cocktail, TODAY, practitioner=practitioner, actor=practitioner).id)
    return {"sessions": sessions, "lido_lot": lido_lot.id}


def _opened_units(lot_id: int) -> list[tuple[int, Decimal]]:
    from formulary.extensions import db
    from formulary.stock.opened_models import OpenedUnit

    return [(u.id, u.content_left) for u in
            db.session.query(OpenedUnit).filter_by(lot_id=lot_id).order_by(OpenedUnit.id)]


def _five_weeks_pass(lot_id: int) -> None:
    """The vials of the lot were opened five weeks ago (the browser cannot wait that long)."""
    from formulary.extensions import db
    from formulary.stock.opened_models import OpenedUnit

    for unit in db.session.query(OpenedUnit).filter_by(lot_id=lot_id):
        unit.opened_on -= timedelta(days=35)
        unit.opened_at -= timedelta(days=35)
        unit.use_by = unit.opened_on + timedelta(days=28)


def test_prepare_label_scan_administer_share_the_vial_and_discard_it_when_lapsed(page, seed, browser_user):
    practitioner = browser_user("practitioner")
    clinic = seed(_clinic)
    ana, bea, cara = clinic["sessions"]
    log_in(page, practitioner)

    # Prepare Ana's cocktail: the stock is drawn now and the lidocaine vial is opened.
    page.goto(f"/sessions/{ana}")
    page.get_by_role("button", name="Prepare the cocktail").click()
    expect(page.get_by_role("alert").first).to_contain_text("Prepared PREP-")
    waiting = page.locator("#waiting-preparation")
    expect(waiting).to_contain_text("Use by")
    reference = waiting.inner_text().split(" ·")[0].strip()
    screenshot(page, "opened-prepared")

    # Print the label (the HTML print view), and read its barcode as a scanner would.
    label_url = page.locator("#print-label").get_attribute("href")
    page.goto(label_url)
    expect(page.locator("#label-text")).to_contain_text("Ana Silva · born 1990-04-02 · ref P-0001")
    expect(page.locator("#label-text")).to_contain_text("lot LI-1")
    expect(page.locator("#label-image")).to_be_visible()
    screenshot(page, "opened-label")
    png = page.request.get(page.locator("#label-image").get_attribute("src")).body()
    (scanned,) = [r.text for r in zxingcpp.read_barcodes(Image.open(BytesIO(png)))]
    assert reference in scanned

    # Scan it at the chair: right patient, right preparation, in time; then administer it.
    page.goto(f"/sessions/{ana}")
    page.get_by_label("Scan the syringe label at the chair").fill(scanned)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert").first).to_contain_text("Right patient (Ana Silva), right preparation")
    screenshot(page, "opened-scanned")
    page.get_by_role("button", name="Administer and draw the stock").click()
    expect(page.get_by_role("alert").first).to_contain_text("Administered from PREP-")
    (first_vial,) = seed(_opened_units, clinic["lido_lot"])
    assert first_vial[1] == Decimal("9.5")

    # The next session that day draws from the same opened vial.
    page.goto(f"/sessions/{bea}")
    page.get_by_role("button", name="Administer and draw the stock").click()
    expect(page.get_by_role("alert").first).to_contain_text("Administered. Drawn:")
    assert seed(_opened_units, clinic["lido_lot"]) == [(first_vial[0], Decimal("9"))]

    # Five weeks on: the old vial has lapsed; the next session opens a new one.
    seed(_five_weeks_pass, clinic["lido_lot"])
    page.goto(f"/sessions/{cara}")
    page.get_by_role("button", name="Administer and draw the stock").click()
    expect(page.get_by_role("alert").first).to_contain_text("Administered. Drawn:")
    old, new = seed(_opened_units, clinic["lido_lot"])
    assert old == (first_vial[0], Decimal("9")) and new[1] == Decimal("9.5")

    # The old vial waits on the dashboard, and one click discards it with the reason.
    page.goto("/")
    panel = page.locator("#to-discard")
    expect(panel).to_contain_text("LI-1")
    expect(panel).to_contain_text("9 mL")
    screenshot(page, "opened-dashboard")
    panel.get_by_role("button", name="Discard opened vial of Lidocaine 2% 10 mL lot LI-1").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"Opened vial #{first_vial[0]} of lot LI-1 discarded (lapsed")
    expect(page.locator("#to-discard")).to_contain_text("No opened vial is past its use-by.")
    expect(page.locator("#waste-cost")).to_be_visible()
    screenshot(page, "opened-discarded")
