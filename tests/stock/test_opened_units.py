"""Opened vials in the database: opened by the first draw, shared, lapsed, discarded; the ledger ties out."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from formulary.extensions import db
from formulary.reports import builders
from formulary.reports.periods import parse_range
from formulary.safety.exposure import component_facts
from formulary.stock.errors import InsufficientStock
from formulary.stock.ledger import waste
from formulary.stock.opened import discard, opened_units
from formulary.stock.opened_dashboard import lapsed_reason
from formulary.stock.opened_models import OpenedUnit
from formulary.stock.opened_view import lot_contents
from formulary.treatments.checks import record_check
from formulary.treatments.sessions import SessionError, administer, plan_session

TODAY = date.today()


@pytest.fixture
def vials(make_product, make_lot, make_cocktail, make_user):
    """A multi-dose 5 mL vial product (opened shelf life 28 days), one lot of 3 vials, a 2 mL cocktail."""
    product = make_product("Vitamin C 5 mL multi-dose", unit_size="5", single_use=False,
                           opened_shelf_life_days=28, category="vitamin")
    lot = make_lot(product, lot_number="VC-1", quantity="15", expiry=TODAY + timedelta(days=300))
    cocktail = make_cocktail("Glow", [(product, "2")])
    return {"product": product, "lot": lot, "cocktail": cocktail, "user": make_user("practitioner")}


def given(vials, patient, on=TODAY):
    session = plan_session(patient, vials["cocktail"], on, practitioner=vials["user"], actor=vials["user"])
    administer(session, actor=vials["user"], today=on)
    db.session.flush()
    return session


def units(lot):
    return list(db.session.scalars(db.select(OpenedUnit).where(OpenedUnit.lot_id == lot.id).order_by(OpenedUnit.id)))


def test_the_first_draw_opens_a_vial_and_the_next_session_draws_from_it(vials, make_patient):
    first = given(vials, make_patient("Ana"))
    (unit,) = units(vials["lot"])
    assert (unit.content_left, unit.session_id, unit.opened_by_id) == (Decimal("3"), first.id, vials["user"].id)
    assert unit.use_by == TODAY + timedelta(days=28)
    given(vials, make_patient("Bea"))
    assert [u.content_left for u in units(vials["lot"])] == [Decimal("1")]
    contents = lot_contents(vials["lot"], TODAY)
    assert (contents.sealed_units, contents.opened_content, vials["lot"].on_hand) == (2, Decimal("1"), Decimal("11"))
    assert contents.ties_out


def test_on_hand_ties_out_after_every_draw(vials, make_patient):
    for n in range(6):  # 12 mL over 3 vials: opens, shares, empties and opens again
        given(vials, make_patient(f"Patient {n}"))
        contents = lot_contents(vials["lot"], TODAY)
        assert contents.ties_out, (n, contents)
        assert vials["lot"].opened_content == contents.opened_content


def test_a_session_five_weeks_later_opens_a_new_vial_and_the_old_one_waits_to_be_discarded(vials, make_patient):
    given(vials, make_patient("Ana"))
    later = TODAY + timedelta(days=35)
    given(vials, make_patient("Bea"), on=later)
    old, new = units(vials["lot"])
    assert old.content_left == Decimal("3") and new.content_left == Decimal("3")
    lapsed = opened_units(later, lapsed=True)
    assert [row.id for row in lapsed] == [old.id]
    discard(old, actor=vials["user"], reason="opened more than 28 days ago")
    assert old.content_left == 0 and old.discard_reason == "opened more than 28 days ago"
    assert vials["lot"].movements[-1].kind == "waste" and vials["lot"].movements[-1].quantity == Decimal("-3")
    assert lot_contents(vials["lot"], later).ties_out


def test_only_a_lapsed_vial_left_is_an_opened_lapsed_block_and_nothing_is_drawn(vials, make_patient):
    given(vials, make_patient("Ana"))
    waste(vials["lot"], "10", actor=None, reason="two vials broken")  # only sealed stock can be wasted so
    later = TODAY + timedelta(days=35)
    patient = make_patient("Bea")
    result, _row = record_check(patient.id, vials["cocktail"].current.id, later, actor=None)
    kinds = [(f.kind, f.severity) for f in result.findings]
    assert ("opened-lapsed", "block") in kinds and ("stock", "block") not in kinds
    assert "past their use-by" in result.findings[0].message
    session = plan_session(patient, vials["cocktail"], later, practitioner=vials["user"], actor=vials["user"])
    with pytest.raises(SessionError):
        administer(session, actor=vials["user"], today=later, override_reason="An override cannot make it usable.")


def test_opening_a_vial_never_takes_what_opened_vials_hold(vials, make_patient):
    from formulary.stock.fefo import Draw
    from formulary.stock.opened import take

    given(vials, make_patient("Ana"))  # 13 on hand, 3 of it in the opened vial: 10 sealed
    rule = vials["lot"].product
    from formulary.stock.draws import draw_rule

    stale = Draw(vials["lot"].id, "VC-1", Decimal("12"), Decimal(0), opened_left=Decimal("3"))  # a plan read earlier
    with pytest.raises(InsufficientStock, match="only 10 mL available"):
        take(vials["lot"], stale, draw_rule(rule, TODAY), kind="administer", actor=None, reason="test")


def test_a_scanned_lot_holding_only_a_lapsed_vial_is_refused_and_named(vials, make_patient, make_lot):
    given(vials, make_patient("Ana"))
    waste(vials["lot"], "10", actor=None, reason="two vials broken")
    make_lot(vials["product"], lot_number="VC-2", quantity="5")  # the check passes on this one
    later = TODAY + timedelta(days=35)
    session = plan_session(make_patient("Bea"), vials["cocktail"], later, practitioner=vials["user"],
                           actor=vials["user"])
    with pytest.raises(SessionError, match="Lot VC-1 of Vitamin C 5 mL multi-dose: its opened vial is past its use-by"):
        administer(session, actor=vials["user"], today=later, scanned_lot_ids=[vials["lot"].id])


def test_a_scanned_quarantined_lot_is_refused_and_named(vials, make_patient, make_lot):
    from formulary.stock.ledger import set_status

    make_lot(vials["product"], lot_number="VC-2", quantity="5")  # the check passes on this one
    set_status(vials["lot"], "quarantined", actor=None, reason="checking a complaint")
    session = plan_session(make_patient("Bea"), vials["cocktail"], TODAY, practitioner=vials["user"],
                           actor=vials["user"])
    with pytest.raises(SessionError, match="Lot VC-1 of Vitamin C 5 mL multi-dose is quarantined"):
        administer(session, actor=vials["user"], today=TODAY, scanned_lot_ids=[vials["lot"].id])


def test_the_check_plans_from_the_opened_vial(vials, make_patient):
    given(vials, make_patient("Ana"))
    (fact,) = component_facts(vials["cocktail"].current.id, TODAY)
    assert fact.plan.covered and fact.plan.draws[0].unit_id == units(vials["lot"])[0].id


def test_the_waste_report_sums_discarded_vials_by_what_was_said_not_vial_by_vial(vials, make_patient):
    # Each discard's note names its vial and dates ("opened vial #12: lapsed: opened …"): summed as written, the
    # waste report would list every vial as a reason of its own.
    for days_ago, name in ((70, "Ana"), (35, "Bea"), (0, "Cai")):
        given(vials, make_patient(name), on=TODAY - timedelta(days=days_ago))
    *_, newest = units(vials["lot"])
    lapsed = opened_units(TODAY, lapsed=True)
    assert len(lapsed) == 2
    for row in lapsed:  # as the dashboard's one-click discard does
        discard(db.session.get(OpenedUnit, row.id), actor=vials["user"], reason=lapsed_reason(row))
    discard(newest, actor=vials["user"], reason="  Contaminated ")
    db.session.commit()
    today = parse_range(TODAY, TODAY, "month", TODAY)
    by_reason = {row["reason"]: (row["movements"], row["value"]) for row in builders.waste(today).tables[0].rows}
    assert by_reason == {"opened vial past its use-by": (2, 0), "opened vial: contaminated": (1, 0)}
