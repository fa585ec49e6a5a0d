"""Opened units in the database: reading them for FEFO, drawing from and opening them, discarding lapsed ones.

Every change of content goes through ledger.move (the lot's on-hand and opened content, one guarded
UPDATE) and, for an opened unit, a guarded UPDATE of what it holds: nothing goes negative, and two
draws racing for the last vial cannot both open it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from formulary.audit.log import record
from formulary.catalogue.models import Product
from formulary.db import utcnow
from formulary.extensions import db
from formulary.stock.errors import InsufficientStock, InvalidStockInput
from formulary.stock.fefo import Draw, DrawRule, OpenedStock, in_use_expiry
from formulary.stock.ledger import move
from formulary.stock.models import Lot
from formulary.stock.opened_models import OpenedUnit
from formulary.vocabulary import MovementKind

ZERO = Decimal(0)


def use_by_of(unit_use_by: date, lot_expiry: date, opened_on: date, shelf_life_days: int | None) -> date:
    """An opened unit's in-use expiry now: the stored one, moved earlier if the product's shelf life shrank."""
    return min(unit_use_by, in_use_expiry(lot_expiry, opened_on, shelf_life_days))


def opened_units_of(lots):
    """The opened units that still hold something, of the lots a clause names (a list of ids or a subquery), in
    the order opened: the columns `units_from_rows` reads."""
    return (
        select(OpenedUnit.lot_id, OpenedUnit.id, OpenedUnit.content_left, OpenedUnit.use_by, OpenedUnit.opened_on,
               Lot.expiry, Product.opened_shelf_life_days)
        .join(Lot, Lot.id == OpenedUnit.lot_id)
        .join(Product, Product.id == Lot.product_id)
        .where(OpenedUnit.lot_id.in_(lots), OpenedUnit.content_left > 0)
    )


def opened_stocks(lot_ids) -> dict[int, tuple[OpenedStock, ...]]:
    """The opened units that still hold something, by lot id, as FEFO sees them (one query)."""
    ids = list(lot_ids)
    if not ids:
        return {}
    return units_from_rows(db.session.execute(opened_units_of(ids).order_by(OpenedUnit.id)))


def units_from_rows(rows) -> dict[int, tuple[OpenedStock, ...]]:
    """Each lot's opened units as FEFO sees them, from the rows of `opened_units_of`."""
    units: defaultdict[int, list[OpenedStock]] = defaultdict(list)
    for lot_id, unit_id, left, use_by, opened_on, expiry, days in rows:
        units[lot_id].append(OpenedStock(unit_id, left, use_by_of(use_by, expiry, opened_on, days)))
    return {lot_id: tuple(items) for lot_id, items in units.items()}


def take(lot: Lot, draw: Draw, rule: DrawRule, *, kind: str, actor, reason: str,
         session_id: int | None = None) -> int | None:
    """Carry out a planned draw from a lot: from its opened unit, or from sealed stock (opening a unit).

    Returns the opened unit drawn from or opened (None for single-use stock or a unit used up).
    The single-use remainder (draw.wasted) is the caller's to record.
    """
    if draw.unit_id is not None:
        taken = db.session.execute(
            update(OpenedUnit)
            .where(OpenedUnit.id == draw.unit_id, OpenedUnit.content_left >= draw.administered)
            .values(content_left=OpenedUnit.content_left - draw.administered)
            .returning(OpenedUnit.content_left)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if taken is not None:
            _loaded_unit_holds(draw.unit_id, taken)
        else:
            left = db.session.scalar(select(OpenedUnit.content_left).where(OpenedUnit.id == draw.unit_id))
            raise InsufficientStock(lot.product.name, draw.administered, left or ZERO, lot.product.unit,
                                    f"{lot.lot_number} (opened vial #{draw.unit_id})")
        move(lot, kind, -draw.administered, actor=actor, reason=reason, session_id=session_id,
             opened_delta=-draw.administered)
        return draw.unit_id
    move(lot, kind, -draw.administered, actor=actor, reason=reason, session_id=session_id,
         opened_delta=draw.opened_left)
    if draw.opened_left <= ZERO:
        return None
    unit = OpenedUnit(lot_id=lot.id, opened_at=utcnow(), opened_on=rule.on,
                      opened_by_id=actor.id if actor is not None else None, session_id=session_id,
                      use_by=rule.use_by_if_opened(lot.expiry),
                      content_left=draw.opened_left)
    db.session.add(unit)
    db.session.flush()
    return unit.id


def _loaded_unit_holds(unit_id: int, content_left: Decimal) -> None:
    """Tell a unit already loaded in the session what it now holds (the guarded UPDATE went past it)."""
    loaded = db.session.identity_map.get(identity_key(OpenedUnit, unit_id))
    if loaded is not None:
        set_committed_value(loaded, "content_left", content_left)


def discard(unit: OpenedUnit, *, actor, reason: str) -> None:
    """Waste what an opened unit still holds (a lapsed vial, a broken one): a waste movement with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidStockInput("Give a reason: it stays in the lot's history.", "reason")
    left = db.session.execute(
        update(OpenedUnit)
        .where(OpenedUnit.id == unit.id, OpenedUnit.content_left > 0)
        .values(content_left=0, discarded_content=OpenedUnit.content_left, discarded_at=utcnow(),
                discard_reason=reason,
                discarded_by_id=actor.id if actor is not None else None)
        .returning(OpenedUnit.discarded_content)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if left is None:
        raise InvalidStockInput(f"Opened vial #{unit.id} of lot {unit.lot.lot_number} holds nothing any more.",
                                "unit")
    amount = left
    move(unit.lot, MovementKind.WASTE, -amount, actor=actor, reason=f"opened vial #{unit.id}: {reason}",
         opened_delta=-amount)
    db.session.refresh(unit)
    record("lot.waste", actor=actor, target=unit.lot, detail=f"opened vial #{unit.id}: -{amount}")


@dataclass(frozen=True)
class OpenedRow:
    """An opened unit as lists and the API show it."""

    id: int
    lot_id: int
    lot_number: str
    product_id: int
    product_name: str
    unit: str
    opened_at: datetime
    opened_on: date  # the clinic's day it was opened
    content_left: Decimal
    use_by: date
    lapsed: bool
    unit_cost: Decimal | None

    @property
    def value(self) -> Decimal | None:
        """What the content left cost."""
        return None if self.unit_cost is None else (self.content_left * self.unit_cost).quantize(Decimal("0.01"))


def opened_units(today: date, *, lapsed: bool | None = None, product_id: int | None = None,
                 lot_id: int | None = None, limit: int | None = None,
                 stored_use_by_before: date | None = None) -> list[OpenedRow]:
    """The opened units that still hold something, earliest use-by first; `lapsed` keeps only those past it.

    `stored_use_by_before` narrows the read to units whose use-by, as set when opened, is before that
    day (the dashboard's index-served read); a unit lapsed only because its product's shelf life was
    shortened later is then left to FEFO, which never draws it, and to the lot page.
    """
    query = (
        select(OpenedUnit.id, Lot.id, Lot.lot_number, Product.id, Product.name, Product.unit, OpenedUnit.opened_at,
               OpenedUnit.content_left, OpenedUnit.use_by, OpenedUnit.opened_on, Lot.expiry,
               Product.opened_shelf_life_days, Lot.unit_cost)
        .join(Lot, Lot.id == OpenedUnit.lot_id)
        .join(Product, Product.id == Lot.product_id)
        .where(OpenedUnit.content_left > 0)
        .order_by(OpenedUnit.use_by, OpenedUnit.id)
    )
    if product_id is not None:
        query = query.where(Lot.product_id == product_id)
    if lot_id is not None:
        query = query.where(OpenedUnit.lot_id == lot_id)
    if stored_use_by_before is not None:
        query = query.where(OpenedUnit.use_by < stored_use_by_before)
        if limit is not None:  # every row read is lapsed (a stored use-by only moves earlier): limit in SQL
            query = query.limit(limit)
    # Only units still holding something are read (a clinic has few open at a time); whether one
    # lapsed is decided on the use-by read now, which a shorter shelf life set later moves earlier.
    rows = []
    for uid, lid, number, pid, pname, unit, opened_at, left, stored, opened_on, expiry, days, cost in \
            db.session.execute(query):
        use_by = use_by_of(stored, expiry, opened_on, days)
        row = OpenedRow(uid, lid, number, pid, pname, unit, opened_at, opened_on, left, use_by, use_by < today, cost)
        if lapsed is None or row.lapsed == lapsed:
            rows.append(row)
    rows.sort(key=lambda r: (r.use_by, r.id))
    return rows[:limit] if limit is not None else rows
