"""The report queries: what left stock read from the outflow sums the ledger keeps (stock/outflows.py), the
sessions and today's lots from their tables; a few hundred rows per report, not the movements behind them.

What leaves stock counts as:
- administered: `administer` movements;
- expired: `waste` movements made after the lot's expiry day (expired stock discarded);
- wasted: every other `waste` (a session's unused remainder, breakage, contamination …).
Returns, stocktake adjustments and status changes are not consumption. Value is quantity × the
lot's unit cost (a lot without a unit cost adds nothing to the value, only to the quantities).
A range's days are UTC days, as the ledger's times are stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import and_, case, false, func, null, or_, select, true

from formulary.auth.models import User
from formulary.catalogue.models import Product, TreatmentGoal
from formulary.cocktails.models import Cocktail, CocktailVersion, version_goal
from formulary.extensions import db
from formulary.reports.periods import ReportRange, Run, period_runs, runs
from formulary.reports.sql import as_date, as_float, exact, period_of, product_outflows
from formulary.stock import outflows as kept
from formulary.stock.models import Lot, StockMovement
from formulary.stock.outflow_models import DailyOutflow, SessionCost
from formulary.treatments.models import TreatmentSession
from formulary.vocabulary import LotStatus, MovementKind, SessionStatus

ADMINISTERED, WASTED, EXPIRED = "administered", "wasted", "expired"
# Kinds that change quantities and are not summed as outflows (receipts, stocktake adjustments, returns): the
# turnover report reads these from the ledger itself.
UNSUMMED_KINDS = [kind.value for kind in MovementKind
                  if kind.changes_quantity and kind.value not in kept.OUTFLOW_KINDS]


def _sums():
    # This transaction's own movements first (a report read inside the transaction that wrote them).
    kept.catch_up(db.session)


def _per_class(kind, expired, column, places: int) -> list:
    """`column` summed for each class of outflow (administered, wasted, expired), rounded back to its places."""
    waste = kind == MovementKind.WASTE.value
    classes = ((ADMINISTERED, kind == MovementKind.ADMINISTER.value), (WASTED, and_(waste, expired == false())),
               (EXPIRED, and_(waste, expired == true())))
    return [as_float(func.round(func.sum(case((where, column), else_=0)), places)).label(name)
            for name, where in classes]


def _product_runs(rng: ReportRange, by_period: bool) -> list[Run]:
    return period_runs(rng) if by_period else runs(rng.start, rng.end)


class Outflow(NamedTuple):
    """Stock of one product that left over the range (or in one period): administered, wasted and expired
    quantities and their value, as floats rounded to their places (reports/frames.py makes them exact decimals)."""

    period: date | None
    product_id: int
    product: str
    unit: str
    administered: float
    wasted: float
    expired: float
    value: float


def outflows(rng: ReportRange, product_id: int | None = None, *, by_period: bool = False) -> list[Outflow]:
    """Per product (and per period), administered, wasted and expired quantities and their value."""
    _sums()
    rows = product_outflows(_product_runs(rng, by_period)).c
    keys = [period_of(rows.start, rng.by).label("period")] if by_period else []
    summed = (select(*keys, rows.product_id, *_per_class(rows.kind, rows.expired, rows.quantity, 3),
                     as_float(func.round(func.sum(rows.value), 7)).label("value"))
              .group_by(*keys, rows.product_id))
    if product_id is not None:
        summed = summed.where(rows.product_id == product_id)
    sums = summed.subquery()
    period = sums.c.period if by_period else null().label("period")
    query = (select(period, sums.c.product_id, Product.name, Product.unit, sums.c[ADMINISTERED], sums.c[WASTED],
                    sums.c[EXPIRED], sums.c.value)
             .join(Product, Product.id == sums.c.product_id))
    return [Outflow(as_date(day) if by_period else None, product, name, unit, float(administered), float(wasted),
                    float(expired), float(value))
            for day, product, name, unit, administered, wasted, expired, value in db.session.execute(query)]


def outflow_values(rng: ReportRange, product_id: int | None = None) -> list[tuple[date, float, float, float]]:
    """Per period, the value administered, wasted and expired: the clinic's daily sums, or one product's."""
    _sums()
    if product_id is None:
        rows = DailyOutflow
        period = period_of(rows.day, rng.by).label("period")
        query = (select(period, *_per_class(rows.kind, rows.expired, rows.value, 7))
                 .where(rows.day.between(rng.start, rng.end)).group_by(period))
    else:
        product = product_outflows(_product_runs(rng, by_period=True)).c
        period = period_of(product.start, rng.by).label("period")
        query = (select(period, *_per_class(product.kind, product.expired, product.value, 7))
                 .where(product.product_id == product_id).group_by(period))
    return [(as_date(day), float(administered), float(wasted), float(expired))
            for day, administered, wasted, expired in db.session.execute(query)]


@dataclass(frozen=True)
class WasteLine:
    """Waste in one period under one reason: how many movements, the quantity, the value."""

    period: date
    reason: str
    movements: int
    quantity: Decimal
    value: Decimal


SESSION_REMAINDER = "opened and not used in a session"
EXPIRED_REASON = "expired"
NO_REASON = "no reason given"


def waste_by_reason(rng: ReportRange) -> list[WasteLine]:
    """Waste per period and reason: expired stock, sessions' remainders, or the reason written (lower case)."""
    _sums()
    rows = DailyOutflow
    period = period_of(rows.day, rng.by).label("period")
    reason = case((rows.expired, EXPIRED_REASON), (rows.by_session, SESSION_REMAINDER),
                  (rows.reason == "", NO_REASON), else_=rows.reason).label("reason")
    return [WasteLine(as_date(row.period), row.reason, int(row.movements), exact(row.quantity, 3),
                      exact(row.value, 7))
            for row in db.session.execute(
                select(period, reason, func.sum(rows.movements).label("movements"),
                       as_float(func.sum(rows.quantity)).label("quantity"),
                       as_float(func.sum(rows.value)).label("value"))
                .where(rows.day.between(rng.start, rng.end), rows.kind == MovementKind.WASTE)
                .group_by(period, reason))]


@dataclass(frozen=True)
class ProductLoss:
    """Stock of one product discarded after its lot's expiry within the range."""

    product: str
    unit: str
    quantity: Decimal
    value: Decimal


def expiry_losses(rng: ReportRange) -> list[ProductLoss]:
    """Per product, what was discarded after its lot's expiry day within the range."""
    _sums()
    rows = product_outflows(runs(rng.start, rng.end), kinds=[MovementKind.WASTE.value], expired=[True]).c
    sums = (select(rows.product_id, as_float(func.sum(rows.quantity)).label("quantity"),
                   as_float(func.sum(rows.value)).label("value"))
            .group_by(rows.product_id).subquery())
    return [ProductLoss(name, unit, exact(quantity, 3), exact(value, 7)) for name, unit, quantity, value in
            db.session.execute(select(Product.name, Product.unit, sums.c.quantity, sums.c.value)
                               .join(Product, Product.id == sums.c.product_id))]


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
    by goal. Summed in SQL per period and cocktail version (each session's cost is kept as its movements are
    written), then per cocktail and per goal here: a session of a version serving two goals counts under each."""
    _sums()
    period = period_of(TreatmentSession.scheduled_for, rng.by).label("period")
    rows = db.session.execute(
        select(period, TreatmentSession.cocktail_version_id, func.count().label("sessions"),
               as_float(func.sum(func.coalesce(SessionCost.value, 0))).label("cost"))
        .select_from(TreatmentSession)
        .outerjoin(SessionCost, SessionCost.session_id == TreatmentSession.id)
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
    """Per product: stock at the start and end of the range (today's on hand less what moved since), what was
    administered, wasted and expired within it, and the usable stock today. One statement: what left stock from
    the outflow sums, what came in (receipts, counts, returns: a few thousand movements a quarter) from the
    ledger by kind and time, and today's lots."""
    _sums()
    out = product_outflows([*runs(rng.start, rng.end), *runs(rng.end + timedelta(days=1), None)]).c
    inside = case((out.start <= rng.end, out.quantity), else_=0)  # the two sets of runs part at the range's end
    left = (select(out.product_id, func.sum(inside).label("used"), func.sum(out.quantity).label("since"))
            .group_by(out.product_id).subquery("left_stock"))
    later = case((StockMovement.at >= rng.until, StockMovement.quantity), else_=0)
    came = (select(Lot.product_id, func.sum(StockMovement.quantity).label("since"), func.sum(later).label("later"))
            .select_from(StockMovement).join(Lot, Lot.id == StockMovement.lot_id)
            .where(StockMovement.kind.in_(UNSUMMED_KINDS), StockMovement.at >= rng.since)
            .group_by(Lot.product_id).subquery("came_in"))
    usable = case((and_(Lot.status == LotStatus.AVAILABLE, Lot.expiry >= today), Lot.on_hand), else_=0)
    now = (select(Lot.product_id, func.sum(Lot.on_hand).label("on_hand"), func.sum(usable).label("usable"))
           .where(Lot.on_hand > 0, Lot.status.in_(list(LotStatus))).group_by(Lot.product_id).subquery("now"))
    on_hand, used = func.coalesce(now.c.on_hand, 0), func.coalesce(left.c.used, 0)
    left_after = func.coalesce(left.c.since, 0) - used
    opening = on_hand - func.coalesce(came.c.since, 0) + used + left_after
    closing = on_hand - func.coalesce(came.c.later, 0) + left_after
    query = (select(Product.id, Product.name, Product.unit, *(as_float(func.round(v, 3)) for v in (
                 opening, closing, used, func.coalesce(now.c.usable, 0))))
             .outerjoin(left, left.c.product_id == Product.id).outerjoin(came, came.c.product_id == Product.id)
             .outerjoin(now, now.c.product_id == Product.id)
             .where(or_(left.c.product_id.is_not(None), came.c.product_id.is_not(None), now.c.product_id.is_not(None))))
    return [ProductStock(product_id, name, unit, exact(opening, 3), exact(closing, 3), exact(used, 3),
                         exact(usable_now, 3))
            for product_id, name, unit, opening, closing, used, usable_now in db.session.execute(query)]
