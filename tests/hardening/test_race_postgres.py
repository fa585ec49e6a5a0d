"""Many hands on the same last stock at the same instant, on PostgreSQL: exactly one gets it, every time.

Each thread is a practitioner (or manager) with a connection and a transaction of their own, released
together by a barrier; each commits what it did or rolls back what was refused, as a request would.
"""

import threading
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from formulary.extensions import db
from formulary.stock.errors import InsufficientStock
from formulary.stock.models import Lot, StockMovement
from tests.hardening.clinic import TODAY, ledger_mismatches, plan_sessions, seed_clinic, user
from tests.hardening.conftest import ON_POSTGRES
from tests.outflow_sums import mismatches as outflow_mismatches

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="needs PostgreSQL (set FORMULARY_TEST_DATABASE_URL; CI does): SQLite lets one writer in at a "
           "time, so threads never meet at the row lock; test_writers_sqlite.py covers SQLite",
)

ROUNDS = 50
SESSION_WORTH = Decimal(2)


def race(app, threads: int, load, act) -> Counter:
    """Run act(load(i)) in `threads` threads released together; each commits, or rolls back a refusal."""
    barrier = threading.Barrier(threads, timeout=30)
    outcomes: list[str] = ["did not finish"] * threads

    def worker(index: int) -> None:
        state = None
        with app.app_context():
            try:
                state = load(index)
                barrier.wait()
                act(state)
                db.session.commit()
                outcomes[index] = "success"
            except InsufficientStock:
                db.session.rollback()
                outcomes[index] = "shortage"
            except Exception as error:  # a stock block found by the check, or a real failure
                outcomes[index] = refusal(error, state)
                db.session.rollback()

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=60)
    return Counter(outcomes)


def refusal(error: Exception, state) -> str:
    """A check blocked only for want of stock is the shortage answer too; anything else is a failure."""
    from formulary.treatments.display import stored_findings
    from formulary.treatments.sessions import CheckBlocked

    session = state[0] if isinstance(state, tuple) else None
    if isinstance(error, CheckBlocked) and session is not None and session.checks:
        blocks = [f for f in stored_findings(session.checks[-1]) if f["severity"] == "block"]
        if blocks and all(f["kind"] == "stock" for f in blocks):
            return "shortage (check)"
    return f"error: {error!r}"


def lot_state(lot_id: int) -> tuple[Decimal, Decimal, Decimal]:
    """(on hand, ledger sum, lowest on-hand-after of its movements)."""
    on_hand = db.session.scalar(select(Lot.on_hand).where(Lot.id == lot_id))
    total, lowest = db.session.execute(
        select(func.sum(StockMovement.quantity), func.min(StockMovement.on_hand_after))
        .where(StockMovement.lot_id == lot_id)
    ).one()
    return on_hand, total, lowest


def first_preparation(session_id: int) -> int | None:
    from formulary.treatments.preparation_models import Preparation

    return db.session.scalar(select(func.min(Preparation.id)).where(Preparation.session_id == session_id))


def shelf(product_id: int) -> Decimal:
    """What the product's lots hold."""
    return db.session.scalar(select(func.sum(Lot.on_hand)).where(Lot.product_id == product_id))


def new_lot(product_id: int, number: str, quantity: Decimal) -> int:
    from formulary.catalogue.models import Product
    from formulary.stock.ledger import receive

    lot = receive(db.session.get(Product, product_id), lot_number=number, quantity=quantity,
                  expiry=TODAY + timedelta(days=365), received_on=TODAY, actor=None)
    db.session.commit()
    return lot.id


def run_rounds(app, threads: int, kind: str, clinic) -> Counter:
    """ROUNDS rounds: a fresh lot holding exactly one session's worth, `threads` hands reaching for it."""
    from formulary.stock.ledger import waste
    from formulary.treatments.models import TreatmentSession
    from formulary.treatments.sessions import administer

    totals: Counter = Counter()
    sessions: list[int] = []
    if kind == "administer":
        with app.app_context():
            sessions = plan_sessions(clinic.cocktail_id, clinic.patient_ids[:threads],
                                     clinic.practitioners[0])
    for number in range(ROUNDS):
        with app.app_context():
            lot_id = new_lot(clinic.product_ids[0], f"{kind[:2].upper()}{threads}-{number}", SESSION_WORTH)
        if kind == "administer":
            def load(i, sessions=tuple(sessions)):
                return db.session.get(TreatmentSession, sessions[i]), user(clinic.practitioners[i])

            def act(state):
                administer(state[0], actor=state[1], today=TODAY)
        else:
            def load(i, lot_id=lot_id):
                return db.session.get(Lot, lot_id), user(clinic.manager)

            def act(state):
                waste(state[0], SESSION_WORTH, actor=state[1], reason="broken vial")

        outcomes = race(app, threads, load, act)
        errors = [outcome for outcome in outcomes if outcome.startswith(("error", "did not"))]
        assert not errors, f"round {number}: {outcomes}"
        assert outcomes["success"] == 1, f"round {number}: {outcomes}"
        with app.app_context():
            assert lot_state(lot_id) == (0, 0, 0), f"round {number}: on hand, ledger, lowest"
            if kind == "administer":
                statuses = [db.session.get(TreatmentSession, i).status for i in sessions]
                assert sorted(statuses) == ["administered"] + ["planned"] * (threads - 1)
                # The refused sessions are still planned, as if nothing happened; the patient served
                # gets a new booking for the next round.
                served = statuses.index("administered")
                patient = clinic.patient_ids[served]
                sessions[served] = plan_sessions(clinic.cocktail_id, [patient], clinic.practitioners[0])[0]
        totals.update(outcomes)
    return totals


@pytest.mark.parametrize("kind", ["administer", "waste"])
def test_exactly_one_hand_gets_the_last_stock(real_app, figures, kind):
    with real_app.app_context():
        clinic = seed_clinic(components=(("HA 1% 2 mL", "2", None),), patients=20, practitioners=20)
    started = time.monotonic()
    for threads in (2, 20):
        totals = run_rounds(real_app, threads, kind, clinic)
        shortage = totals["shortage"] + totals["shortage (check)"]
        assert totals["success"] == ROUNDS and shortage == ROUNDS * (threads - 1)
        figures(f"concurrency ({kind}, PostgreSQL): {ROUNDS} rounds × {threads} threads, {totals['success']} "
                f"successes, {shortage} shortage answers ({totals['shortage']} at the row lock, "
                f"{totals['shortage (check)']} by the check), on hand never < 0, ledger == on hand")
    with real_app.app_context():
        assert ledger_mismatches() == []
        # What left stock, summed at each commit in key order: none lost, none doubled, and no deadlock above.
        assert outflow_mismatches() == {}
        lowest = db.session.scalar(select(func.min(StockMovement.on_hand_after)))
        assert lowest >= 0
    assert time.monotonic() - started < 60


def test_twenty_receipts_at_once_add_up_exactly(real_app, figures):
    from formulary.stock.ledger import receive_more

    with real_app.app_context():
        clinic = seed_clinic(components=(("HA 1% 2 mL", "2", "0.001"),), patients=1)
    lot_id = clinic.lot_ids[0]
    with real_app.app_context():
        start = lot_state(lot_id)[0]
    for number in range(ROUNDS):
        with real_app.app_context():
            before = lot_state(lot_id)[0]
        outcomes = race(real_app, 20, lambda _i: (db.session.get(Lot, lot_id), user(clinic.manager)),
                        lambda state: receive_more(state[0], Decimal("0.5"), actor=state[1]))
        assert outcomes == Counter(success=20), f"round {number}: {outcomes}"
        with real_app.app_context():
            on_hand, total, _lowest = lot_state(lot_id)
            assert on_hand - before == Decimal("10.0") and total == on_hand
    with real_app.app_context():
        end = lot_state(lot_id)[0]
    assert end == start + ROUNDS * Decimal("10.0")
    figures(f"concurrency (receive, PostgreSQL): {ROUNDS} rounds × 20 threads receiving 0.5 each, every "
            "round "
            f"exactly 10.0 higher ({start} → {end}), ledger == on hand")


@pytest.mark.parametrize("step", ["administer", "prepare"])
def test_one_session_given_from_two_tablets_at_once_draws_its_stock_once(real_app, step):
    """A double click, or two tablets at the chair: the session is given (or prepared) once, its stock drawn once."""
    from formulary.treatments.drawing import SessionError
    from formulary.treatments.models import TreatmentSession
    from formulary.treatments.preparation_models import Preparation
    from formulary.treatments.preparations import prepare
    from formulary.treatments.sessions import administer

    def give(session, actor):
        if step == "administer":
            administer(session, actor=actor, today=TODAY)
        else:
            prepare(session, actor=actor, today=TODAY, use_by_minutes=60)

    with real_app.app_context():
        clinic = seed_clinic(components=(("HA 1% 2 mL", "2", None),), patients=1, practitioners=5)
    for threads in (2, 5):
        with real_app.app_context():
            new_lot(clinic.product_ids[0], f"TWICE-{threads}", SESSION_WORTH * 10)
            [session_id] = plan_sessions(clinic.cocktail_id, clinic.patient_ids[:1], clinic.practitioners[0])
            before = shelf(clinic.product_ids[0])
        refused: list[str] = []

        def act(state, refused=refused):
            try:
                give(*state)
            except SessionError as error:
                refused.append(str(error))
                raise

        outcomes = race(real_app, threads,
                        lambda i, s=session_id: (db.session.get(TreatmentSession, s), user(clinic.practitioners[i])),
                        act)
        assert outcomes["success"] == 1, outcomes
        assert len(refused) == threads - 1
        with real_app.app_context():
            # The second hand is told what the first did: the session given, or its syringe waiting.
            assert set(refused) <= {"This session is already administered.",
                                    f"Preparation PREP-{first_preparation(session_id)} is still waiting: administer "
                                    "or waste it first."}, refused
            assert shelf(clinic.product_ids[0]) == before - SESSION_WORTH  # one session's worth left, not two
            assert ledger_mismatches() == []
            if step == "prepare":
                assert db.session.scalar(select(func.count()).where(Preparation.session_id == session_id)) == 1
