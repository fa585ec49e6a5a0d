"""Administering from scanned or picked lots: each must be of the cocktail, in date and available."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from formulary.audit.models import AuditEvent
from formulary.extensions import db
from formulary.stock.models import Lot, StockMovement
from formulary.treatments.models import TreatmentSession
from formulary.treatments.sessions import plan_session
from tests.api.test_clinic_day import a_zone_on_another_day
from tests.conftest import post_form
from tests.treatments.conftest import TODAY

HA_GTIN, OTHER_GTIN = "09506000134352", "09501101020917"


def scan(gtin, lot, expiry):
    return f"(01){gtin}(17){expiry:%y%m%d}(10){lot}"


@pytest.fixture
def session(clinic, make_patient, make_user, make_product, make_lot):
    clinic["ha"].gtin = HA_GTIN
    clinic["old"] = make_lot(clinic["ha"], lot_number="HA-OLD", quantity="4", expiry=TODAY - timedelta(days=3),
                             received_on=TODAY - timedelta(days=200))
    clinic["bad"] = make_lot(clinic["ha"], lot_number="HA-BAD", quantity="4", expiry=TODAY + timedelta(days=90),
                             status="recalled")
    other = make_product("Vitamin C 10% 2 mL", gtin=OTHER_GTIN)
    clinic["other"] = make_lot(other, lot_number="VC-9", expiry=TODAY + timedelta(days=90))
    user = make_user("practitioner")
    planned = plan_session(make_patient("Sam Scan"), clinic["cocktail"], TODAY, practitioner=user, actor=user)
    db.session.commit()
    return planned


def movements():
    return db.session.scalar(select(func.count()).select_from(StockMovement))


@pytest.mark.parametrize(("lot", "message"), [
    ("old", "Lot HA-OLD of HA 1% 2 mL is expired: it cannot be used."),
    ("bad", "Lot HA-BAD of HA 1% 2 mL is recalled: it cannot be used."),
    ("other", "Lot VC-9 is Vitamin C 10% 2 mL, which is not in this cocktail."),
])
def test_a_scanned_lot_that_cannot_be_used_is_refused_by_name(client, login_as, clinic, session, lot, message):
    login_as("practitioner")
    chosen = clinic[lot]
    gtin = OTHER_GTIN if lot == "other" else HA_GTIN
    before = movements()
    response = post_form(client, f"/sessions/{session.id}/administer",
                         {"administer-scans": scan(gtin, chosen.lot_number, chosen.expiry)})
    assert response.status_code == 409 and message in response.get_data(as_text=True)
    assert movements() == before and db.session.get(TreatmentSession, session.id).status == "planned"


@pytest.mark.parametrize(("text", "message"), [
    ("(01)09506000134359(10)X", "Scan &#39;(01)09506000134359(10)X&#39; has GTIN 09506000134359, "
                                "which fails its check digit (expected 2)."),
    ("hello\n(01)04012345000009(10)X", "Line 1: Scan &#39;hello&#39;"),
    ("(01)04012345000009(10)X", "no product in the catalogue has GTIN 04012345000009"),
    (f"(01){HA_GTIN}(10)NOPE", "HA 1% 2 mL has no lot NOPE in stock"),
    (f"(01){HA_GTIN}", "carries no lot number"),
])
def test_an_unreadable_or_unknown_scan_is_named(client, login_as, session, text, message):
    login_as("practitioner")
    response = post_form(client, f"/sessions/{session.id}/administer", {"administer-scans": text})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    assert db.session.get(TreatmentSession, session.id).status == "planned"


def test_a_scan_whose_expiry_disagrees_with_the_lot_is_refused(client, login_as, clinic, session):
    login_as("practitioner")
    wrong = clinic["late"].expiry + timedelta(days=31)
    response = post_form(client, f"/sessions/{session.id}/administer",
                         {"administer-scans": scan(HA_GTIN, "HA-LATE", wrong)})
    assert response.status_code == 422
    assert f"was received as expiring {clinic['late'].expiry:%Y-%m-%d}, but the vial says {wrong:%Y-%m-%d}" \
        in response.get_data(as_text=True)


def test_a_good_scan_draws_that_lot_and_fefo_the_rest(client, login_as, clinic, session):
    login_as("practitioner")
    page = post_form(client, f"/sessions/{session.id}/administer", {
        "administer-scans": scan(HA_GTIN, "HA-LATE", clinic["late"].expiry) + "\n",
    }).get_data(as_text=True)
    assert "Administered. Drawn: 2 mL of HA 1% 2 mL (lot HA-LATE), 2 mL of Vitamin Complex B 2 mL (lot VB-1)." in page
    db.session.expire_all()
    assert db.session.get(Lot, clinic["late"].id).on_hand == Decimal(8)
    assert db.session.get(Lot, clinic["early"].id).on_hand == Decimal(4)  # FEFO would have taken this one


def test_a_lot_picked_from_the_list_is_drawn(client, login_as, clinic, session):
    login_as("practitioner")
    form = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert "HA 1% 2 mL — lot HA-LATE" in form and "HA-OLD" not in form and "HA-BAD" not in form
    post_form(client, f"/sessions/{session.id}/administer", {"administer-lots": [str(clinic["late"].id)]})
    db.session.expire_all()
    assert db.session.get(Lot, clinic["late"].id).on_hand == Decimal(8)


def test_viewing_a_checked_session_is_an_audited_view_of_allergies(client, login_as, session):
    login_as("practitioner")
    post_form(client, f"/sessions/{session.id}/check", {})
    views = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "allergy.view", AuditEvent.detail == f"session #{session.id}"))
    assert views == 1


def test_the_lots_offered_are_judged_on_the_clinics_day(app, client, login_as, clinic, session, monkeypatch,
                                                        make_lot):
    # The server's calendar and the clinic's differ around midnight; administering judges by the clinic's, so the
    # list it offers must too (a lot offered and then refused as expired, or left out while still in date).
    name, clinic_day, server_day = a_zone_on_another_day()
    monkeypatch.setitem(app.config, "TIMEZONE", name)
    make_lot(clinic["ha"], lot_number="HA-EDGE", quantity="4", expiry=min(clinic_day, server_day))
    db.session.commit()
    login_as("practitioner")
    form = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    offered = "lot HA-EDGE" in form
    assert offered is (clinic_day < server_day), f"clinic day {clinic_day}, server day {server_day}"
