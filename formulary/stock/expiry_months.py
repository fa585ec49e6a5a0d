"""The dashboard's expiry chart data: what expires in each of the next months, units and value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from sqlalchemy import Date, Float, bindparam, case, cast, func, select

from formulary.catalogue.models import Product
from formulary.extensions import db
from formulary.stock.models import IN_STOCK, Lot
from formulary.vocabulary import LotStatus

CENTS = Decimal("0.01")


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


def _month_start(day: date, months_ahead: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months_ahead
    return date(index // 12, index % 12 + 1, 1)


@cache
def _statement(months: int):
    """Units and value per month of expiry, built once per number of months: the day and the months' first days
    are bound. SQL buckets the lots by month (a CASE over the first days, the same on either database)."""
    starts = [bindparam(f"month_{index}", type_=Date) for index in range(months + 1)]
    month = case(*((Lot.expiry < start, index) for index, start in enumerate(starts[1:])))
    # CAST: SQLite stores whole quantities as integers and would divide 3 by 2 as 1.
    units = func.sum(cast(Lot.on_hand, Float) / cast(Product.unit_size, Float))
    return (
        select(month, units, func.sum(Lot.on_hand * Lot.unit_cost))
        .join(Lot.product)
        # Not recalled, named as the other two statuses so that the in-stock status index serves it.
        .where(IN_STOCK, Lot.status.in_((LotStatus.AVAILABLE, LotStatus.QUARANTINED)),
               Lot.expiry >= bindparam("today", type_=Date), Lot.expiry < starts[-1])
        .group_by(month)
    )


def expiry_by_month(today: date, months: int = 12) -> list[MonthExpiry]:
    """Units and value expiring in each of the next months (this one first), recalled lots aside: a dozen rows
    to read, not one a day."""
    starts = [_month_start(today, i) for i in range(months + 1)]
    params = {f"month_{index}": start for index, start in enumerate(starts)}
    sums = {index: (units, value) for index, units, value in db.session.execute(_statement(months),
                                                                                {"today": today, **params})}
    found = []
    for index, start in enumerate(starts[:-1]):
        units, value = sums.get(index, (0, 0))
        found.append(MonthExpiry(start, Decimal(str(units or 0)).quantize(Decimal("0.1")),
                                 Decimal(str(value or 0)).quantize(CENTS)))
    return found
