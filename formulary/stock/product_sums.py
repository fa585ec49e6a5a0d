"""The dashboard's sums over the stock in hand, per product, in one statement: the value by category,
the products under their reorder level, and the lots overdue for a count by storage place.

All three add up the same ~10,000 lots in stock (at 100× data). Each lot is read once, from the
in-stock index in product order (it holds every column read), and summed per product; the three
panels are then grouped from those ~1,000 product rows in the same statement. PostgreSQL without a
visibility map reads the lot rows themselves: once instead of three times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache

from sqlalchemy import Date, Integer, String, bindparam, cast, func, literal, null, select, type_coerce, union_all

from formulary.catalogue.models import Product
from formulary.db import utcnow
from formulary.extensions import db
from formulary.stock.counting import OVERDUE_LISTED, CountsOverdue, OverduePlace, not_counted_since
from formulary.stock.models import IN_STOCK, QUANTITY, Lot
from formulary.vocabulary import LotStatus

CENTS = Decimal("0.01")
CATEGORY, STORAGE, REORDER = "category", "storage", "reorder"


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
class ProductSums:
    """The three panels summed per product: values by category (largest first), the first products under
    their reorder level (by name) and how many there are, the lots overdue for a count."""

    values: list[CategoryValue]
    below_reorder: list[ReorderRow]
    below_reorder_count: int
    overdue: CountsOverdue
    # Until when these figures hold unless the stock changes: the first moment a lot in stock counted within the
    # interval falls overdue, or the next UTC midnight (when lots never counted and received the day before do).
    holds_until: datetime


def _per_product(today, since, since_day):
    """Per product, over its lots in stock: value, lots (and those with a cost), usable stock (available, not
    expired), the lots overdue for a count (not counted since `since`, or never and received before its day),
    those never counted, their oldest receipt, the oldest count of all (overdue if before `since`), and the
    oldest count that is not overdue (the next to fall overdue as time passes).

    Each FILTER costs SQLite about as much as reading the lots once: the two that need none are
    asked without (lots with a cost, the oldest count).
    """
    usable = (Lot.status == LotStatus.AVAILABLE) & (Lot.expiry >= today)
    overdue = not_counted_since(since, since_day)
    return (
        select(
            Lot.product_id,
            func.sum(Lot.on_hand * Lot.unit_cost).label("value"),
            func.count().label("lots"),
            func.count(Lot.unit_cost).label("costed"),
            func.sum(Lot.on_hand).filter(usable).label("usable"),
            func.count().filter(overdue).label("overdue"),
            func.count().filter(Lot.counted_at.is_(None), Lot.received_on < since_day).label("never"),
            func.min(Lot.counted_at).label("oldest_count"),
            func.min(Lot.received_on).filter(overdue).label("oldest_receipt"),
            func.min(Lot.counted_at).filter(Lot.counted_at >= since).label("next_count"),
        )
        .where(IN_STOCK)
        .group_by(Lot.product_id)
        .cte("per_product")  # read three times: PostgreSQL and SQLite compute it once
    )


COLUMNS = ("panel", "name", "amount", "level", "lots", "lots2", "oldest_count", "oldest_receipt", "product_id", "unit")


def _branch(*columns):
    """One panel's columns, labelled alike in every branch of the UNION."""
    return select(*(column.label(name) for column, name in zip(columns, COLUMNS, strict=True)))


def _nothing(column_type):
    # A typed NULL: each branch of the UNION fills its own columns, and PostgreSQL wants every column typed alike.
    return cast(null(), column_type)


@cache
def _statement():
    """The three groupings as one UNION, built once: the day, the count interval's start and the limit are bound."""
    per = _per_product(bindparam("today", type_=Date), bindparam("since", type_=Lot.counted_at.type),
                       bindparam("since_day", type_=Date))
    usable = type_coerce(func.coalesce(per.c.usable, 0), QUANTITY)
    level, counted_at, received_on = Product.reorder_level.type, Lot.counted_at.type, Lot.received_on.type
    categories = (
        # The category rows carry the oldest count not yet overdue in the count's column (no other branch needs it).
        _branch(literal(CATEGORY), Product.category, type_coerce(func.coalesce(func.sum(per.c.value), 0), QUANTITY),
                _nothing(level), func.sum(per.c.lots), func.sum(per.c.lots - per.c.costed), func.min(per.c.next_count),
                _nothing(received_on), _nothing(Integer), _nothing(String))
        .join(per, per.c.product_id == Product.id)
        .group_by(Product.category)
    )
    overdue_lots = func.sum(per.c.overdue)
    places = (  # a place's rank (most overdue lots first) rides in the product id's column
        _branch(literal(STORAGE), Product.storage, _nothing(QUANTITY), _nothing(level), overdue_lots,
                func.sum(per.c.never), func.min(per.c.oldest_count), func.min(per.c.oldest_receipt),
                func.row_number().over(order_by=(overdue_lots.desc(), Product.storage)), _nothing(String))
        .join(per, per.c.product_id == Product.id)
        .where(per.c.overdue > 0)
        .group_by(Product.storage)
    )
    reorder = (  # all of them counted; a product's rank by name rides in the second count's column
        _branch(literal(REORDER), Product.name, usable, Product.reorder_level, func.count().over(),
                func.row_number().over(order_by=Product.name), _nothing(counted_at), _nothing(received_on),
                Product.id, Product.unit)
        .outerjoin(per, per.c.product_id == Product.id)
        .where(Product.reorder_level.is_not(None), Product.retired.is_(False), usable < Product.reorder_level)
        .order_by(Product.name)
        .limit(bindparam("limit", type_=Integer))
        .subquery()  # SQLite takes no LIMIT inside a compound select
    )
    return union_all(categories, places, select(reorder))


def product_sums(today: date, count_days: int, *, now: datetime | None = None, reorder_limit: int = 5) -> ProductSums:
    """The three panels for the day, lots not counted in `count_days` being overdue: one statement."""
    now = now or utcnow()
    since = now - timedelta(days=count_days)
    rows = db.session.execute(_statement(),
                              {"today": today, "since": since, "since_day": since.date(), "limit": reorder_limit})
    return _panels(rows, count_days, since, now)


def _panels(rows, count_days: int, since: datetime, now: datetime) -> ProductSums:
    values, places, reorder, reorder_count = [], [], [], 0
    holds_until = datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time.min, tzinfo=UTC)
    for panel, name, amount, level, lots, lots2, oldest_count, oldest_receipt, product_id, unit in rows:
        if panel == CATEGORY:
            values.append(CategoryValue(name, Decimal(amount).quantize(CENTS), int(lots), int(lots2 or 0)))
            if oldest_count is not None:  # the oldest count in the category not yet overdue
                holds_until = min(holds_until, oldest_count + timedelta(days=count_days))
        elif panel == STORAGE:
            # The oldest count of the place's products is an overdue lot's when it is before `since`; else none is.
            oldest_count = oldest_count if oldest_count is not None and oldest_count < since else None
            places.append((product_id, *_place(name, int(lots), int(lots2 or 0), oldest_count, oldest_receipt)))
        else:
            reorder_count = int(lots)
            reorder.append((int(lots2), ReorderRow(product_id, name, unit, Decimal(amount), level)))
    places.sort()
    overdue = CountsOverdue(count_days, sum(place.lots for _, place, _ in places),
                            sum(never for _, _, never in places), [place for _, place, _ in places[:OVERDUE_LISTED]])
    return ProductSums(sorted(values, key=lambda c: (-c.value, c.category)), [row for _, row in sorted(reorder)],
                       reorder_count, overdue, holds_until)


def _place(storage: str | None, lots: int, never: int, oldest_count: datetime | None,
           oldest_receipt: date | None) -> tuple[OverduePlace, int]:
    """A storage place's overdue lots, with how many were never counted: their receipt is when they were last seen."""
    oldest = oldest_count.date() if oldest_count is not None else None
    if never and oldest_receipt is not None and (oldest is None or oldest_receipt < oldest):
        oldest = oldest_receipt
    return OverduePlace(storage or "", lots, oldest), never
