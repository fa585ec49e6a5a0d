"""The stock figures of the dashboard: three aggregate queries, whatever the size of the stock.

The panels read plain columns, not Lot and Product objects: the page shows a few names and
figures, and loading mapped objects into the session would cost more than the queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache

from sqlalchemy import Date, Integer, Select, bindparam, func, literal, select, union_all

from formulary.catalogue.models import Product
from formulary.clinic_time import clinic_today
from formulary.extensions import db
from formulary.stock.counting import CountsOverdue
from formulary.stock.expiry_months import MonthExpiry, expiry_by_month
from formulary.stock.models import IN_STOCK, Lot
from formulary.stock.product_sums import CategoryValue, product_sums
from formulary.stock.queries import status_window
from formulary.vocabulary import LotDisplayStatus, LotStatus

ZERO = Decimal(0)
TOP = 5
ALERTS = (LotDisplayStatus.EXPIRED, LotDisplayStatus.EXPIRING, LotDisplayStatus.QUARANTINED, LotDisplayStatus.RECALLED)
COUNT_DAYS = 90  # lots not counted in this many days are overdue; the page passes the clinic's setting


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


@cache
def _alert_statement() -> Select:
    """The four alert panels' lots in one statement, built once (the day, the window's end and the limit bound).

    Each panel's count and ordering run over lot ids and product names only (an inner query);
    the columns shown are then read for the few lots kept, not for every lot that matches.
    The panels share one statement: for most of them, sending and reading a statement costs
    more than running it.
    """
    today, until = bindparam("today", type_=Date), bindparam("until", type_=Date)
    conditions = {
        LotDisplayStatus.EXPIRED: status_window(LotDisplayStatus.EXPIRED, today, today),
        LotDisplayStatus.EXPIRING: status_window(LotDisplayStatus.EXPIRING, today, until),
        LotDisplayStatus.QUARANTINED: Lot.status == LotStatus.QUARANTINED,
        LotDisplayStatus.RECALLED: Lot.status == LotStatus.RECALLED,
    }
    tops = [
        select(literal(key).label("panel"), Lot.id, func.count().over().label("total"))
        .join(Lot.product)
        .where(condition, IN_STOCK)
        .order_by(Lot.expiry, Product.name, Lot.id)
        .limit(bindparam("limit", type_=Integer))
        .subquery()
        for key, condition in conditions.items()
    ]
    # SQLite takes no LIMIT inside a compound select: each panel's few lots are a subquery.
    top = union_all(*(select(t) for t in tops)).subquery()
    return (
        select(top.c.panel, top.c.total, Lot.id, Lot.lot_number, Lot.expiry, Lot.on_hand, Product.name, Product.unit)
        .join(top, top.c.id == Lot.id)
        .join(Lot.product)
        .order_by(Lot.expiry, Product.name, Lot.id)
    )


def alert_panels(today: date, warning_days: int, limit: int = TOP) -> dict[str, Panel]:
    """Lots expired, expiring within the window, quarantined, recalled (with stock): the count and the
    earliest-expiring few of each, by display status."""
    rows = db.session.execute(_alert_statement(),
                              {"today": today, "until": today + timedelta(days=warning_days), "limit": limit})
    totals, lots = {}, defaultdict(list)
    for key, total, *lot in rows:
        totals[key] = total
        lots[key].append(PanelLot(*lot))
    return {key: Panel(totals.get(key, 0), lots[key]) for key in ALERTS}


def expired_lots(today: date, limit: int = TOP) -> Panel:
    """Available lots past their expiry that still hold stock: to be wasted or returned."""
    return alert_panels(today, 0, limit)[LotDisplayStatus.EXPIRED]


def expiring_lots(today: date, warning_days: int, limit: int = TOP) -> Panel:
    """Available lots expiring today or within the warning window: to be used first."""
    return alert_panels(today, warning_days, limit)[LotDisplayStatus.EXPIRING]


def held_lots(status: str, limit: int = TOP) -> Panel:
    """Quarantined or recalled lots that still hold stock."""
    return alert_panels(clinic_today(), 0, limit)[status]


def below_reorder(today: date, limit: int = TOP) -> Panel:
    """Products whose available, unexpired stock is under their reorder level (the first few by name)."""
    sums = product_sums(today, COUNT_DAYS, reorder_limit=limit)
    return Panel(sums.below_reorder_count, sums.below_reorder)


def value_by_category(today: date | None = None) -> list[CategoryValue]:
    """SUM(on hand × unit cost) per product category over every lot that holds stock, largest first."""
    return product_sums(today or clinic_today(), COUNT_DAYS).values


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
    overdue: CountsOverdue
    holds_until: datetime  # the figures depend on the moment only through the counts overdue: see ProductSums

    @property
    def total_value(self) -> Decimal:
        """The value of all stock on hand, at unit cost."""
        return sum((c.value for c in self.values), ZERO)


def stock_dashboard(today: date, warning_days: int, count_days: int = COUNT_DAYS) -> StockDashboard:
    """All the stock panels: three statements (the four lot panels share one, the three sums per product another)."""
    panels = alert_panels(today, warning_days)
    sums = product_sums(today, count_days)
    return StockDashboard(
        today=today,
        warning_days=warning_days,
        expired=panels[LotDisplayStatus.EXPIRED],
        expiring=panels[LotDisplayStatus.EXPIRING],
        below_reorder=Panel(sums.below_reorder_count, sums.below_reorder),
        quarantined=panels[LotDisplayStatus.QUARANTINED],
        recalled=panels[LotDisplayStatus.RECALLED],
        values=sums.values,
        months=expiry_by_month(today),
        overdue=sums.overdue,
        holds_until=sums.holds_until,
    )
