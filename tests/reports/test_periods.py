"""The rows of the outflow sums a range reads: every day once, and per period only rows inside that period."""

import random
from datetime import date, timedelta

from formulary.reports.periods import Period, ReportRange, Run, next_period, period_runs, period_start, runs


def rows_of(found: list[Run], until: date) -> list[list[date]]:
    """The days each row of the runs sums, in order (an open run stops after `until`)."""
    rows = []
    for run in found:
        start = run.first
        while start <= (run.last or until):
            if run.span == "month":
                assert start.day == 1, run
                end = next_period(start, Period.MONTH)
            else:
                assert run.span == "day" or start.weekday() == 0, run
                end = start + timedelta(days=7 if run.span == "week" else 1)
            rows.append([start + timedelta(days=n) for n in range((end - start).days)])
            start = end
    return rows


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


RANGES = [(date(2026, 9, 7), date(2026, 12, 6)), (date(2025, 12, 6), date(2026, 12, 6)),
          (date(2026, 2, 1), date(2026, 2, 28)), (date(2026, 1, 31), date(2026, 3, 1))]
rnd = random.Random(17)
RANGES += [(start, start + timedelta(days=rnd.randrange(400)))
           for start in (date(2024, 1, 1) + timedelta(days=rnd.randrange(1000)) for _ in range(300))]


def test_a_range_reads_each_of_its_days_exactly_once():
    for start, end in RANGES:
        assert [day for row in rows_of(runs(start, end), end) for day in row] == days(start, end), (start, end)
        # With no end: every day from the start on, none before it.
        later = end + timedelta(days=40)
        read = [day for row in rows_of(runs(start, None), later) for day in row]
        assert read[: len(days(start, later))] == days(start, later), start
        for by in Period:
            rows = rows_of(period_runs(ReportRange(start, end, by)), end)
            assert [day for row in rows for day in row] == days(start, end), (start, end, by)
            assert all(len({period_start(day, by) for day in row}) == 1 for row in rows), (start, end, by)


def test_whole_months_and_weeks_are_read_as_such():
    assert runs(date(2026, 9, 7), date(2026, 12, 6)) == [
        Run("week", date(2026, 9, 7), date(2026, 9, 21)), Run("day", date(2026, 9, 28), date(2026, 9, 30)),
        Run("month", date(2026, 10, 1), date(2026, 11, 1)), Run("day", date(2026, 12, 1), date(2026, 12, 6))]
    assert period_runs(ReportRange(date(2025, 12, 6), date(2026, 12, 6), Period.WEEK)) == [
        Run("day", date(2025, 12, 6), date(2025, 12, 7)), Run("week", date(2025, 12, 8), date(2026, 11, 30))]
