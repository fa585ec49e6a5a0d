"""A small clinic with a dated ledger: receipts, sessions that drew stock, waste before and after expiry."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from formulary.extensions import db
from formulary.stock.ledger import move, waste
from formulary.stock.models import StockMovement
from formulary.treatments.models import TreatmentSession
from formulary.vocabulary import MovementKind, SessionStatus


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def dated(movement: StockMovement, when: datetime) -> StockMovement:
    """The movement as if it had been made at `when` (the ledger writer stamps the present)."""
    movement.at = when
    db.session.flush()
    return movement


@dataclass
class Clinic:
    ha: object
    vit: object
    glow: object
    bright: object
    practitioner: object
    sessions: list


@pytest.fixture
def clinic(make_product, make_lot, make_cocktail, make_patient, make_user):
    """Two products (one lot without a cost), two cocktails with goals, sessions in Jan–Mar 2026, waste of
    both kinds; quantities with three decimals and costs with four so that rounding would show."""
    ha = make_product("HA 1% 2 mL", unit_size="2", reorder_level="100")
    vit = make_product("Vitamin C 10% 2 mL", composition=(("ascorbic acid", "active"),), category="vitamin")
    ha1 = make_lot(ha, lot_number="HA-1", quantity="100", expiry=date(2026, 2, 15), received_on=date(2025, 12, 1),
                   unit_cost="1.2345")
    ha2 = make_lot(ha, lot_number="HA-2", quantity="80", expiry=date(2027, 6, 30), received_on=date(2026, 1, 5),
                   unit_cost="1.3333")
    vit1 = make_lot(vit, lot_number="VC-1", quantity="50.5", expiry=date(2026, 3, 1), received_on=date(2025, 12, 1),
                    unit_cost="0.9999")
    free = make_lot(vit, lot_number="VC-FREE", quantity="10", expiry=date(2027, 1, 1), received_on=date(2025, 12, 1))
    for lot in (ha1, ha2, vit1, free):
        dated(lot.movements[0], at(lot.received_on, 8))
    glow = make_cocktail("Hydra glow", [(ha, "2")], goals=("hydration",))
    bright = make_cocktail("Bright", [(ha, "1"), (vit, "2")], goals=("hydration", "brightening"))
    practitioner = make_user("practitioner", username="dr.lima")
    patient = make_patient("Ana Silva")
    sessions = []

    def session(cocktail, day, draws):
        row = TreatmentSession(patient_id=patient.id, cocktail_version_id=cocktail.current.id, scheduled_for=day,
                               practitioner_id=practitioner.id, status=SessionStatus.ADMINISTERED,
                               administered_at=at(day, 11))
        db.session.add(row)
        db.session.flush()
        for lot, given, wasted in draws:
            dated(move(lot, MovementKind.ADMINISTER, -Decimal(given), actor=None, session_id=row.id), at(day, 11))
            if wasted:
                dated(move(lot, MovementKind.WASTE, -Decimal(wasted), actor=None, reason="opened vial remainder",
                           session_id=row.id), at(day, 11))
        sessions.append(row)

    session(glow, date(2026, 1, 7), [(ha1, "2", "0.125")])
    session(glow, date(2026, 1, 20), [(ha1, "2", "0")])
    session(bright, date(2026, 1, 26), [(ha1, "1", "0.5"), (vit1, "2", "0")])
    session(bright, date(2026, 2, 3), [(ha1, "1", "0"), (vit1, "1.875", "0.125"), (free, "0.001", "0")])
    session(glow, date(2026, 3, 2), [(ha2, "2.333", "0")])
    # waste before expiry (a dropped vial), and expired stock discarded after its day
    dated(waste(vit1, Decimal("2.5"), actor=None, reason="Dropped vial"), at(date(2026, 2, 10), 15))
    dated(waste(ha1, Decimal("30"), actor=None, reason="expired: discarded"), at(date(2026, 2, 16), 17))
    dated(waste(vit1, Decimal("4.4"), actor=None, reason="expired"), at(date(2026, 3, 2), 9))
    # outside the range the tests ask for: before and after
    dated(waste(ha2, Decimal("1"), actor=None, reason="dropped vial"), at(date(2025, 12, 31), 23))
    dated(move(ha2, MovementKind.ADMINISTER, Decimal("-1"), actor=None), at(date(2026, 4, 1), 0))
    db.session.commit()
    return Clinic(ha, vit, glow, bright, practitioner, sessions)
