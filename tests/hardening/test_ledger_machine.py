"""A stateful property test: no sequence of stock operations, on any days, breaks the ledger's promises.

Hypothesis drives receipts, administrations (a one-product cocktail planned and given), waste, stocktake
adjustments, quarantine and release, recalls, workbook imports (deliveries and stocktakes) and days
passing, in any order. After every step, for every lot: on hand ≥ 0, on hand = the sum of its ledger
and = what a simple model of the rules expects; the outflow sums equal those rebuilt from the ledger; and
no administration ever drew from a lot that was expired (with the product's margin), quarantined or
recalled at that moment, or skipped an earlier expiring usable lot (FEFO).

Each step runs in a savepoint of its own, committed or rolled back as a request would be; each
example in one more, rolled back at its end; the test in the suite's rolled-back transaction.
"""

import itertools
import os
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from formulary.extensions import db
from formulary.spreadsheets.importer import AlreadyImported, apply_import, prepare_import
from formulary.stock import ledger
from formulary.stock.errors import InsufficientStock, InvalidStockInput
from formulary.stock.fefo import last_day_of_use
from formulary.stock.models import Lot, StockMovement
from formulary.stock.opened import opened_units
from formulary.treatments.models import SessionDraw
from formulary.treatments.sessions import SessionError, administer, plan_session
from tests.outflow_sums import mismatches as outflow_mismatches

ORIGIN = date(2026, 3, 2)
MARGIN = 7  # days before expiry a lot stops being usable
EXAMPLES, STEPS = 30, 30
# Shrinking a failure of a long stateful run can take minutes: CI reports the failing steps as found.
PHASES = tuple(Phase) if os.environ.get("FORMULARY_SHRINK") else (Phase.explicit, Phase.reuse, Phase.generate)
quantities = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(20), places=1)
counts = st.decimals(min_value=Decimal(0), max_value=Decimal(20), places=1)


@dataclass
class LotModel:
    """What the rules say a lot holds."""

    lot_id: int
    number: str
    expiry: date
    received_on: date
    on_hand: Decimal
    status: str = "available"

    def usable(self, on: date) -> bool:
        return self.status == "available" and on <= last_day_of_use(self.expiry, MARGIN) and self.on_hand > 0


def csv(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(row) for row in rows).encode()


def test_no_sequence_of_stock_operations_breaks_the_ledger(make_user, make_product, make_cocktail,
                                                            make_patient, figures):
    actor = make_user("manager")
    names = (f"Serum {n}" for n in itertools.count(1))
    tally: Counter = Counter()

    class StockMachine(RuleBasedStateMachine):
        lots = Bundle("lots")

        def __init__(self):
            super().__init__()
            self.example = db.session.begin_nested()
            self.today = ORIGIN
            self.numbers = (f"L{n}" for n in itertools.count(1))
            self.model: dict[int, LotModel] = {}
            self.product_of: dict[int, object] = {}  # lot id → product
            # Single-use vials (whole units drawn, the rest wasted) and a product drawn by the mL.
            self.products = [
                make_product(next(names), single_use=True, unit_size="2", expiry_margin_days=MARGIN),
                make_product(next(names), single_use=False, unit_size="5", expiry_margin_days=MARGIN),
            ]
            self.cocktails = [make_cocktail(f"Cocktail {p.name}", [(p, "1.5")]) for p in self.products]
            self.patient = make_patient("Property Patient")
            tally["examples"] += 1

        def teardown(self):
            self.example.rollback()
            db.session.expire_all()

        def step(self, name: str, operation, refused=()):
            """One operation in a savepoint: kept if it succeeds, rolled back (and returned) if refused."""
            tally["steps"] += 1
            try:
                with db.session.begin_nested():
                    result = operation()
            except refused as error:
                tally[f"{name} refused"] += 1
                return error
            tally[name] += 1
            return result

        def lot(self, lot_id: int) -> Lot:
            return db.session.get(Lot, lot_id)

        # Receiving -----------------------------------------------------------------------------------

        def _received(self, lot_id: int, product) -> int:
            lot = self.lot(lot_id)
            self.model[lot_id] = LotModel(lot_id, lot.lot_number, lot.expiry, lot.received_on, lot.on_hand)
            self.product_of[lot_id] = product
            return lot_id

        @initialize(target=lots)
        def shelf(self):
            """Each product starts with a lot in date, so that administrations have something to draw."""
            return multiple(*(self._received(ledger.receive(
                product, lot_number=next(self.numbers), expiry=self.today + timedelta(days=180),
                quantity=Decimal(12), received_on=self.today, actor=actor).id, product)
                for product in self.products))

        @rule(target=lots, which=st.integers(0, 1), days=st.integers(0, 180), quantity=quantities)
        def receive(self, which, days, quantity):
            product = self.products[which]
            lot = self.step("receive", lambda: ledger.receive(
                product, lot_number=next(self.numbers), expiry=self.today + timedelta(days=days),
                quantity=quantity, received_on=self.today, actor=actor))
            return self._received(lot.id, product)

        @rule(lot_id=lots, quantity=quantities)
        def receive_more(self, lot_id, quantity):
            model = self.model[lot_id]
            refused = self.step("receive more", lambda: ledger.receive_more(
                self.lot(lot_id), quantity, actor=actor), (InvalidStockInput,))
            if model.status == "recalled":
                assert isinstance(refused, InvalidStockInput), "stock was added to a recalled lot"
            else:
                assert not isinstance(refused, Exception), refused
                model.on_hand += quantity

        # Taking out ----------------------------------------------------------------------------------

        @rule(lot_id=lots, quantity=quantities)
        def waste(self, lot_id, quantity):
            model = self.model[lot_id]
            refused = self.step("waste", lambda: ledger.waste(self.lot(lot_id), quantity, actor=actor,
                                                              reason="broken vial"), (InsufficientStock,))
            if quantity > model.on_hand:
                assert isinstance(refused, InsufficientStock), "more was wasted than the lot held"
            else:
                assert not isinstance(refused, Exception), refused
                model.on_hand -= quantity

        @rule(lot_id=lots, counted=counts)
        def adjust(self, lot_id, counted):
            self.step("adjust", lambda: ledger.adjust(self.lot(lot_id), counted, actor=actor,
                                                      reason="stocktake"))
            self.model[lot_id].on_hand = counted

        @rule(which=st.integers(0, 1))
        def administer(self, which):
            product, cocktail = self.products[which], self.cocktails[which]
            before = {i: LotModel(**vars(m)) for i, m in self.model.items()
                      if self.product_of[i].id == product.id}
            # FEFO takes a multi-dose product's opened vials first (by use-by), then sealed stock by expiry.
            opened: dict[int, date] = {}
            for row in opened_units(self.today, lapsed=False, product_id=product.id):
                opened[row.lot_id] = min(row.use_by, opened.get(row.lot_id, row.use_by))
            usable = sorted((m for m in before.values() if m.usable(self.today)),
                            key=lambda m: (0, opened[m.lot_id], m.expiry, m.received_on, m.lot_id)
                            if m.lot_id in opened else (1, m.expiry, m.expiry, m.received_on, m.lot_id))
            needed = Decimal("1.5")

            def plan_and_administer():
                session = plan_session(self.patient, cocktail, self.today, practitioner=actor, actor=actor)
                administer(session, actor=actor, today=self.today)
                return db.session.scalars(
                    select(SessionDraw).where(SessionDraw.session_id == session.id)).all()

            draws = self.step("administer", plan_and_administer, (InsufficientStock, SessionError))
            if sum(m.on_hand for m in usable) < needed:
                assert isinstance(draws, InsufficientStock | SessionError), "drawn though usable stock short"
                return
            assert not isinstance(draws, Exception), draws
            assert sum(d.administered for d in draws) == needed
            drawn = [d.lot_id for d in draws]
            for draw in draws:
                lot = before[draw.lot_id]
                # The heart of it: nothing expired, quarantined or recalled ever reaches a patient.
                assert lot.usable(self.today), f"{lot.number} drawn while {lot.status}, expiring {lot.expiry}"
                assert draw.administered + draw.wasted <= lot.on_hand
                self.model[draw.lot_id].on_hand -= draw.administered + draw.wasted
            assert drawn == [m.lot_id for m in usable[: len(drawn)]], "not first expired, first out"
            if not opened:  # an opened vial emptied leaves its lot's sealed stock for its turn by expiry
                assert all(self.model[i].on_hand == 0 for i in drawn[:-1]), "a lot was left before the next one"

        # Status --------------------------------------------------------------------------------------

        def _set_status(self, lot_id: int, status: str) -> None:
            model = self.model[lot_id]
            refused = self.step(f"status {status}", lambda: ledger.set_status(
                self.lot(lot_id), status, actor=actor, reason="supplier notice"), (InvalidStockInput,))
            if model.status == "recalled" and status != "recalled":
                assert isinstance(refused, InvalidStockInput), "a recall was undone"
            else:
                assert not isinstance(refused, Exception), refused
                model.status = status

        @rule(lot_id=lots)
        def quarantine(self, lot_id):
            self._set_status(lot_id, "quarantined")

        @rule(lot_id=lots)
        def release(self, lot_id):
            self._set_status(lot_id, "available")

        @rule(lot_id=lots)
        def recall(self, lot_id):
            self._set_status(lot_id, "recalled")

        # Imports -------------------------------------------------------------------------------------

        def _import(self, mode: str, rows: list[list[str]]):
            prepared = prepare_import(csv([["Product", "Lot", "Expiry", "Qty"], *rows]), f"{mode}.csv", mode,
                                      today=self.today, date_order="DMY", max_rows=100)
            if prepared.plan.errors:
                return prepared.plan.errors
            try:
                return apply_import(prepared, actor=actor)
            except AlreadyImported:
                tally["import again (forced)"] += 1
                return apply_import(prepared, actor=actor, force=True)

        @rule(target=lots, which=st.integers(0, 1), days=st.integers(0, 180), quantity=quantities)
        def import_new_lot(self, which, days, quantity):
            product, number = self.products[which], next(self.numbers)
            expiry = self.today + timedelta(days=days)
            result = self.step("import delivery (new lot)", lambda: self._import(
                "delivery", [[product.name, number, expiry.isoformat(), str(quantity)]]))
            assert not isinstance(result, list), result
            lot_id = db.session.scalar(
                select(Lot.id).where(Lot.product_id == product.id, Lot.lot_number == number))
            return self._received(lot_id, product)

        @rule(lot_id=lots, quantity=quantities)
        def import_more(self, lot_id, quantity):
            model, product = self.model[lot_id], self.product_of[lot_id]
            result = self.step("import delivery (more)", lambda: self._import(
                "delivery", [[product.name, model.number, model.expiry.isoformat(), str(quantity)]]))
            if model.status == "recalled":
                assert isinstance(result, list) and "recalled" in result[0].message
            else:
                assert not isinstance(result, list), result
                model.on_hand += quantity

        @rule(lot_id=lots, counted=counts)
        def import_stocktake(self, lot_id, counted):
            model, product = self.model[lot_id], self.product_of[lot_id]
            result = self.step("import stocktake", lambda: self._import(
                "stocktake", [[product.name, model.number, "", str(counted)]]))
            assert not isinstance(result, list), result
            model.on_hand = counted

        # Time ----------------------------------------------------------------------------------------

        @rule(days=st.integers(1, 10))
        def days_pass(self, days):
            tally["days passed"] += days
            self.today += timedelta(days=days)

        @invariant()
        def every_lot_keeps_its_promises(self):
            if not self.model:
                return
            ledger_sums = dict(db.session.execute(
                select(StockMovement.lot_id, func.sum(StockMovement.quantity))
                .where(StockMovement.lot_id.in_(list(self.model))).group_by(StockMovement.lot_id)).all())
            for lot_id, model in self.model.items():
                lot = self.lot(lot_id)
                db.session.refresh(lot)
                assert lot.on_hand >= 0
                assert lot.on_hand == Decimal(str(ledger_sums[lot_id])).quantize(Decimal("0.001"))
                assert (lot.on_hand, lot.status) == (model.on_hand, model.status), f"lot {model.number}"

        @invariant()
        def what_left_stock_is_summed_as_the_ledger_holds_it(self):
            # The sums kept at each commit (or read) equal the sums rebuilt from the whole ledger.
            assert outflow_mismatches() == {}

    run_state_machine_as_test(StockMachine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, database=None, phases=PHASES))
    operations = ", ".join(f"{count} {name}" for name, count in sorted(tally.items())
                           if name not in ("examples", "steps", "days passed"))
    figures(f"stateful ledger: {tally['examples']} examples, {tally['steps']} steps ({operations}), "
            f"{tally['days passed']} days passed; after every step on hand >= 0 and == ledger == model, "
            "no expired/quarantined/recalled lot drawn, FEFO kept: 0 failures")

