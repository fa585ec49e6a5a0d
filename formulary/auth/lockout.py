"""Failed logins counted in the database: which attempts to refuse, which locks to lift, who is under attack."""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, delete, literal, select

from formulary.audit.log import Actor, record
from formulary.auth.models import LoginThrottle, User
from formulary.auth.throttle import Failures, Policy, Refusal, first_refusal, is_stale, refusal
from formulary.clinic_time import local_time_text
from formulary.db import UTCDateTime, insert_for, rowcount
from formulary.extensions import db
from formulary.vocabulary import ThrottleScope

CLEANUP_BATCH = 100


class LoginThrottled(Exception):
    """A login attempt refused, without checking the password, after recent failures."""

    def __init__(self, scope: ThrottleScope, refused: Refusal, now: datetime):
        self.scope, self.refusal = scope, refused
        seconds = refused.seconds_left(now)
        minutes = -(-seconds // 60)
        if not refused.locked:
            text = f"Too many failed logins in a row: wait {seconds} seconds, then try again."
        elif scope == ThrottleScope.ACCOUNT_FROM_ADDRESS:
            text = (
                f"Too many failed logins for this account from your address. Try again in {minutes} "
                "minutes, or ask an admin to unlock the account."
            )
        else:
            text = f"Too many failed logins from your address. Try again in {minutes} minutes."
        super().__init__(text)


def policies() -> dict[ThrottleScope, Policy]:
    """Each counter's policy, from the configuration."""
    config = current_app.config
    window = timedelta(minutes=config["LOGIN_THROTTLE_MINUTES"])
    return {
        ThrottleScope.ACCOUNT_FROM_ADDRESS: Policy(
            max_failures=config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
            window=window,
            free_failures=config["LOGIN_FREE_FAILURES"],
            slowdown=timedelta(seconds=config["LOGIN_SLOWDOWN_SECONDS"]),
        ),
        ThrottleScope.ADDRESS: Policy(max_failures=config["LOGIN_MAX_FAILURES_PER_ADDRESS"], window=window),
        ThrottleScope.ACCOUNT: Policy(max_failures=config["LOGIN_ATTACK_FAILURES"], window=window),
    }


def _keys(username: str, user: User | None, address: str) -> dict[ThrottleScope, str]:
    # A typed name that is no user's may be a password typed in the wrong box: only its keyed hash
    # is kept, and a known name is keyed the same way, so a lock tells nobody which names exist.
    secret = current_app.config["SECRET_KEY"].encode()
    name = hmac.new(secret, username.encode(), hashlib.sha256).hexdigest()[:40]
    keys = {ThrottleScope.ACCOUNT_FROM_ADDRESS: f"pair:{name}:{address}", ThrottleScope.ADDRESS: f"address:{address}"}
    if user is not None:
        keys[ThrottleScope.ACCOUNT] = f"account:{user.id}"
    return keys


def check_allowed(username: str, user: User | None, address: str, now: datetime) -> None:
    """Raise LoginThrottled if this account from this address, or this address, must wait or is locked."""
    rules = policies()
    keys = _keys(username, user, address)
    rows = {
        row.key: row
        for row in db.session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys.values())))
    }
    refusals = {}
    for scope in (ThrottleScope.ACCOUNT_FROM_ADDRESS, ThrottleScope.ADDRESS):
        row = rows.get(keys[scope])
        if row is not None:
            refusals[scope] = refusal(Failures(row.failures, row.last_failure_at), now, rules[scope])
    worst = first_refusal(*refusals.values())
    if worst is not None:
        scope = next(s for s, r in refusals.items() if r == worst)
        raise LoginThrottled(scope, worst, now)


def count_failure(username: str, user: User | None, address: str, now: datetime) -> None:
    """Count a failed login on every counter it concerns; audit a lock, and an attack, once each."""
    rules = policies()
    for scope, key in _keys(username, user, address).items():
        count = _bump(key, scope, user, address, now, rules[scope].window)
        if count != rules[scope].max_failures:
            continue
        until = local_time_text(now + rules[scope].window)
        if scope == ThrottleScope.ACCOUNT_FROM_ADDRESS and user is not None:
            record("login.locked", target=user, username=user.username,
                   detail=f"{count} wrong passwords from {address}: refused from there until {until}")
        elif scope == ThrottleScope.ADDRESS:
            record("login.address_locked",
                   detail=f"{count} failed logins from this address: all refused from it until {until}")
        elif scope == ThrottleScope.ACCOUNT and user is not None:
            record("login.attack", target=user, username=user.username,
                   detail=f"{count} wrong passwords for {user.username} within "
                          f"{rules[scope].window.seconds // 60} minutes, from any address")
    _forget_stale(now, max(rule.window for rule in rules.values()))


def _bump(key: str, scope: ThrottleScope, user: User | None, address: str, now: datetime,
          window: timedelta) -> int:
    # One statement adds the failure, or starts afresh after a quiet window, on every app server.
    table = LoginThrottle.__table__
    at = literal(now, UTCDateTime())
    stale = table.c.last_failure_at <= literal(now - window, UTCDateTime())
    statement = insert_for(db.session, table).values(
        key=key, scope=scope.value, user_id=user.id if user is not None else None,
        address=address if scope != ThrottleScope.ACCOUNT else "",
        failures=1, first_failure_at=now, last_failure_at=now,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "failures": case((stale, 1), else_=table.c.failures + 1),
            "first_failure_at": case((stale, at), else_=table.c.first_failure_at),
            "last_failure_at": at,
        },
    ).returning(table.c.failures)
    return db.session.execute(statement).scalar_one()


def _forget_stale(now: datetime, window: timedelta) -> None:
    # Counters nobody has touched for a window mean nothing; a few go with each failure. SKIP LOCKED
    # (PostgreSQL) never waits on a counter another login is updating, so two logins never deadlock.
    stale = (
        select(LoginThrottle.id)
        .where(LoginThrottle.last_failure_at <= now - window)
        .limit(CLEANUP_BATCH)
        .with_for_update(skip_locked=True)
    )
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.id.in_(stale)))


def forget_failures(username: str, user: User, address: str) -> None:
    """After a good login, forget this address's failures for the account (not the address's own)."""
    key = _keys(username, user, address)[ThrottleScope.ACCOUNT_FROM_ADDRESS]
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


def lift_locks(user: User, *, actor: Actor | None) -> int:
    """Lift every lock on the account, from every address; audited when there was one. Returns how many."""
    lifted = rowcount(db.session.execute(
        delete(LoginThrottle).where(LoginThrottle.user_id == user.id)
    ))
    if lifted:
        record("login.unlock", actor=actor, target=user, detail=f"login locks on {user.username} lifted")
    return lifted


def lift_address_lock(address: str, *, actor: Actor | None) -> int:
    """Lift the lock on an address that tried many accounts; audited when there was one."""
    lifted = rowcount(db.session.execute(
        delete(LoginThrottle).where(LoginThrottle.scope == ThrottleScope.ADDRESS, LoginThrottle.address == address)
    ))
    if lifted:
        record("login.unlock", actor=actor, detail=f"login lock on the address {address} lifted")
    return lifted


@dataclass(frozen=True)
class Attack:
    """An account being guessed at, as the admins' users page shows it."""

    user: User
    failures: int  # wrong passwords within the window, from every address
    since: datetime
    locked_addresses: list[str]
    locked_until: datetime | None


def attacks(now: datetime) -> tuple[list[Attack], list[LoginThrottle]]:
    """Accounts under attack (a locked address, or many failures), and addresses locked out of all."""
    rules = policies()
    rows = db.session.scalars(
        select(LoginThrottle).where(LoginThrottle.last_failure_at > now - rules[ThrottleScope.ACCOUNT].window)
    ).all()

    def locked(row: LoginThrottle) -> bool:
        rule = rules[ThrottleScope(row.scope)]
        return row.failures >= rule.max_failures and not is_stale(
            Failures(row.failures, row.last_failure_at), now, rule)

    pair_window = rules[ThrottleScope.ACCOUNT_FROM_ADDRESS].window
    found = []
    for account in (r for r in rows if r.scope == ThrottleScope.ACCOUNT):
        pairs = [r for r in rows if r.scope == ThrottleScope.ACCOUNT_FROM_ADDRESS and r.user_id == account.user_id]
        locks = [r for r in pairs if locked(r)]
        if locks or account.failures >= rules[ThrottleScope.ACCOUNT].max_failures:
            assert account.user is not None  # an account's counter always names its user
            until = max((r.last_failure_at + pair_window for r in locks), default=None)
            found.append(Attack(account.user, account.failures, account.first_failure_at,
                                sorted(r.address for r in locks), until))
    blocked = [r for r in rows if r.scope == ThrottleScope.ADDRESS and locked(r)]
    return sorted(found, key=lambda a: a.user.username), blocked
