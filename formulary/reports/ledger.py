"""The report queries: the ledger and the sessions summed in SQL, a row per period and group.

What leaves stock counts as:
- administered: `administer` movements;
- expired: `waste` movements made after the lot's expiry day (expired stock discarded);
- wasted: every other `waste` (a session's unused remainder, a wasted preparation, breakage …).
A preparation wasted after it was made appends a reversing `administer` entry and a `waste`
(treatments/preparations.py): it nets out of administered and counts as wasted.
Returns, stocktake adjustments and status changes are not consumption. Value is quantity × the
lot's unit cost (a lot without a unit cost adds nothing to the value, only to the quantities).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import and_, case, func, literal, select

from formulary.auth.models import User
from formulary.catalogue.models import Product, TreatmentGoal
from formulary.cocktails.models import Cocktail, CocktailVersion, version_goal
from formulary.extensions import db
from formulary.reports.periods import ReportRange
from formulary.reports.sql import as_date, as_float, day_of, exact, period_of
from formulary.stock.models import Lot, StockMovement
from formulary.treatments.models import TreatmentSession
from formulary.treatments.preparations import WASTE_NOTE_LIKE
from formulary.vocabulary import LotStatus, MovementKind, SessionStatus

ADMINISTERED, WASTED, EXPIRED = "administered", "wasted", "expired"
OUT_KINDS = (MovementKind.ADMINISTER, MovementKind.WASTE)


def _outflow_class():
    expired = and_(StockMovement.kind == MovementKind.WASTE, day_of(StockMovement.at) > Lot.expiry)
    return case((StockMovement.kind == MovementKind.ADMINISTER, literal(ADMINISTERED)),
                (expired, literal(EXPIRED)), else_=literal(WASTED))


def _in_range(rng: ReportRange):
    return and_(StockMovement.at >= rng.since, StockMovement.at < rng.until, StockMovement.kind.in_(OUT_KINDS))


def _value():
    return -StockMovement.quantity * func.coalesce(Lot.unit_cost, 0)


class Outflow(NamedTuple):
    """Stock that left in one period for one product, in one class (administered, wasted, expired).

    Thousands of these per report: a plain tuple with the sums as floats, which pandas reads as they
    are (reports/frames.py turns the totals back into exact decimals)."""

    period: date
    product_id: int
    product: str
    unit: str
    kind: str
    quantity: float
    value: float


def outflows(rng: ReportRange, product_id: int | None = None) -> list[Outflow]:
    """Administered, wasted and expired quantities and their value per period and product."""
    period = period_of(StockMovement.at, rng.by).label("period")
    kind = _outflow_class().label("kind")
    query = (
        select(period, Lot.product_id, kind, as_float(func.sum(-StockMovement.quantity)).label("quantity"),
               as_float(func.sum(_value())).label("value"))
        .select_from(StockMovement).join(Lot, Lot.id == StockMovement.lot_id)
        .where(_in_range(rng))
        .group_by(period, Lot.product_id, kind)
    )
    if product_id is not None:
        query = query.where(Lot.product_id == product_id)
    rows = db.session.execute(query).all()
    products = _products({row.product_id for row in rows})
    return [Outflow(as_date(period), product, *products[product], kind, float(quantity or 0), float(value or 0))
            for period, product, kind, quantity, value in rows]


def _products(ids: set[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    return {row.id: (row.name, row.unit) for row in
            db.session.execute(select(Product.id, Product.name, Product.unit).where(Product.id.in_(ids)))}


@dataclass(frozen=True)
class WasteLine:
    """Waste in one period of one product under one reason: how many movements, the quantity, the value."""

    period: date
    reason: str
    product_id: int
    product: str
    unit: str
    movements: int
    quantity: Decimal
    value: Decimal


SESSION_REMAINDER = "opened and not used in a session"
PREPARATION_WASTED = "prepared and not given"
EXPIRED_REASON = "expired"


def waste_by_reason(rng: ReportRange) -> list[WasteLine]:
    """Waste movements per period, product and reason: expired stock, sessions' remainders, or the reason
    written. One pass over the waste movements gives both the reasons and the expiry losses by product."""
    period = period_of(StockMovement.at, rng.by).label("period")
    reason = case(
        (day_of(StockMovement.at) > Lot.expiry, literal(EXPIRED_REASON)),
        (and_(StockMovement.session_id.is_not(None), StockMovement.reason.like(WASTE_NOTE_LIKE)),
         literal(PREPARATION_WASTED)),
        (StockMovement.session_id.is_not(None), literal(SESSION_REMAINDER)),
        else_=func.lower(func.trim(StockMovement.reason)),
    ).label("reason")
    rows = db.session.execute(
        select(period, reason, Lot.product_id, func.count().label("movements"),
               as_float(func.sum(-StockMovement.quantity)).label("quantity"),
               as_float(func.sum(_value())).label("value"))
        .select_from(StockMovement).join(Lot, Lot.id == StockMovement.lot_id)
        .where(StockMovement.at >= rng.since, StockMovement.at < rng.until, StockMovement.kind == MovementKind.WASTE)
        .group_by(period, reason, Lot.product_id)
    ).all()
    products = _products({row.product_id for row in rows})
    return [WasteLine(as_date(row.period), row.reason or "no reason given", row.product_id,
                      *products[row.product_id], row.movements, exact(row.quantity, 3), exact(row.value, 7))
            for row in rows]


@dataclass(frozen=True)
class ShelfLoss:
    """A lot that expired within the range and still holds stock: a loss not yet discarded."""

    product: str
    unit: str
    lot_number: str
    expiry: date
    on_hand: Decimal
    value: Decimal


def expired_on_shelf(rng: ReportRange) -> list[ShelfLoss]:
    """Lots whose expiry falls in the range and that still hold stock (recalled ones aside)."""
    rows = db.session.execute(
        select(Product.name, Product.unit, Lot.lot_number, Lot.expiry, Lot.on_hand,
               Lot.on_hand * func.coalesce(Lot.unit_cost, 0))
        .join(Lot.product)
        .where(Lot.on_hand > 0, Lot.status.in_((LotStatus.AVAILABLE, LotStatus.QUARANTINED)),
               Lot.expiry >= rng.start, Lot.expiry <= rng.end)
        .order_by(Lot.expiry, Product.name, Lot.lot_number)
    ).all()
    return [ShelfLoss(name, unit, number, expiry, Decimal(on_hand), exact(value, 7))
            for name, unit, number, expiry, on_hand, value in rows]


@dataclass(frozen=True)
class SessionGroup:
    """Administered sessions of one period and group (cocktail, goal or practitioner): how many, what they cost."""

    period: date
    group: str
    sessions: int
    cost: Decimal


def _administered(rng: ReportRange):
    return and_(TreatmentSession.status == SessionStatus.ADMINISTERED,
                TreatmentSession.scheduled_for >= rng.start, TreatmentSession.scheduled_for <= rng.end)


def session_costs(rng: ReportRange) -> tuple[list[SessionGroup], list[SessionGroup]]:
    """Sessions and the stock they drew (administered and wasted, at unit cost) per period, by cocktail and
    by goal. Summed in SQL per period and cocktail version (one pass), then per cocktail and per goal here:
    a session of a version serving two goals counts once under each goal."""
    period = period_of(TreatmentSession.scheduled_for, rng.by).label("period")
    rows = db.session.execute(
        select(period, TreatmentSession.cocktail_version_id,
               func.count(func.distinct(TreatmentSession.id)).label("sessions"),
               as_float(func.sum(_value())).label("cost"))
        .select_from(TreatmentSession)
        .outerjoin(StockMovement, and_(StockMovement.session_id == TreatmentSession.id,
                                       StockMovement.kind.in_(OUT_KINDS)))
        .outerjoin(Lot, Lot.id == StockMovement.lot_id)
        .where(_administered(rng))
        .group_by(period, TreatmentSession.cocktail_version_id)
    ).all()
    version_ids = {row.cocktail_version_id for row in rows}
    cocktails: dict[int, str] = {}
    goals: dict[int, list[str]] = {}
    if version_ids:
        cocktails = {version_id: name for version_id, name in db.session.execute(
            select(CocktailVersion.id, Cocktail.name).join(Cocktail, Cocktail.id == CocktailVersion.cocktail_id)
            .where(CocktailVersion.id.in_(version_ids)))}
        for version_id, goal in db.session.execute(
                select(version_goal.c.version_id, TreatmentGoal.name)
                .join(TreatmentGoal, TreatmentGoal.id == version_goal.c.goal_id)
                .where(version_goal.c.version_id.in_(version_ids))):
            goals.setdefault(version_id, []).append(goal)
    by_cocktail, by_goal = [], []
    for row in rows:
        day, cost = as_date(row.period), exact(row.cost, 7)
        by_cocktail.append(SessionGroup(day, cocktails[row.cocktail_version_id], row.sessions, cost))
        by_goal += [SessionGroup(day, goal, row.sessions, cost) for goal in goals.get(row.cocktail_version_id, [])]
    return by_cocktail, by_goal


def session_counts(rng: ReportRange, by: str) -> list[SessionGroup]:
    """Administered sessions per period and goal or practitioner (cost not summed)."""
    period = period_of(TreatmentSession.scheduled_for, rng.by).label("period")
    if by == "goal":
        group = TreatmentGoal.name.label("grp")
        query = (select(period, group, func.count().label("sessions")).select_from(TreatmentSession)
                 .join(version_goal, version_goal.c.version_id == TreatmentSession.cocktail_version_id)
                 .join(TreatmentGoal, TreatmentGoal.id == version_goal.c.goal_id))
    else:
        name = func.coalesce(func.nullif(User.full_name, ""), User.username, "not recorded")
        group = name.label("grp")
        query = (select(period, group, func.count().label("sessions")).select_from(TreatmentSession)
                 .outerjoin(User, User.id == TreatmentSession.practitioner_id))
    query = query.where(_administered(rng)).group_by(period, group)
    return [SessionGroup(as_date(row.period), row.grp, row.sessions, Decimal(0)) for row in db.session.execute(query)]


@dataclass(frozen=True)
class ProductStock:
    """A product's stock at the range's edges and now, and what left it within the range."""

    product_id: int
    product: str
    unit: str
    opening: Decimal
    closing: Decimal
    used: Decimal
    usable_now: Decimal


def product_stock(rng: ReportRange, today: date) -> list[ProductStock]:
    """Per product: stock at the start and end of the range (today's on hand less the movements since),
    what was administered, wasted and expired within it, and the usable stock today."""
    since = StockMovement.at >= rng.since
    after = case((StockMovement.at >= rng.until, StockMovement.quantity), else_=0)
    out = case((and_(StockMovement.at < rng.until, StockMovement.kind.in_(OUT_KINDS)), -StockMovement.quantity),
               else_=0)
    moved = {row.product_id: (exact(row.moved, 3), exact(row.after, 3), exact(row.used, 3)) for row in
             db.session.execute(
                 select(Lot.product_id, as_float(func.sum(StockMovement.quantity)).label("moved"),
                        as_float(func.sum(after)).label("after"), as_float(func.sum(out)).label("used"))
                 .select_from(StockMovement).join(Lot, Lot.id == StockMovement.lot_id)
                 .where(since).group_by(Lot.product_id))}
    usable = case((and_(Lot.status == LotStatus.AVAILABLE, Lot.expiry >= today), Lot.on_hand), else_=0)
    now = {row.product_id: (exact(row.on_hand, 3), exact(row.usable, 3)) for row in db.session.execute(
        select(Lot.product_id, as_float(func.sum(Lot.on_hand)).label("on_hand"),
               as_float(func.sum(usable)).label("usable"))
        .where(Lot.on_hand > 0, Lot.status.in_(list(LotStatus))).group_by(Lot.product_id))}
    products = _products(set(moved) | set(now))
    rows = []
    for product_id, (name, unit) in products.items():
        on_hand, usable_now = now.get(product_id, (Decimal(0), Decimal(0)))
        total_moved, moved_after, used = moved.get(product_id, (Decimal(0), Decimal(0), Decimal(0)))
        rows.append(ProductStock(product_id, name, unit, opening=on_hand - total_moved,
                                 closing=on_hand - moved_after, used=used, usable_now=usable_now))
    return rows
