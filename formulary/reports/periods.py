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


@dataclass(frozen=True)
class Run:
    """Consecutive rows of one span of the outflow sums (stock/outflow_models.py): days, weeks or months."""

    span: str  # "day", "week" or "month", as the sums name their spans
    first: date  # the first row's start (a week's Monday, a month's first day)
    last: date | None  # the last row's start; None: every row from `first` on


def runs(start: date, end: date | None) -> list[Run]:
    """The days from start to end (None: with no end) as few rows of the sums: whole months, then whole weeks at
    the edges, then single days."""
    first_month = period_start(start, Period.MONTH)
    if first_month < start:
        first_month = next_period(first_month, Period.MONTH)
    if end is None:
        return [*weeks_and_days(start, first_month - timedelta(days=1)), Run("month", first_month, None)]
    past_months = period_start(end + timedelta(days=1), Period.MONTH)  # the first month not whole by `end`
    if first_month >= past_months:
        return weeks_and_days(start, end)
    months = Run("month", first_month, period_start(past_months - timedelta(days=1), Period.MONTH))
    return [*weeks_and_days(start, first_month - timedelta(days=1)), months, *weeks_and_days(past_months, end)]


def weeks_and_days(start: date, end: date) -> list[Run]:
    """The days from start to end (none when end is before start) as whole weeks, and single days around them."""
    if end < start:
        return []
    first_week = start + timedelta(days=-start.weekday() % 7)  # the first Monday on or after start
    # The Monday after the last whole week: the day after `end` if it is a Sunday, else the Monday before it.
    past_weeks = end + timedelta(days=1) - timedelta(days=(end.weekday() + 1) % 7)
    if first_week >= past_weeks:
        return [Run("day", start, end)]
    found = [Run("week", first_week, past_weeks - timedelta(days=7))]
    if first_week > start:
        found.insert(0, Run("day", start, first_week - timedelta(days=1)))
    if past_weeks <= end:
        found.append(Run("day", past_weeks, end))
    return found


def period_runs(rng: ReportRange) -> list[Run]:
    """The range's days as rows of the sums that each lie within one of its periods (a week row never straddles
    two months, a month row is never read for weeks), joined where they follow on."""
    found: list[Run] = []
    for first in rng.periods():
        last = next_period(first, rng.by) - timedelta(days=1)
        for run in runs(max(first, rng.start), min(last, rng.end)):
            if found and found[-1].span == run.span and found[-1].last is not None \
                    and _next_start(found[-1].last, run.span) == run.first:
                found[-1] = Run(run.span, found[-1].first, run.last)
            else:
                found.append(run)
    return found


def _next_start(start: date, span: str) -> date:
    if span == "month":
        return next_period(start, Period.MONTH)
    return start + timedelta(days=7 if span == "week" else 1)


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
