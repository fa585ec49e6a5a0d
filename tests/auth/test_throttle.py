"""The login throttle's rule, on plain values: no app needed."""

from datetime import UTC, datetime, timedelta

import pytest

from formulary.auth.throttle import Failures, Policy, Refusal, first_refusal, refusal, wait_after

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
PAIR = Policy(max_failures=5, window=timedelta(minutes=15), free_failures=2, slowdown=timedelta(seconds=2))


@pytest.mark.parametrize(("count", "wait"), [(0, 0), (1, 0), (2, 0), (3, 2), (4, 4), (5, 8)])
def test_each_failure_past_the_free_ones_doubles_the_wait(count, wait):
    assert wait_after(count, PAIR) == timedelta(seconds=wait)


@pytest.mark.parametrize(("count", "seconds_ago", "expected"), [
    (0, None, None),
    (2, 0, None),  # two typos cost nothing
    (3, 1, Refusal(until=NOW + timedelta(seconds=1), locked=False)),
    (3, 2, None),
    (4, 3, Refusal(until=NOW + timedelta(seconds=1), locked=False)),
    (5, 60, Refusal(until=NOW + timedelta(minutes=14), locked=True)),
    (9, 899, Refusal(until=NOW + timedelta(seconds=1), locked=True)),
    (9, 900, None),  # the lock has run its course, and the count is forgotten
])
def test_refusal_table(count, seconds_ago, expected):
    last = None if seconds_ago is None else NOW - timedelta(seconds=seconds_ago)
    assert refusal(Failures(count, last), NOW, PAIR) == expected


def test_a_policy_without_slowdown_only_locks():
    address = Policy(max_failures=20, window=timedelta(minutes=15))
    assert refusal(Failures(19, NOW), NOW, address) is None
    assert refusal(Failures(20, NOW), NOW, address).locked


def test_the_longest_refusal_wins_and_minutes_round_up():
    short, long = Refusal(NOW + timedelta(seconds=2), False), Refusal(NOW + timedelta(minutes=3), True)
    assert first_refusal(None, short, long) == long and first_refusal(None, None) is None
    assert long.seconds_left(NOW - timedelta(milliseconds=300)) == 181
