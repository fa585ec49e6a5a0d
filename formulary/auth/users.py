"""Creating, changing and authenticating users: plain functions that flush, never commit."""

import re
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from formulary.audit.log import Actor, record, request_address
from formulary.audit.tally import record_counted
from formulary.auth.lockout import check_allowed, count_failure, forget_failures, lift_locks
from formulary.auth.models import ApiToken, User, new_session_token
from formulary.auth.passwords import check_policy, dummy_hash, hash_password, verify_password
from formulary.auth.permissions import Role
from formulary.auth.tokens import revoke_token
from formulary.db import utcnow
from formulary.extensions import db

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
# Failed logins with unknown usernames: one audit row per address and hour, the rest counted.
UNKNOWN_USER_WINDOW = timedelta(hours=1)


class UserError(ValueError):
    """A user change the rules refuse; str() is the sentence to show."""


def normalize_username(username: str) -> str:
    """Usernames are stored and compared in lower case, without surrounding spaces."""
    return username.strip().lower()


def find_user(username: str) -> User | None:
    """The user with this username (any case), or None."""
    return db.session.scalar(select(User).where(User.username == normalize_username(username)))


def _check_role(role: str) -> str:
    if role not in {r.value for r in Role}:
        raise UserError(f"Unknown role {role!r}: choose one of {', '.join(r.value for r in Role)}.")
    return role


def create_user(username: str, password: str, role: str, *, actor=None, full_name: str = "") -> User:
    """Create an active user after checking the username, role and password policy."""
    username = normalize_username(username)
    if not USERNAME_PATTERN.match(username):
        raise UserError(
            f"Username {username!r} is not valid: use 2–64 letters, digits, dots, dashes "
            "or underscores, starting with a letter or digit."
        )
    if find_user(username) is not None:
        raise UserError(f"A user named {username!r} already exists.")
    _check_role(role)
    check_policy(password, username)
    user = User(
        username=username,
        full_name=full_name.strip(),
        role=role,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    record("user.create", actor=actor, target=user, detail=f"{username} as {role}")
    return user


def _active_admins() -> int:
    return db.session.execute(
        select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active)
    ).scalar_one()


def _guard_last_admin(user: User) -> None:
    if user.role == Role.ADMIN and user.active and _active_admins() <= 1:
        raise UserError(f"{user.username} is the only active admin; make another admin first.")


def set_password(user: User, password: str, *, actor: Actor | None, revoke_tokens: bool = True) -> int:
    """Set a new password: end every login session of the user, lift the locks on their account,
    and (unless told not to) revoke their API tokens. Returns how many tokens were revoked."""
    check_policy(password, user.username)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.session_token = new_session_token()
    db.session.flush()
    record("user.password", actor=actor, target=user, detail=f"password of {user.username} changed")
    lift_locks(user, actor=actor)
    live = live_tokens(user) if revoke_tokens else []
    for token in live:
        revoke_token(token, actor=actor)
    return len(live)


def live_tokens(user: User) -> list[ApiToken]:
    """The user's API tokens that still work."""
    return [token for token in user.tokens if token.revoked_at is None]


def change_role(user: User, role: str, *, actor) -> None:
    """Give the user another role; the last active admin keeps theirs."""
    _check_role(role)
    if role == user.role:
        return
    if role != Role.ADMIN:
        _guard_last_admin(user)
    old = user.role
    user.role = role
    db.session.flush()
    record("user.role", actor=actor, target=user, detail=f"{user.username}: {old} → {role}")


def set_active(user: User, active: bool, *, actor) -> None:
    """Deactivate (refused from the next request on, API tokens revoked) or reactivate a user."""
    if user.active == active:
        return
    if not active:
        if actor is not None and actor.id == user.id:
            raise UserError("You cannot deactivate your own account.")
        _guard_last_admin(user)
        user.session_token = new_session_token()
        # Tokens die with the user: reactivating the account does not bring a leaked one back.
        for token in user.tokens:
            revoke_token(token, actor=actor)
    user.active = active
    db.session.flush()
    action = "user.reactivate" if active else "user.deactivate"
    record(action, actor=actor, target=user, detail=user.username)


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None; failures are counted and audited.

    Raises LoginThrottled, without checking the password, while this account is locked from this
    address (or this address from every account), or while it must wait after recent failures.
    """
    now, address, username = utcnow(), request_address(), normalize_username(username)
    user = find_user(username)
    check_allowed(username, user, address, now)
    if user is None:
        # Spend the same time as a real check, so timing does not reveal who exists.
        verify_password(dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        count_failure(username, None, address, now)
        # What was typed may be a password: not a character of it reaches the trail.
        record_counted("login.failed", now=now, window=UNKNOWN_USER_WINDOW, detail="unknown user")
        return None
    if not verify_password(user.password_hash, password):
        reason = "wrong password"
    elif not user.active:
        reason = "user deactivated"
    else:
        forget_failures(username, user, address)
        record("login", actor=user, target=user)
        return user
    count_failure(username, user, address, now)
    record("login.failed", target=user, username=user.username, detail=reason)
    return None
