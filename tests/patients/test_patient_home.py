"""The patient page as the practitioner's home (every session with its outcome, lots and reactions, the
buttons to plan), plain outcome badges, and a recall that reaches people: contacts on the lot page and
the recall list, a letter per patient in the clinic's own wording, the .xlsx with contacts and letters."""

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from formulary.extensions import db
from formulary.stock.ledger import set_status
from formulary.treatments import recall_letter
from formulary.treatments.display import CheckState, session_outcome
from formulary.treatments.sessions import administer, check_session, plan_session, record_reaction
from formulary.vocabulary import LotStatus
from tests.conftest import post_form

TODAY = date.today()


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def clinic(make_product, make_lot, make_cocktail, make_substance):
    make_substance("methylparaben", groups=["parabens"])
    ha = make_product("HA 1% 2 mL", unit_size="2")
    vit = make_product("Vitamin B 2 mL", unit_size="2", composition=[("thiamine", "active"),
                                                                      ("methylparaben", "excipient")])
    early = make_lot(ha, lot_number="HA-EARLY", quantity="20", expiry=TODAY + timedelta(days=60))
    make_lot(vit, lot_number="VB-1", quantity="20", expiry=TODAY + timedelta(days=200))
    return {"early": early, "plain": make_cocktail("Hydra glow", [(ha, "1.5")]),
            "paraben": make_cocktail("Vita boost", [(vit, "1")])}


@pytest.mark.parametrize("status, state, label", [
    ("administered", None, "Given"), ("cancelled", CheckState("blocked", "Blocked", "danger"), "Cancelled"),
    ("planned", None, "Not checked"), ("checked", CheckState("blocked", "Blocked", "danger"), "Blocked"),
    ("checked", CheckState("blocked", "Blocked · overridden", "danger", settled=True), "Ready · override"),
    ("checked", CheckState("caution", "Caution", "warning"), "Needs acknowledgement"),
    ("checked", CheckState("caution", "Caution · acknowledged", "warning", settled=True), "Ready"),
    ("checked", CheckState("clear", "Clear", "success"), "Ready"),
])
def test_a_session_says_what_matters_never_checked_while_blocked(status, state, label):
    assert session_outcome(status, state).label == label


def test_the_patient_page_lists_every_session_with_outcome_lots_and_reactions(client, login_as, clinic, make_patient):
    user = login_as("practitioner")
    patient = make_patient("Paula Paraben", allergies=["parabens"])
    given = plan_session(patient, clinic["plain"], TODAY, practitioner=user, actor=user)
    administer(given, actor=user, today=TODAY)
    record_reaction(given, "Small bruise at the cheek", actor=user)
    blocked = plan_session(patient, clinic["paraben"], TODAY + timedelta(days=7), practitioner=user, actor=user)
    check_session(blocked, actor=user)
    db.session.commit()

    page = text(client.get(f"/patients/{patient.id}"))
    assert f'href="/sessions/new?patient_id={patient.id}">Plan a session</a>' in page
    given_row = page[page.index(f'id="session-{given.id}"'):]
    assert ">Given</span>" in given_row[:2500] and "lot HA-EARLY" in given_row and "Small bruise at the cheek" in given_row
    blocked_row = page[page.index(f'id="session-{blocked.id}"'):page.index(f'id="session-{given.id}"')]
    assert ">Blocked</span>" in blocked_row and "to come" in blocked_row and "Checked" not in blocked_row
    assert "1 given · 1 to come" in page
    listed = text(client.get("/sessions?when=all"))
    assert ">Blocked</span>" in listed and ">Given</span>" in listed


def test_a_long_history_is_paged_newest_first(client, login_as, clinic, make_patient):
    user = login_as("practitioner")
    patient = make_patient("Ana Silva")
    for days in range(12):
        plan_session(patient, clinic["plain"], TODAY + timedelta(days=days), practitioner=user, actor=user)
    db.session.commit()
    first = text(client.get(f"/patients/{patient.id}"))
    assert first.count('class="list-group-item patient-session"') == 10 and "1–10 of 12" in first
    assert (TODAY + timedelta(days=11)).isoformat() in first and TODAY.isoformat() not in first.split("Sessions")[-1]
    second = text(client.get(f"/patients/{patient.id}?sessions=2"))
    assert second.count('class="list-group-item patient-session"') == 2 and "11–12 of 12" in second


def _recalled(clinic, make_patient, user):
    lucia = make_patient("Lucía Fernández", reference="P-1025", phone="+44 7700 900125", email="lucia@example.org",
                         contact_ok=True)
    quiet = make_patient("Bea Quiet", phone="", email="", contact_ok=False)
    for patient in (lucia, quiet):
        administer(plan_session(patient, clinic["plain"], TODAY, practitioner=user, actor=user), actor=user, today=TODAY)
    set_status(clinic["early"], LotStatus.RECALLED, actor=user, reason="Manufacturer notice MR-1")
    db.session.commit()
    return lucia, quiet


def test_the_page_of_a_recalled_lot_lists_its_patients_with_their_contacts(client, login_as, clinic, make_patient):
    manager = login_as("manager")
    lot = clinic["early"]
    assert "Patients who received this lot" not in text(client.get(f"/stock/lots/{lot.id}"))
    lucia, quiet = _recalled(clinic, make_patient, manager)
    page = text(client.get(f"/stock/lots/{lot.id}"))
    assert "Patients who received this lot" in page
    assert f'href="/patients/{lucia.id}">Lucía Fernández</a>' in page and 'href="tel:+447700900125"' in page
    assert "lucia@example.org" in page and "no phone" in page and "no contact permission on file" in page


def test_the_recall_list_carries_contacts_and_a_letter_per_patient(client, login_as, clinic, make_patient, app):
    manager = login_as("manager")
    lucia, quiet = _recalled(clinic, make_patient, manager)
    lot = clinic["early"]
    page = text(client.get(f"/sessions/recall/{lot.id}"))
    assert "Patients to contact" in page and 'href="tel:+447700900125"' in page
    assert f"/sessions/recall/{lot.id}/letters?patient={lucia.id}" in page

    letter = text(client.get(f"/sessions/recall/{lot.id}/letters?patient={lucia.id}"))
    assert "Dear Lucía Fernández," in letter and "lot HA-EARLY" in letter and "Bea Quiet" not in letter
    assert f"received\nthis lot during your treatment on {TODAY.isoformat()}" in letter
    assert app.config["CLINIC_NAME"] in letter
    both = text(client.get(f"/sessions/recall/{lot.id}/letters"))
    assert "Dear Lucía Fernández," in both and "Dear Bea Quiet," in both

    book = load_workbook(io.BytesIO(client.get(f"/sessions/recall/{lot.id}.xlsx").data))
    rows = list(book["Recipients"].iter_rows(values_only=True))
    assert rows[0][8:] == ("Phone", "E-mail", "May contact")
    assert ("+44 7700 900125", "lucia@example.org", "yes") in [row[8:] for row in rows[1:]]
    letters = {row[0]: row for row in book["Letters"].iter_rows(min_row=2, values_only=True)}
    assert letters["Lucía Fernández"][4].startswith("Dear Lucía Fernández,")
    assert letters["Bea Quiet"][3] == "no"


def test_the_clinic_edits_the_letter_and_an_unknown_placeholder_is_refused(client, login_as, clinic, make_patient):
    manager = login_as("manager")
    lucia, _quiet = _recalled(clinic, make_patient, manager)
    lot = clinic["early"]
    refused = post_form(client, f"/sessions/recall-letter?lot={lot.id}", {"body": "Hello {name}, lot {lot}."})
    assert refused.status_code == 422 and "Unknown placeholder {name}: use {patient}" in text(refused)
    assert recall_letter.letter_row() is None
    saved = post_form(client, f"/sessions/recall-letter?lot={lot.id}",
                      {"body": "Hello {patient}: {product} lot {lot} ({expiry}) is recalled. {clinic}"})
    assert "Recall letter saved" in text(saved)
    letter = text(client.get(f"/sessions/recall/{lot.id}/letters?patient={lucia.id}"))
    assert f"Hello Lucía Fernández: HA 1% 2 mL lot HA-EARLY ({lot.expiry.isoformat()}) is recalled." in letter


def test_only_stock_editors_change_the_letter(client, login_as):
    login_as("practitioner")
    assert client.get("/sessions/recall-letter").status_code == 403
