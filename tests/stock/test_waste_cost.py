"""The 90-day waste on the dashboard and the product page ties out to the ledger, old days kept or not."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from formulary.db import utcnow
from formulary.extensions import db
from formulary.stock import opened_dashboard
from formulary.stock.ledger import waste
from formulary.stock.models import Lot, StockMovement
from formulary.stock.opened import discard
from formulary.stock.opened_dashboard import waste_cost
from formulary.stock.opened_models import OpenedUnit
from formulary.treatments.sessions import administer, plan_session
from formulary.vocabulary import MovementKind

TODAY = date.today()


@pytest.fixture(autouse=True)
def _nothing_kept(monkeypatch):
    # The sums of past days are kept per process; other tests' rolled-back rows must not be among them.
    monkeypatch.setattr(opened_dashboard, "_PAST", {})


@pytest.fixture
def clinic(make_product, make_lot, make_cocktail, make_user):
    user = make_user("practitioner")
    single = make_product("Ampoule 2 mL", unit_size="2", single_use=True)
    vial = make_product("Vial 5 mL", unit_size="5", single_use=False, opened_shelf_life_days=28)
    ampoules = make_lot(single, lot_number="AMP", quantity="40", unit_cost="3", expiry=TODAY + timedelta(days=300))
    vials = make_lot(vial, lot_number="VIAL", quantity="40", unit_cost="2.5", expiry=TODAY + timedelta(days=300))
    return {"user": user, "ampoule": make_cocktail("Ampoule 1.5", [(single, "1.5")]),
            "vial": make_cocktail("Vial 2", [(vial, "2")]), "ampoules": ampoules, "vials": vials}


def give(clinic, make_patient, cocktail):
    """A session given today: a single-use ampoule leaves a 0.5 mL remainder, a vial leaves an opened unit."""
    session = plan_session(make_patient(), clinic[cocktail], TODAY, practitioner=clinic["user"], actor=clinic["user"])
    administer(session, actor=clinic["user"], today=TODAY)
    db.session.flush()
    return session


def stamp_rests(session, at: datetime):
    db.session.execute(update(StockMovement).where(StockMovement.session_id == session.id,
                                                   StockMovement.kind == MovementKind.WASTE).values(at=at))


def ledger_waste(since: date):
    """What the ledger says, summed plainly: rests a session wasted, and opened units discarded, since the day."""
    start = datetime.combine(since, datetime.min.time(), tzinfo=UTC)
    rests = [(-m.quantity, -m.quantity * m.lot.unit_cost) for m in db.session.scalars(db.select(StockMovement))
             if m.kind == MovementKind.WASTE and m.session_id is not None and m.at >= start]
    lapses = [(u.discarded_content, u.discarded_content * db.session.get(Lot, u.lot_id).unit_cost)
              for u in db.session.scalars(db.select(OpenedUnit)) if u.discarded_at and u.discarded_at >= start]
    total = [sum((row[i] for row in rows), Decimal(0)) for rows in (lapses, rests) for i in (0, 1)]
    return total[0], total[1].quantize(Decimal("0.01")), total[2], total[3].quantize(Decimal("0.01"))


def figures(cost):
    return cost.lapsed_quantity, cost.lapsed_value, cost.remainder_quantity, cost.remainder_value


def test_the_90_day_waste_ties_out_to_the_ledger_before_and_after_new_waste(clinic, make_patient):
    now = utcnow()
    for days_ago in (95, 89, 40, 2, 0):  # the first is outside the 90 days, the last today
        stamp_rests(give(clinic, make_patient, "ampoule"), now - timedelta(days=days_ago))
    for days_ago in (120, 30, 0):
        give(clinic, make_patient, "vial")
        unit = db.session.scalars(db.select(OpenedUnit).where(OpenedUnit.content_left > 0)).one()
        discard(unit, actor=clinic["user"], reason="broken")
        db.session.execute(update(OpenedUnit).where(OpenedUnit.id == unit.id)
                           .values(discarded_at=now - timedelta(days=days_ago)))
    waste(clinic["ampoules"], "1", actor=clinic["user"], reason="dropped")  # no session: not a remainder
    db.session.flush()
    expected = ledger_waste(TODAY - timedelta(days=90))
    assert figures(waste_cost(TODAY)) == expected
    assert expected == (Decimal(6), Decimal("15.00"), Decimal("2.0"), Decimal("6.00"))  # 2 vials of 3 mL, 4 rests
    # The old days are kept now; what is recorded afterwards still counts at once.
    stamp_rests(give(clinic, make_patient, "ampoule"), now - timedelta(hours=1))
    after = figures(waste_cost(TODAY))
    assert after == ledger_waste(TODAY - timedelta(days=90)) and after[2] == Decimal("2.5")


def test_what_came_since_yesterday_is_read_live_and_the_product_page_sums_its_own(clinic, make_patient):
    now = utcnow()
    cut = datetime.combine(now.date() - timedelta(days=1), datetime.min.time(), tzinfo=UTC)  # yesterday, 0:00 UTC
    stamp_rests(give(clinic, make_patient, "ampoule"), cut - timedelta(hours=1))  # in the days kept
    assert figures(waste_cost(TODAY, now=now))[2] == Decimal("0.5")
    stamp_rests(give(clinic, make_patient, "ampoule"), cut + timedelta(hours=1))  # after them: read live
    assert figures(waste_cost(TODAY, now=now))[2] == Decimal("1.0")
    assert figures(waste_cost(TODAY, product_id=clinic["vials"].product_id, now=now)) == (0, 0, 0, 0)
    assert figures(waste_cost(TODAY, product_id=clinic["ampoules"].product_id, now=now))[3] == Decimal("3.00")
