"""The report queries: what left stock read from the outflow sums the ledger keeps (stock/outflows.py), the
sessions and today's lots from their tables; a few hundred rows per report, not the movements behind them.

What leaves stock counts as:
- administered: `administer` movements;
- expired: `waste` movements made after the lot's expiry day (expired stock discarded);
- wasted: every other `waste` (a session's unused remainder, a wasted preparation, breakage …).
A preparation wasted after it was made appends a reversing `administer` entry and a `waste`
(treatments/preparations.py): it nets out of administered and counts as wasted.
Returns, stocktake adjustments and status changes are not consumption. Value is quantity × the
lot's unit cost (a lot without a unit cost adds nothing to the value, only to the quantities).
A range's days are UTC days, as the ledger's times are stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    and_,
    case,
    func,
    literal,
    literal_column,
    null,
    select,
    text,
    union_all,
)

from formulary.catalogue.models import Product
from formulary.extensions import db
from formulary.reports.periods import ReportRange, Run, next_period, period_runs, runs
from formulary.reports.sql import as_date, as_float, as_quantity, exact, period_of
from formulary.stock import outflows as kept
from formulary.stock.models import IN_STOCK, Lot, StockMovement
from formulary.stock.outflow_models import DailyOutflow, ProductOutflow
from formulary.vocabulary import LotStatus, MovementKind

ADMINISTERED, WASTED, EXPIRED = "administered", "wasted", "expired"
# Kinds that change quantities and are not summed as outflows (receipts, stocktake adjustments, returns): the
# turnover report reads these from the ledger itself.
UNSUMMED_KINDS = [kind.value for kind in MovementKind
                  if kind.changes_quantity and kind.value not in kept.OUTFLOW_KINDS]


SERIAL = "formulary.reports.serial"  # Session.info: the transaction already told to use no parallel workers


def reading() -> None:
    """Before a report reads the sums: this transaction's own movements added first (a report read inside the
    transaction that wrote them). On PostgreSQL, no parallel workers for the rest of the transaction: a report
    is a few aggregates of some thousand rows each, which the planner would split over workers that cost more
    to start than they save, and compete for the cores with the other requests."""
    kept.catch_up(db.session)
    transaction = db.session().get_transaction()
    if db.session.get_bind().dialect.name == "postgresql" and db.session.info.get(SERIAL) is not transaction:
        db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        db.session.info[SERIAL] = transaction  # once a transaction: each statement is a round trip


CLASSES = (ADMINISTERED, WASTED, EXPIRED)  # the product sums' quantity columns; their values add "_value"


def product_outflows(runs_read: list[Run]):
    """The product sums' rows for exactly the days of these runs (periods.runs), as a FROM clause: one stretch of
    the key per run, concatenated (an OR of the runs would make SQLite first collect every row's key, to drop
    duplicates there cannot be)."""
    table = ProductOutflow.__table__
    parts = []
    for run in runs_read:
        starts = table.c.start >= run.first if run.last is None else table.c.start.between(run.first, run.last)
        parts.append(select(table).where(table.c.span == run.span, starts))
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("outflow")


def _summed(column, places: int):
    """A sum read back exactly: rounded to the places its terms have (SQLite adds floats); quantities as floats on
    either database, values as they come (reports/sql.py)."""
    return _rounded(func.sum(column), places)


def _rounded(expression, places: int, *, as_floats: bool = False):
    """A stored figure or a sum, rounded and read as _summed reads sums (as a float on either database with
    `as_floats`: exact for a clinic's values, and read faster than PostgreSQL's numeric)."""
    rounded = func.round(expression, places)
    return as_quantity(rounded) if places == 3 or as_floats else as_float(rounded)


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


def outflow_rows(rng: ReportRange, product_id: int | None = None, *, by_period: bool = False):
    """Per product (and per period, then in order of period and product): period (a date, or SQLite's text; None
    over the range), product id, name, unit, administered, wasted and expired quantities and their value, as floats
    rounded to their places (3 and 7; frames.py and the API turn them back into exact figures). Plain rows: the API
    turns thousands of them straight into JSON."""
    reading()
    if by_period:
        # A period the range holds whole (a month by month, a week by week) has a row of its own span per product,
        # already its sum: read as it is. A period the range's edges cut is summed from its shorter rows, per
        # product (a plain key: no period computed on each row). Grouping costs SQLite and PostgreSQL a few µs a
        # group: a quarter's two whole months are half of its 3,400 items.
        parts: list[Select] = []
        whole = []
        for first in rng.periods():
            last = next_period(first, rng.by) - timedelta(days=1)
            if rng.start <= first and last <= rng.end:
                whole.append(first)
                continue
            rows = product_outflows(runs(max(first, rng.start), min(last, rng.end))).c
            parts.append(_summed_outflows(rows, [literal(first, Date).label("period")], product_id))
        if whole:
            rows = product_outflows([Run(rng.by.value, whole[0], whole[-1])]).c
            value = rows[f"{ADMINISTERED}_value"] + rows[f"{WASTED}_value"] + rows[f"{EXPIRED}_value"]
            read = select(rows.start.label("period"), rows.product_id,
                          *(_rounded(rows[name], 3).label(name) for name in CLASSES),
                          _rounded(value, 7, as_floats=True).label("value"))
            parts.append(read.where(rows.product_id == product_id) if product_id is not None else read)
        stacked = union_all(*parts) if len(parts) > 1 else parts[0]
        sums = stacked.subquery()
        period = sums.c.period
    else:
        rows = product_outflows(runs(rng.start, rng.end)).c
        sums = _summed_outflows(rows, [], product_id).subquery()
        period = null().label("period")
    return db.session.execute(
        select(period, sums.c.product_id, Product.name, Product.unit, sums.c[ADMINISTERED], sums.c[WASTED],
               sums.c[EXPIRED], sums.c.value)
        .join(Product, Product.id == sums.c.product_id).order_by(period, Product.name))


def _summed_outflows(rows, keys: list, product_id: int | None):
    """The product sums' rows summed per product (and the keys given): the classes' quantities and their value."""
    value = rows[f"{ADMINISTERED}_value"] + rows[f"{WASTED}_value"] + rows[f"{EXPIRED}_value"]
    summed = (select(*keys, rows.product_id, *(_summed(rows[name], 3).label(name) for name in CLASSES),
                     _rounded(func.sum(value), 7, as_floats=True).label("value"))
              .group_by(*keys, rows.product_id))
    return summed.where(rows.product_id == product_id) if product_id is not None else summed


def outflows(rng: ReportRange, product_id: int | None = None, *, by_period: bool = False) -> list[Outflow]:
    """Per product (and per period, then in order of period and product), administered, wasted and expired
    quantities and their value."""
    return [Outflow(as_date(day) if by_period else None, product, name, unit, administered, wasted, expired,
                    float(value))
            for day, product, name, unit, administered, wasted, expired, value in
            outflow_rows(rng, product_id, by_period=by_period)]


def outflow_values(rng: ReportRange, product_id: int | None = None) -> list[tuple[date, float, float, float]]:
    """Per period, the value administered, wasted and expired: the clinic's daily sums, or one product's."""
    reading()
    values: dict[date, list[float]] = {}
    if product_id is None:  # a few rows a day: testing each one's kind costs nothing here
        rows = DailyOutflow
        period = period_of(rows.day, rng.by).label("period")
        classes = ((MovementKind.ADMINISTER, False), (MovementKind.WASTE, False), (MovementKind.WASTE, True))
        sums = [_summed(case((and_(rows.kind == kind, rows.expired == expired), rows.value), else_=0), 7)
                for kind, expired in classes]
        for day, *by_class in db.session.execute(
                select(period, *sums).where(rows.day.between(rng.start, rng.end)).group_by(period)):
            values[as_date(day)] = [float(value) for value in by_class]
    else:
        product = product_outflows(period_runs(rng)).c
        period = period_of(product.start, rng.by).label("period")
        for day, *by_class in db.session.execute(
                select(period, *(_summed(product[f"{name}_value"], 7) for name in CLASSES))
                .where(product.product_id == product_id).group_by(period)):
            values[as_date(day)] = [float(value) for value in by_class]
    return [(day, administered, wasted, expired) for day, (administered, wasted, expired) in values.items()]


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
    reading()
    rows = DailyOutflow
    period = period_of(rows.day, rng.by).label("period")
    reason = case((rows.expired, EXPIRED_REASON), (and_(rows.by_session, rows.reason == ""), SESSION_REMAINDER),
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
    reading()
    rows = product_outflows(runs(rng.start, rng.end)).c
    sums = (select(rows.product_id, _summed(rows[EXPIRED], 3).label("quantity"),
                   _summed(rows[f"{EXPIRED}_value"], 7).label("value"))
            .where(rows[EXPIRED] > 0).group_by(rows.product_id).subquery())
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
    ledger by kind and time, and today's lots, each summed per product and the three stacked, then added up
    per product (cheaper than joining them)."""
    reading()
    zero: ColumnElement[int] = literal_column("0")
    out = product_outflows([*runs(rng.start, rng.end), *runs(rng.end + timedelta(days=1), None)]).c
    quantity = out[ADMINISTERED] + out[WASTED] + out[EXPIRED]
    inside = case((out.start <= rng.end, quantity), else_=0)  # the two sets of runs part at the range's end
    left = (select(out.product_id.label("product_id"), func.sum(inside).label("used"),
                   func.sum(quantity).label("left_since"), zero.label("came_since"), zero.label("came_later"),
                   zero.label("on_hand"), zero.label("usable"))
            .group_by(out.product_id))
    later = case((StockMovement.at >= rng.until, StockMovement.quantity), else_=0)
    came_in = (StockMovement.kind.in_(UNSUMMED_KINDS), StockMovement.at >= rng.since)
    if db.session.get_bind().dialect.name == "postgresql":
        # Each movement's product looked up by its lot's key: joined, PostgreSQL hashed all 50,000 lots for the
        # quarter's 3,000 receipts (a third of the statement). SQLite looks lots up by key either way, and pays
        # more for a subquery per row than for the join.
        product = select(Lot.product_id).where(Lot.id == StockMovement.lot_id).scalar_subquery()
        moved = (select(product.label("product_id"), StockMovement.quantity, later.label("later"))
                 .where(*came_in).subquery("moved"))
        came = (select(moved.c.product_id, zero, zero, func.sum(moved.c.quantity), func.sum(moved.c.later), zero,
                       zero).group_by(moved.c.product_id))
    else:
        came = (select(Lot.product_id, zero, zero, func.sum(StockMovement.quantity), func.sum(later), zero, zero)
                .select_from(StockMovement).join(Lot, Lot.id == StockMovement.lot_id).where(*came_in)
                .group_by(Lot.product_id))
    usable = case((and_(Lot.status == LotStatus.AVAILABLE, Lot.expiry >= today), Lot.on_hand), else_=0)
    # Every lot holding stock, whatever its status (never empty): read in product order from the in-stock index.
    now = (select(Lot.product_id, zero, zero, zero, zero, func.sum(Lot.on_hand), func.sum(usable))
           .where(IN_STOCK).group_by(Lot.product_id))
    parts = union_all(left, came, now).subquery("stock")
    used, on_hand = func.sum(parts.c.used), func.sum(parts.c.on_hand)
    left_after = func.sum(parts.c.left_since) - used
    opening = on_hand - func.sum(parts.c.came_since) + used + left_after
    closing = on_hand - func.sum(parts.c.came_later) + left_after
    sums = (select(parts.c.product_id, *(as_float(func.round(v, 3)).label(name) for name, v in (
                ("opening", opening), ("closing", closing), ("used", used), ("usable", func.sum(parts.c.usable)))))
            .group_by(parts.c.product_id).subquery())
    query = (select(Product.id, Product.name, Product.unit, sums.c.opening, sums.c.closing, sums.c.used,
                    sums.c.usable).join(sums, sums.c.product_id == Product.id))
    return [ProductStock(product_id, name, unit, exact(opening, 3), exact(closing, 3), exact(used, 3),
                         exact(usable_now, 3))
            for product_id, name, unit, opening, closing, used, usable_now in db.session.execute(query)]
