"""In a real browser: a manager opens a supplier's suggested order, drafts it, sends it (print view), and
receives the delivery against it, partly and then fully."""

import re
from datetime import date, timedelta
from decimal import Decimal

from playwright.sync_api import expect

from formulary.extensions import db
from tests.browser.conftest import log_in, screenshot

TODAY = date.today()


def booked_clinic():
    """A supplier, a product it sells in packs of 5 mL with 1 mL in stock, and two booked sessions of 3 mL."""
    from formulary.catalogue.models import Substance, TreatmentGoal
    from formulary.catalogue.products import ComponentData, ProductData, create_product
    from formulary.cocktails.recipes import ComponentLine, RecipeData, create_cocktail
    from formulary.patients.records import PatientData, create_patient
    from formulary.purchasing.suppliers import SupplierData, create_supplier
    from formulary.stock.ledger import receive
    from formulary.treatments.sessions import plan_session

    db.session.add(Substance(name="ascorbic acid", key="ascorbicacid", category="vitamin", origin="reference"))
    db.session.add(TreatmentGoal(name="radiance", key="radiance", description=""))
    supplier = create_supplier(SupplierData(name="Mesolab Iberia", lead_time_days=5, email="orders@mesolab.example",
                                            contact_person="Marta Ruiz"), actor=None)
    vial = create_product(ProductData(name="Vitamin C 20% 5 mL", category="vitamin", unit_size="5", single_use=False,
                                      opened_shelf_life_days=28, supplier_id=supplier.id, pack_size="5",
                                      composition=[ComponentData("ascorbic acid", "active")]), actor=None)
    receive(vial, lot_number="VC-OLD", expiry=TODAY + timedelta(days=200), quantity=Decimal("1"),
            received_on=TODAY - timedelta(days=160), actor=None, unit_cost=Decimal("6"))
    cocktail = create_cocktail(RecipeData(name="Radiance C", goals=["radiance"],
                                          components=[ComponentLine(vial.id, Decimal("3"))]), actor=None)
    for days, name in ((2, "Ana Silva"), (4, "Lucía Pérez")):
        patient = create_patient(PatientData(name=name, allergy_status="none-known"), actor=None)
        plan_session(patient, cocktail, TODAY + timedelta(days=days), practitioner=None, actor=None)


def receive(page, lot_number, quantity):
    form = page.get_by_role("form", name="Receive Vitamin C 20% 5 mL")
    form.get_by_label("Lot").fill(lot_number)
    form.get_by_label("Expires").fill(f"{TODAY + timedelta(days=400):%Y-%m-%d}")
    form.get_by_label("Quantity").fill(quantity)
    form.get_by_role("button", name="Receive").click()


def test_suggest_draft_send_and_receive_an_order(page, seed, browser_user):
    seed(booked_clinic)
    log_in(page, browser_user("manager"))

    page.get_by_role("link", name="Orders", exact=True).click()
    page.get_by_role("link", name="Suggested order").click()
    expect(page.get_by_role("heading", name="Suggested order from Mesolab Iberia")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Vitamin C 20% 5 mL"))
    expect(row).to_contain_text("2 booked sessions need 6 mL")
    expect(row).to_contain_text("1 mL usable now")
    expect(row).to_contain_text("1 × 5 mL")
    screenshot(page, "orders-suggested")

    page.get_by_role("button", name="Draft an order from this").click()
    expect(page.get_by_text("is drafted: check the packs, then send it.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Order PO-\\d+ Draft"))).to_be_visible()
    page.get_by_label("Packs of Vitamin C 20% 5 mL").fill("2")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text(re.compile("Order PO-\\d+ is saved."))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Vitamin C 20% 5 mL"))).to_contain_text("10 mL")
    expect(page.get_by_role("row", name=re.compile("Vitamin C 20% 5 mL"))).to_contain_text("€60.00")
    screenshot(page, "orders-draft")

    page.get_by_role("button", name="Send: print it").click()
    expect(page.get_by_role("heading", name=re.compile("Purchase order PO-\\d+"))).to_be_visible()
    expect(page.get_by_text("for the attention of Marta Ruiz")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Vitamin C 20% 5 mL"))).to_contain_text("2")
    screenshot(page, "orders-print")

    page.get_by_role("link", name="Back to the order").click()
    expect(page.get_by_role("heading", name=re.compile("Order PO-\\d+ Sent"))).to_be_visible()
    expect(page.get_by_label("Packs of Vitamin C 20% 5 mL")).to_have_count(0)  # a sent order is not edited
    receive(page, "VC-2501", "4")
    expect(page.get_by_role("heading", name=re.compile("Partly received"))).to_be_visible()
    expect(page.get_by_text("short by 6 mL")).to_be_visible()
    receive(page, "VC-2502", "6")
    expect(page.get_by_role("heading", name=re.compile("Order PO-\\d+ Received"))).to_be_visible()
    expect(page.get_by_text("complete")).to_be_visible()
    screenshot(page, "orders-received")

    page.goto("/stock?q=VC-25")
    expect(page.get_by_role("link", name="VC-2501")).to_be_visible()
    expect(page.get_by_role("link", name="VC-2502")).to_be_visible()
