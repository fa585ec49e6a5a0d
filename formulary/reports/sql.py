"""SQL pieces the report queries share: a period's first day on either database, and reading SQLite's floating
sums back as exact decimals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Date, Float, Select, cast, literal, type_coerce, union_all
from sqlalchemy.sql.elements import ColumnElement

from formulary.db import day_of as _day_of
from formulary.db import month_of, week_of
from formulary.extensions import db
from formulary.reports.periods import Period, ReportRange, next_period


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _sqlite() -> bool:
    return _dialect() == "sqlite"


def period_of(column, by: Period) -> ColumnElement:
    """The first day of the week (Monday) or month holding the column's date or time (times by their UTC day)."""
    return (week_of if by == Period.WEEK else month_of)(column, _dialect())


# Beyond this many periods (a range of years by week), one grouped statement: SQLite refuses a compound SELECT of
# more than 500 parts, and planning hundreds costs more than the grouping saves.
MOST_PERIODS_APART = 64


def each_period(rng: ReportRange, day, build: Callable[[ColumnElement, ColumnElement], Select]):
    """One SELECT per period of the range, concatenated: `build(period, within)` gives a period's SELECT from its
    first day (a bound date, to select as the period) and the condition on the date column `day` for its days in
    the range. Grouped per period by a plain key, rows cost SQLite and PostgreSQL about half what grouping the
    whole range by (period expression, key) costs: no expression on each row, no two-part key to sort or hash.
    Over many periods, one SELECT grouped by the period as well."""
    periods = rng.periods()
    if len(periods) > MOST_PERIODS_APART:
        period = period_of(day, rng.by).label("period")
        return build(period, day.between(rng.start, rng.end)).group_by(period)
    parts = []
    for first in periods:
        last = next_period(first, rng.by) - timedelta(days=1)
        parts.append(build(literal(first, Date).label("period"),
                           day.between(max(first, rng.start), min(last, rng.end))))
    return union_all(*parts) if len(parts) > 1 else parts[0]


def day_of(column) -> ColumnElement:
    """A timestamp's calendar day (UTC), comparable with a Date column."""
    return _day_of(column, _dialect())


def as_float(expression) -> ColumnElement:
    """Read a sum as it comes (a float on SQLite, an exact numeric on PostgreSQL); `exact` rounds it back."""
    return type_coerce(expression, Float) if _sqlite() else expression


def as_quantity(expression) -> ColumnElement:
    """A sum of quantities (3 decimals) read as a float on either database: PostgreSQL's numeric cast to double
    precision holds the exact decimal below a billion, and is read faster than a Decimal."""
    return type_coerce(expression, Float) if _sqlite() else cast(expression, Float)


def exact(value, places: int) -> Decimal:
    """A sum as an exact decimal: PostgreSQL's numeric as is; SQLite's float scaled back to the places its terms
    have (quantities 3, quantity × unit cost 7), which recovers the exact sum of stored decimals (far below
    2⁵³ of the last place: a clinic's sums are)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    return Decimal(round(float(value) * 10**places)).scaleb(-places)


def as_date(value) -> date:
    """A period's first day as either database returns it (a date, or SQLite's text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
