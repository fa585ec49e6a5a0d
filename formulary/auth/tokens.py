"""API bearer tokens: created once, shown once, stored as a hash."""

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from formulary.audit.log import record
from formulary.auth.models import ApiToken, User
from formulary.db import utcnow, writes_after_reading
from formulary.extensions import db

TOKEN_PREFIX = "fmy_"


def token_hash(token: str) -> str:
    """SHA-256 of the token; tokens are long random strings, so a fast hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str, *, actor) -> tuple[ApiToken, str]:
    """Create a token for the user; return the row and the token text, shown only now."""
    name = name.strip() or "API token"
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user=user, name=name[:80], token_hash=token_hash(token), prefix=token[:10])
    db.session.add(row)
    db.session.flush()
    record("token.create", actor=actor, target=row, detail=f"{name} for {user.username}")
    return row, token


def revoke_token(row: ApiToken, *, actor) -> None:
    """Revoke a token; requests that present it get 401 from then on."""
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.flush()
        record("token.revoke", actor=actor, target=row, detail=row.name)


@cache
def _live_token_statement():
    # Every API request reads the token and its user: one statement, built once.
    return (select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))
            .options(joinedload(ApiToken.user)))


def user_for_token(token: str) -> User | None:
    """The active user a live token belongs to, or None (the token dies with its user)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = db.session.scalar(_live_token_statement(), {"token_hash": token_hash(token)})
    if row is None or not row.user.active:
        return None
    user, now = row.user, utcnow()
    # A write per request would serialise every API read; a rough "last used" is enough. It is written
    # in a short transaction of its own, so that a request that reads first (db.reads_first) still can.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        with writes_after_reading(db.session):
            row.last_used_at = now
    return user
