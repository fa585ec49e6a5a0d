"""The login throttle's rule, on plain values: how many failures, how fast, before a lock."""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Policy:
    """How one counter of failed logins (an account from one address, or one address) is throttled."""

    max_failures: int  # the failure that locks
    window: timedelta  # failures this old are forgotten, and a lock lasts this long
    free_failures: int = 0  # failures (typos) before each further try must wait
    slowdown: timedelta = timedelta(0)  # the first wait; each further failure doubles it


@dataclass(frozen=True)
class Failures:
    """A counter as stored: how many failures in a row, and when the last one was."""

    count: int = 0
    last_at: datetime | None = None


@dataclass(frozen=True)
class Refusal:
    """A login attempt refused, without looking at the password, until `until`."""

    until: datetime
    locked: bool  # True: the counter reached max_failures; False: only a short wait

    def seconds_left(self, now: datetime) -> int:
        """Whole seconds until the next attempt may be made (at least 1)."""
        return max(1, int((self.until - now).total_seconds() + 0.999))


def is_stale(failures: Failures, now: datetime, policy: Policy) -> bool:
    """Whether the counter is forgotten: no failure, or none within the window."""
    return failures.last_at is None or now - failures.last_at >= policy.window


def wait_after(count: int, policy: Policy) -> timedelta:
    """How long the next attempt must wait after `count` failures: nothing, then 1×, 2×, 4× the slowdown."""
    extra = count - policy.free_failures
    if extra <= 0 or not policy.slowdown:
        return timedelta(0)
    return policy.slowdown * 2 ** (extra - 1)


def refusal(failures: Failures, now: datetime, policy: Policy) -> Refusal | None:
    """Why an attempt made now is refused, or None when it may go ahead."""
    if is_stale(failures, now, policy):
        return None
    assert failures.last_at is not None
    if failures.count >= policy.max_failures:
        return Refusal(until=failures.last_at + policy.window, locked=True)
    wait = wait_after(failures.count, policy)
    if wait and now < failures.last_at + wait:
        return Refusal(until=failures.last_at + wait, locked=False)
    return None


def first_refusal(*refusals: Refusal | None) -> Refusal | None:
    """Of several counters' refusals, the one that lasts longest (None when all allow)."""
    present = [r for r in refusals if r is not None]
    return max(present, key=lambda r: r.until) if present else None
