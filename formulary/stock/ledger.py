"""The ledger: every change of a lot's quantity or status is a movement, made here (one at a time) or in
stock/bulk.py (an import's many at once), and nowhere else. What leaves stock (administer, waste) is made only
here, and summed for the reports in the same transaction (stock/outflows.py)."""

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from formulary.audit.log import record
from formulary.catalogue.models import Product
from formulary.db import utcnow
from formulary.extensions import db
from formulary.stock import outflows
from formulary.stock.errors import DuplicateLot, InsufficientStock, InvalidStockInput
from formulary.stock.models import Lot, StockMovement
from formulary.stock.outflows import OUTFLOW_KINDS
from formulary.vocabulary import LotStatus, MovementKind

ZERO = Decimal(0)
# Quantities are stored as NUMERIC(14, 3): refuse what would not fit rather than round it.
MAX_QUANTITY = Decimal("1000000000")
STATUS_MOVEMENT = {
    LotStatus.QUARANTINED: MovementKind.QUARANTINE,
    LotStatus.AVAILABLE: MovementKind.RELEASE,
    LotStatus.RECALLED: MovementKind.RECALL,
}


def _number(value, field: str, noun: str, *, zero_allowed: bool) -> Decimal:
    """A finite number above zero (or zero too), from what was typed or sent; refused, naming the field, otherwise."""
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise InvalidStockInput(f"The {noun} must be a number (got {value!r}).", field) from None
    if number.is_finite() and (number >= 0 if zero_allowed else number > 0):
        return number
    if zero_allowed:
        raise InvalidStockInput(f"The {noun} cannot be negative (got {number}).", field)
    raise InvalidStockInput(f"The {noun} must be more than zero (got {number}).", field)


def _positive(quantity, field: str = "quantity") -> Decimal:
    return _storable(_number(quantity, field, "quantity", zero_allowed=False), field, "quantity")


def _storable(quantity: Decimal, field: str, label: str) -> Decimal:
    if quantity >= MAX_QUANTITY:
        raise InvalidStockInput(f"The {label} {quantity} is too large.", field)
    if quantity != quantity.quantize(Decimal("0.001")):
        raise InvalidStockInput(f"The {label} {quantity} has more than 3 decimals.", field)
    return quantity


def _reason(reason: str, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise InvalidStockInput("Give a reason: it stays in the lot's history.", "reason")
    return reason


def move(
    lot: Lot, kind: str, delta: Decimal, *, actor, reason: str = "", session_id: int | None = None,
    opened_delta: Decimal = ZERO,
) -> StockMovement:
    """Change on-hand by delta atomically and append the movement; refuse to go below zero.

    The conditional UPDATE is the concurrency guard: two draws racing for the last stock
    cannot both pass its WHERE clause, on PostgreSQL (row lock) as on SQLite (write lock).
    `opened_delta` changes what opened units hold in the same statement; a draw that opens vials
    must leave on-hand at or above it, so two practitioners opening the last sealed vial cannot
    both open it. A plain waste, return or count is guarded by zero alone, as before: it is the
    manager's record of the shelf (FEFO then sees no sealed stock beyond what opened vials hold).
    """
    # Rounded in SQL: SQLite keeps NUMERIC as a binary float, and 5.1 - 2 - 2 must leave
    # exactly 1.1 so that the last of a lot can be taken ("+ 0" turns SQLite's -0.0 into 0).
    after = func.round(Lot.on_hand + delta, 3) + 0
    opened_after = func.round(Lot.opened_content + opened_delta, 3) + 0
    guard = [Lot.id == lot.id, after >= 0, opened_after >= 0]
    if opened_delta > 0:  # opening vials: what is left must still hold every opened vial's content
        guard.append(after >= opened_after)
    statement = (
        update(Lot)
        .where(*guard)
        .values(on_hand=after, opened_content=opened_after)
        .returning(Lot.on_hand, Lot.opened_content)
        .execution_options(synchronize_session=False)
    )
    changed = db.session.execute(statement).one_or_none()
    if changed is None:
        on_hand, opened = db.session.execute(
            select(Lot.on_hand, Lot.opened_content).where(Lot.id == lot.id)).one()
        # A draw that opens vials could take only sealed stock; anything else, on-hand.
        available = on_hand - opened if opened_delta > 0 else on_hand
        raise InsufficientStock(lot.product.name, -delta, max(available, ZERO), lot.product.unit, lot.lot_number)
    on_hand, opened_content = changed
    set_committed_value(lot, "on_hand", on_hand)
    set_committed_value(lot, "opened_content", opened_content)
    movement = StockMovement(
        lot=lot, kind=kind, quantity=delta, on_hand_after=on_hand, reason=reason,
        user_id=actor.id if actor is not None else None, session_id=session_id,
    )
    db.session.add(movement)
    if kind in OUTFLOW_KINDS:  # what left stock is summed for the reports, in this transaction
        db.session.flush()
        outflows.note(db.session, movement.id)
    return movement


def receive(
    product: Product,
    *,
    lot_number: str,
    expiry: date,
    quantity,
    received_on: date,
    actor,
    supplier: str = "",
    unit_cost=None,
    reason: str = "",
) -> Lot:
    """Receive a new lot; a lot number the product already has is refused."""
    lot_number = (lot_number or "").strip()
    if not lot_number:
        raise InvalidStockInput("A lot number is required.", "lot_number")
    if len(lot_number) > 40:
        raise InvalidStockInput(f"Lot number {lot_number[:40]}… is longer than 40 characters.", "lot_number")
    quantity = _positive(quantity)
    if product.retired:
        raise InvalidStockInput(f"{product.name} is retired; stock cannot be received for it.", "product")
    if expiry < received_on:
        raise InvalidStockInput(
            f"Expiry {expiry:%Y-%m-%d} is before the receipt date {received_on:%Y-%m-%d}.", "expiry"
        )
    unit_cost = None if unit_cost in (None, "") else _number(unit_cost, "unit_cost", "unit cost", zero_allowed=True)
    existing = db.session.scalar(
        select(Lot).where(Lot.product_id == product.id, Lot.lot_number == lot_number)
    )
    if existing is not None:
        raise DuplicateLot(product.name, lot_number, existing.expiry)
    lot = Lot(
        product=product, lot_number=lot_number, expiry=expiry, received_on=received_on,
        supplier=(supplier or "").strip(), unit_cost=unit_cost, on_hand=ZERO,
    )
    db.session.add(lot)
    db.session.flush()
    move(lot, MovementKind.RECEIVE, quantity, actor=actor, reason=_reason(reason, False) or "received")
    record("lot.receive", actor=actor, target=lot, detail=f"{product.name} lot {lot_number}: +{quantity}")
    return lot


def receive_more(lot: Lot, quantity, *, actor, reason: str = "") -> StockMovement:
    """More of an existing lot arrived."""
    if lot.status == LotStatus.RECALLED:
        raise InvalidStockInput(f"Lot {lot.lot_number} is recalled; no stock can be added to it.", "status")
    quantity = _positive(quantity)
    movement = move(lot, MovementKind.RECEIVE, quantity, actor=actor, reason=_reason(reason, False) or "received")
    record("lot.receive", actor=actor, target=lot, detail=f"lot {lot.lot_number}: +{quantity}")
    return movement


def waste(lot: Lot, quantity, *, actor, reason: str) -> StockMovement:
    """Throw stock away (broken vial, opened too long …); more than on hand is refused."""
    quantity = _positive(quantity)
    movement = move(lot, MovementKind.WASTE, -quantity, actor=actor, reason=_reason(reason, True))
    record("lot.waste", actor=actor, target=lot, detail=f"lot {lot.lot_number}: -{quantity}")
    return movement


def administered_after_all_wasted(lot: Lot, quantity: Decimal, *, actor, reason: str,
                                  session_id: int | None) -> tuple[StockMovement, StockMovement]:
    """Stock recorded as administered that never reached the patient (a wasted preparation): waste, not use.

    The history stays as written: a reversing `administer` entry (+quantity) is appended, then a `waste`
    (−quantity) with the reason, so consumption nets to zero and the waste reports count it. On hand ends
    where it was and never dips: the reversal comes first. Opened content is left alone: what an opened
    vial gave to the syringe does not go back into the vial.
    """
    quantity = _positive(quantity)
    reason = _reason(reason, True)
    reversal = move(lot, MovementKind.ADMINISTER, quantity, actor=actor, session_id=session_id,
                    reason=f"{reason} (not administered: reverses the draw)")
    wasted = move(lot, MovementKind.WASTE, -quantity, actor=actor, session_id=session_id, reason=reason)
    return reversal, wasted


def return_to_supplier(lot: Lot, quantity, *, actor, reason: str) -> StockMovement:
    """Send stock back to the supplier."""
    quantity = _positive(quantity)
    movement = move(lot, MovementKind.RETURN, -quantity, actor=actor, reason=_reason(reason, True))
    record("lot.return", actor=actor, target=lot, detail=f"lot {lot.lot_number}: -{quantity}")
    return movement


def adjust(lot: Lot, counted, *, actor, reason: str) -> StockMovement | None:
    """Stocktake: state the counted quantity; the difference becomes an adjust movement."""
    counted = _number(counted, "quantity", "counted quantity", zero_allowed=True)
    counted = _storable(counted, "quantity", "counted quantity")
    reason = _reason(reason, True)
    # Read under the same guard as every move, so a concurrent draw is not counted twice.
    current = db.session.scalar(select(Lot.on_hand).where(Lot.id == lot.id))
    delta = counted - current
    # Counted, even when the count agrees: the lot keeps when and by whom (cycle counts read it).
    lot.counted_at, lot.counted_by_id = utcnow(), getattr(actor, "id", None)
    if delta == 0:
        return None
    movement = move(lot, MovementKind.ADJUST, delta, actor=actor, reason=reason)
    record("lot.adjust", actor=actor, target=lot, detail=f"lot {lot.lot_number}: counted {counted}")
    return movement


def set_status(lot: Lot, status: str, *, actor, reason: str) -> StockMovement | None:
    """Quarantine, release or recall a lot; recorded in its history like any movement."""
    if status not in tuple(LotStatus):
        raise InvalidStockInput(f"Unknown status {status!r}: use {', '.join(LotStatus)}.", "status")
    reason = _reason(reason, True)
    if status == lot.status:
        return None
    if lot.status == LotStatus.RECALLED:
        raise InvalidStockInput(f"Lot {lot.lot_number} is recalled; a recall cannot be undone.", "status")
    lot.status = status
    movement = StockMovement(
        lot=lot, kind=STATUS_MOVEMENT[LotStatus(status)], quantity=ZERO, on_hand_after=lot.on_hand,
        reason=reason, user_id=actor.id if actor is not None else None,
    )
    db.session.add(movement)
    db.session.flush()
    record(f"lot.{STATUS_MOVEMENT[LotStatus(status)]}", actor=actor, target=lot, detail=f"lot {lot.lot_number}")
    return movement
