"""A report's date range and period: read from a form or a query string, refused in words naming the field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum


class Period(StrEnum):
    """How a report groups the days of its range."""

    WEEK = "week"
    MONTH = "month"


MAX_YEARS = 10
DEFAULT_DAYS = 91  # about a quarter


class BadReportInput(ValueError):
    """A report's input the user must correct; `field` names it (from, to, by, product_id)."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ReportRange:
    """The days a report covers (both included) and how it groups them."""

    start: date
    end: date
    by: Period

    @property
    def since(self) -> datetime:
        """The first instant of the range (days are UTC days, as the ledger's times are stored)."""
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def until(self) -> datetime:
        """The first instant after the range."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)

    @property
    def days(self) -> int:
        """How many days the range holds."""
        return (self.end - self.start).days + 1

    def periods(self) -> list[date]:
        """The first day of every period that touches the range, in order (a week starts on Monday)."""
        first = period_start(self.start, self.by)
        out = []
        while first <= self.end:
            out.append(first)
            first = next_period(first, self.by)
        return out

    def label(self, start: date) -> str:
        """A period as the clinic reads it: 2026-03 for a month, 2026-W09 for a week."""
        return period_label(start, self.by)


def period_start(day: date, by: Period) -> date:
    """The first day of the week (Monday) or month holding `day`."""
    if by == Period.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_period(start: date, by: Period) -> date:
    """The first day of the period after the one starting on `start`."""
    if by == Period.WEEK:
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def period_label(start: date, by: Period) -> str:
    """2026-03 for a month, 2026-W09 (ISO week) for a week."""
    if by == Period.WEEK:
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{start:%Y-%m}"


FIRST_YEAR, LAST_YEAR = 1900, 2999


def _day(value: str | date | None, field: str, default: date) -> date:
    if value is None or value == "":
        return default
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise BadReportInput(f"'{value}' is not a date: write it as YYYY-MM-DD.", field) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise BadReportInput(f"{day} is out of reach: give a year from {FIRST_YEAR} to {LAST_YEAR}.", field)
    return day


def parse_range(start: str | date | None, end: str | date | None, by: str | None, today: date) -> ReportRange:
    """The range asked for (default: the last 91 days up to today, by month), or BadReportInput naming the field."""
    end_day = _day(end, "to", today)
    start_day = _day(start, "from", end_day - timedelta(days=DEFAULT_DAYS - 1))
    if start_day > end_day:
        raise BadReportInput(
            f"The range runs backwards: 'from' ({start_day}) is after 'to' ({end_day}).", "from")
    if end_day.month == 2 and end_day.day == 29:
        limit = date(end_day.year - MAX_YEARS, 2, 28)
    else:
        limit = end_day.replace(year=end_day.year - MAX_YEARS)
    if start_day < limit:
        raise BadReportInput(
            f"The range is longer than {MAX_YEARS} years: 'from' must be {limit} or later.", "from")
    period = (by or Period.MONTH).strip().lower()
    if period not in set(Period):
        raise BadReportInput(f"Unknown period '{by}': choose week or month.", "by")
    return ReportRange(start_day, end_day, Period(period))
