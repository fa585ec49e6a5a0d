"""The stock figures of the dashboard: four aggregate queries, whatever the size of the stock.

The panels read plain columns, not Lot and Product objects: the page shows a few names and
figures, and loading mapped objects into the session would cost more than the queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, Float, case, cast, func, literal, select, type_coerce, union_all

from formulary.catalogue.models import Product
from formulary.extensions import db
from formulary.stock.models import QUANTITY, Lot
from formulary.stock.queries import IN_STOCK, status_condition
from formulary.vocabulary import LotDisplayStatus, LotStatus

ZERO = Decimal(0)
CENTS = Decimal("0.01")
TOP = 5


@dataclass(frozen=True)
class Panel:
    """An alert panel: how many rows match, and the first few of them."""

    count: int
    rows: list = field(default_factory=list)


@dataclass(frozen=True)
class PanelLot:
    """A lot as an alert panel lists it."""

    id: int
    lot_number: str
    expiry: date
    on_hand: Decimal
    product_name: str
    unit: str


@dataclass(frozen=True)
class ReorderRow:
    """A product whose usable stock is under its reorder level."""

    product_id: int
    product_name: str
    unit: str
    on_hand: Decimal
    reorder_level: Decimal


@dataclass(frozen=True)
class CategoryValue:
    """The value of the stock on hand in one product category, at unit cost."""

    category: str
    value: Decimal
    lots: int
    lots_without_cost: int


@dataclass(frozen=True)
class MonthExpiry:
    """What expires in one calendar month: units (vials, ampoules, syringes) and their value."""

    month: date  # the first day of the month
    units: Decimal
    value: Decimal

    @property
    def label(self) -> str:
        """The month as the clinic writes it: 2027-03."""
        return f"{self.month:%Y-%m}"


def lot_panels(conditions: dict[str, ColumnElement[bool]], limit: int = TOP) -> dict[str, Panel]:
    """Lots with stock matching each condition: the count and the earliest-expiring few, in one query.

    Each panel's count and ordering run over lot ids and product names only (an inner query);
    the columns shown are then read for the few lots kept, not for every lot that matches.
    The panels share one statement: for most of them, sending and reading a statement costs
    more than running it.
    """
    tops = [
        select(literal(key).label("panel"), Lot.id, func.count().over().label("total"))
        .join(Lot.product)
        .where(condition, IN_STOCK)
        .order_by(Lot.expiry, Product.name, Lot.id)
        .limit(limit)
        .subquery()
        for key, condition in conditions.items()
    ]
    # SQLite takes no LIMIT inside a compound select: each panel's few lots are a subquery.
    top = union_all(*(select(t) for t in tops)).subquery()
    rows = db.session.execute(
        select(top.c.panel, top.c.total, Lot.id, Lot.lot_number, Lot.expiry, Lot.on_hand, Product.name, Product.unit)
        .join(top, top.c.id == Lot.id)
        .join(Lot.product)
        .order_by(Lot.expiry, Product.name, Lot.id)
    ).all()
    totals, lots = {}, defaultdict(list)
    for key, total, *lot in rows:
        totals[key] = total
        lots[key].append(PanelLot(*lot))
    return {key: Panel(totals.get(key, 0), lots[key]) for key in conditions}


def _alert_conditions(today: date, warning_days: int) -> dict[str, ColumnElement[bool]]:
    return {
        LotDisplayStatus.EXPIRED: status_condition(LotDisplayStatus.EXPIRED, today, 0),
        LotDisplayStatus.EXPIRING: status_condition(LotDisplayStatus.EXPIRING, today, warning_days),
        LotDisplayStatus.QUARANTINED: Lot.status == LotStatus.QUARANTINED,
        LotDisplayStatus.RECALLED: Lot.status == LotStatus.RECALLED,
    }


def expired_lots(today: date, limit: int = TOP) -> Panel:
    """Available lots past their expiry that still hold stock: to be wasted or returned."""
    expired = LotDisplayStatus.EXPIRED
    return lot_panels({expired: status_condition(expired, today, 0)}, limit)[expired]


def expiring_lots(today: date, warning_days: int, limit: int = TOP) -> Panel:
    """Available lots expiring today or within the warning window: to be used first."""
    expiring = LotDisplayStatus.EXPIRING
    return lot_panels({expiring: status_condition(expiring, today, warning_days)}, limit)[expiring]


def held_lots(status: str, limit: int = TOP) -> Panel:
    """Quarantined or recalled lots that still hold stock."""
    return lot_panels({status: Lot.status == status}, limit)[status]


def below_reorder(today: date, limit: int = TOP) -> Panel:
    """Products whose available, unexpired stock is under their reorder level, summed in SQL.

    The usable stock is summed per product over the lots in stock first, then joined to the
    products: the sum reads an index of lots in stock, not every lot ever received.
    """
    usable = (
        select(Lot.product_id, func.sum(Lot.on_hand).label("usable"))
        .where(Lot.status == LotStatus.AVAILABLE, Lot.expiry >= today, IN_STOCK)
        .group_by(Lot.product_id)
        .subquery()
    )
    on_hand = type_coerce(func.coalesce(usable.c.usable, 0), QUANTITY)
    rows = db.session.execute(
        select(Product.id, Product.name, Product.unit, on_hand.label("on_hand"), Product.reorder_level,
               func.count().over().label("total"))
        .outerjoin(usable, usable.c.product_id == Product.id)
        .where(Product.reorder_level.is_not(None), Product.retired.is_(False), on_hand < Product.reorder_level)
        .order_by(Product.name)
        .limit(limit)
    ).all()
    return Panel(
        rows[0].total if rows else 0,
        [ReorderRow(row.id, row.name, row.unit, Decimal(row.on_hand), row.reorder_level) for row in rows],
    )


def value_by_category() -> list[CategoryValue]:
    """SUM(on hand × unit cost) per product category, over every lot that holds stock.

    Summed per product first (over the lots in stock), then per category over the products.
    """
    per_product = (
        select(
            Lot.product_id,
            func.sum(Lot.on_hand * Lot.unit_cost).label("value"),
            func.count().label("lots"),
            func.sum(case((Lot.unit_cost.is_(None), 1), else_=0)).label("without_cost"),
        )
        # Every status (the CHECK allows no other): naming them lets SQLite read the in-stock status index.
        .where(IN_STOCK, Lot.status.in_(list(LotStatus)))
        .group_by(Lot.product_id)
        .subquery()
    )
    value = type_coerce(func.coalesce(func.sum(per_product.c.value), 0), QUANTITY)
    rows = db.session.execute(
        select(
            Product.category,
            value.label("value"),
            func.sum(per_product.c.lots).label("lots"),
            func.sum(per_product.c.without_cost).label("without_cost"),
        )
        .join(per_product, per_product.c.product_id == Product.id)
        .group_by(Product.category)
    ).all()
    categories = [
        CategoryValue(row.category, Decimal(row.value).quantize(CENTS), int(row.lots), int(row.without_cost or 0))
        for row in rows
    ]
    return sorted(categories, key=lambda c: (-c.value, c.category))


def _month_start(day: date, months_ahead: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months_ahead
    return date(index // 12, index % 12 + 1, 1)


def expiry_by_month(today: date, months: int = 12) -> list[MonthExpiry]:
    """Units and value expiring in each of the next months (this one first), recalled lots aside.

    SQL groups by expiry date (at most one row a day); Python buckets the days by month.
    """
    end = _month_start(today, months)
    # CAST: SQLite stores whole quantities as integers and would divide 3 by 2 as 1.
    units = func.sum(cast(Lot.on_hand, Float) / cast(Product.unit_size, Float))
    rows = db.session.execute(
        select(Lot.expiry, units.label("units"), func.sum(Lot.on_hand * Lot.unit_cost).label("value"))
        .join(Lot.product)
        # Not recalled, named as the other two statuses so that the in-stock status index serves it.
        .where(IN_STOCK, Lot.status.in_((LotStatus.AVAILABLE, LotStatus.QUARANTINED)),
               Lot.expiry >= today, Lot.expiry < end)
        .group_by(Lot.expiry)
    ).all()
    buckets = {_month_start(today, i): [ZERO, ZERO] for i in range(months)}
    for expiry, day_units, day_value in rows:
        bucket = buckets[_month_start(expiry)]
        bucket[0] += Decimal(str(day_units or 0))
        bucket[1] += Decimal(str(day_value or 0))
    return [
        MonthExpiry(month, units.quantize(Decimal("0.1")), value.quantize(CENTS))
        for month, (units, value) in buckets.items()
    ]


@dataclass(frozen=True)
class StockDashboard:
    """Every stock panel of the dashboard for one day."""

    today: date
    warning_days: int
    expired: Panel
    expiring: Panel
    below_reorder: Panel
    quarantined: Panel
    recalled: Panel
    values: list[CategoryValue]
    months: list[MonthExpiry]

    @property
    def total_value(self) -> Decimal:
        """The value of all stock on hand, at unit cost."""
        return sum((c.value for c in self.values), ZERO)


def stock_dashboard(today: date, warning_days: int) -> StockDashboard:
    """All the stock panels: four aggregate queries (the four lot panels share one)."""
    panels = lot_panels(_alert_conditions(today, warning_days))
    return StockDashboard(
        today=today,
        warning_days=warning_days,
        expired=panels[LotDisplayStatus.EXPIRED],
        expiring=panels[LotDisplayStatus.EXPIRING],
        below_reorder=below_reorder(today),
        quarantined=panels[LotDisplayStatus.QUARANTINED],
        recalled=panels[LotDisplayStatus.RECALLED],
        values=value_by_category(),
        months=expiry_by_month(today),
    )
