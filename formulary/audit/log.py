"""Writing to the audit trail, from the domain layer (never from templates or views).

The trail knows nothing of users and roles: an actor is anything with an `id` and a `username`.
"""

from typing import Protocol

from flask import has_request_context, request

from formulary.audit.models import AuditEvent
from formulary.db import writes_after_reading
from formulary.extensions import db


class Actor(Protocol):
    """Who did it, as the trail needs to know them (auth's User is one)."""

    id: int
    username: str


class Record(Protocol):
    """What it was done to: any model instance with an `id`."""

    # Read-only, so that a model whose id is `int` fits as well as one whose id may be None.
    @property
    def id(self) -> int | None: ...


def request_address() -> str:
    """Where the change came from: the client's address, or "cli" outside a request."""
    if has_request_context():
        return (request.remote_addr or "unknown")[:64]
    return "cli"


def record(
    action: str,
    *,
    actor: Actor | None = None,
    target: Record | None = None,
    detail: str = "",
    username: str = "",
) -> AuditEvent:
    """Add one audit row in the current transaction; the caller's commit makes it stick.

    `target` is any model instance with an `id`; keep `detail` free of clinical content
    (the record it points to holds that, under its own access rules).
    """
    event = _event(action, actor, target, detail, username)
    db.session.add(event)
    return event


def record_after_reading(
    action: str, *, actor: Actor | None = None, target: Record | None = None, detail: str = ""
) -> None:
    """Add one audit row for a request that only read, and commit it (db.writes_after_reading).

    On SQLite the reading transaction ends first, so the write lock is held for this one row, not
    for the whole page (two such pages then run side by side). Call it after rendering: the commit
    expires what the request loaded.
    """
    event = _event(action, actor, target, detail, "")
    with writes_after_reading(db.session):
        db.session.add(event)


def _event(
    action: str, actor: Actor | None, target: Record | None, detail: str, username: str
) -> AuditEvent:
    if target is not None and target.id is None:
        db.session.flush()
    return AuditEvent(
        user_id=actor.id if actor is not None else None,
        username=(actor.username if actor is not None else username)[:64],
        action=action,
        record_type=type(target).__name__ if target is not None else None,
        record_id=target.id if target is not None else None,
        detail=detail[:500],
        address=request_address(),
    )
