"""In a real browser: a practitioner adds a patient and codes an allergy by picking a synonym's suggestion."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot


def demo_clinic():
    """The reference library, the demo users and the demo patients."""
    from formulary.catalogue.reference_sync import sync_reference_library
    from formulary.demo import patients, users

    sync_reference_library()
    users.load()
    patients.load()


def test_a_practitioner_adds_a_patient_and_codes_an_allergy_through_a_synonym(page, seed):
    from formulary.demo.users import DEMO_PASSWORD

    seed(demo_clinic)
    log_in(page, "practitioner", DEMO_PASSWORD)

    page.get_by_role("link", name="Patients").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    expect(page.get_by_text("Unknown — never asked").first).to_be_visible()
    screenshot(page, "patients-list")
    page.get_by_label("Name, clinic reference or date of birth").fill("P-1011")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Emma Novak")).to_be_visible()
    page.get_by_role("link", name="Emma Novak").click()
    expect(page.get_by_text("Not coded: the check reads its words at every session.")).to_be_visible()
    screenshot(page, "patient-free-text")

    page.goto("/patients/")
    page.get_by_role("link", name="New patient").click()
    page.get_by_label("Clinic reference").fill("P-1001")
    page.get_by_role("button", name="Save patient").click()
    expect(page.get_by_text("The patient's name is required.")).to_be_visible()
    expect(page.get_by_text("Reference P-1001 already belongs to another patient.")).to_be_visible()
    screenshot(page, "patient-new-errors")
    page.get_by_label("Name", exact=True).fill("Dana Lee")
    page.get_by_label("Date of birth").fill("1991-04-03")
    page.get_by_label("Clinic reference").fill("P-2001")
    page.get_by_label("Skin type (Fitzpatrick)").select_option("IV")
    page.get_by_label("Allergies recorded").check()
    page.get_by_label("keloid tendency", exact=True).check()
    screenshot(page, "patient-new")
    page.get_by_role("button", name="Save patient").click()

    expect(page.get_by_role("heading", name="Record an allergy for Dana Lee")).to_be_visible()
    allergen = page.get_by_label("Allergic to")
    allergen.press_sequentially("mecobalamin", delay=30)
    suggestion = page.get_by_role("option", name=re.compile(r"mecobalamin → methylcobalamin"))
    expect(suggestion).to_be_visible()
    screenshot(page, "allergy-suggestions")
    suggestion.click()
    expect(allergen).to_have_value("methylcobalamin")
    expect(page.get_by_text("Will be recorded as methylcobalamin (substance).")).to_be_visible()
    page.get_by_label("High").check()
    page.get_by_label("Reaction").fill("Hives on both cheeks within an hour")
    page.get_by_role("button", name="Record allergy").click()

    expect(page.get_by_text("Allergy to methylcobalamin (substance) recorded.")).to_be_visible()
    row = page.locator("table.patient-allergies tbody tr").first
    expect(row.get_by_role("link", name="methylcobalamin")).to_be_visible()
    expect(row.get_by_text("substance", exact=True)).to_be_visible()
    expect(row.get_by_text("Hives on both cheeks within an hour")).to_be_visible()
    expect(page.get_by_text("1 allergy", exact=True)).to_be_visible()
    screenshot(page, "patient-profile")

    # Typing words that match nothing keeps them as free text, and the page says so.
    page.get_by_role("link", name="Record an allergy").click()
    page.get_by_label("Allergic to").press_sequentially("the blue serum from last summer", delay=10)
    expect(page.get_by_text("Nothing in the catalogue matches")).to_be_visible()
    page.get_by_role("button", name="Record allergy").click()
    expect(page.get_by_text("Allergy recorded as free text")).to_be_visible()
    expect(page.get_by_text("2 allergies", exact=True)).to_be_visible()
