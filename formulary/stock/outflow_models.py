"""What left stock, summed as the ledger is written (stock/outflows.py keeps these rows; the reports read them).

A cached figure of the ledger, never written by hand: administer and waste movements summed per product and day,
week or month, per day for the whole clinic (with the waste's reason), and per cocktail version and day of the
sessions that made them. Quantities and
values are positive (what left stock); value is quantity × the lot's unit cost (a lot without a cost adds none).
"""

from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from formulary.db import one_of
from formulary.extensions import Model

# Room for a chain's years of movements: sums, not single quantities (Numeric(14, 3)) or costs (Numeric(12, 4)).
SUMMED_QUANTITY = Numeric(18, 3)
SUMMED_VALUE = Numeric(22, 7)  # quantity (3 decimals) × unit cost (4): exact to 7 decimals
REASON_LENGTH = 200  # a waste's reason as summed: lower case, trimmed, its first 200 characters


class Span(StrEnum):
    """How many days a product's outflow row sums: a day, a week (from Monday) or a month. A report's range is
    read as whole months, whole weeks at its edges, and single days at the very edges."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


# Read only by the SQL that keeps and reads them: no ORM object of these is ever loaded or changed.
class ProductOutflow(Model):
    """What of one product left stock in a day, week or month: administered, wasted before its lot's expiry day,
    discarded after it (expired), each as a quantity and its value."""

    __tablename__ = "product_outflow"
    __table_args__ = (
        one_of("span", Span, "span_known"),
        # Clustered on its key on SQLite: a report's range is one stretch of it, read without a second lookup.
        {"sqlite_with_rowid": False},
    )

    span: Mapped[str] = mapped_column(String(5), primary_key=True)
    start: Mapped[date] = mapped_column(primary_key=True)  # the day, the week's Monday, the month's first day (UTC)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), primary_key=True)
    administered: Mapped[Decimal] = mapped_column(SUMMED_QUANTITY)
    wasted: Mapped[Decimal] = mapped_column(SUMMED_QUANTITY)
    expired: Mapped[Decimal] = mapped_column(SUMMED_QUANTITY)
    administered_value: Mapped[Decimal] = mapped_column(SUMMED_VALUE)
    wasted_value: Mapped[Decimal] = mapped_column(SUMMED_VALUE)
    expired_value: Mapped[Decimal] = mapped_column(SUMMED_VALUE)


class DailyOutflow(Model):
    """What the whole clinic administered and wasted on one day, a row per kind and cause of waste."""

    __tablename__ = "daily_outflow"
    __table_args__ = ({"sqlite_with_rowid": False},)

    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    expired: Mapped[bool] = mapped_column(primary_key=True)
    by_session: Mapped[bool] = mapped_column(primary_key=True)  # a session's movement (a waste: its remainder)
    # A waste neither expired nor a session's: the reason written, as the report groups it; otherwise empty.
    reason: Mapped[str] = mapped_column(String(REASON_LENGTH), primary_key=True)
    movements: Mapped[int]
    quantity: Mapped[Decimal] = mapped_column(SUMMED_QUANTITY)
    value: Mapped[Decimal] = mapped_column(SUMMED_VALUE)


class SessionDayCost(Model):
    """What the sessions of one cocktail version on one day (the day they were booked for) drew from stock,
    administered and wasted, at each lot's unit cost."""

    __tablename__ = "session_day_cost"
    __table_args__ = ({"sqlite_with_rowid": False},)

    day: Mapped[date] = mapped_column(primary_key=True)
    cocktail_version_id: Mapped[int] = mapped_column(ForeignKey("cocktail_version.id"), primary_key=True)
    value: Mapped[Decimal] = mapped_column(SUMMED_VALUE)
