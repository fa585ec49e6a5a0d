"""The audit trail table (one row per change that matters, never updated or deleted) and its tallies."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from formulary.db import utcnow
from formulary.extensions import Model


class AuditEvent(Model):
    """Who did what to which record, when (UTC) and from where."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_at", "at"),
        Index("ix_audit_event_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    # The name as it was, so the row reads the same after a user is renamed.
    username: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64))
    record_type: Mapped[str | None] = mapped_column(String(64))
    record_id: Mapped[int | None]
    detail: Mapped[str] = mapped_column(String(500), default="")
    address: Mapped[str] = mapped_column(String(64), default="")


class AuditTally(Model):
    """How often one repeated event came from one address in one window (the trail holds one row for it).

    The audit trail is append-only, so a flood of the same event is counted here instead of
    being written row by row.
    """

    __tablename__ = "audit_tally"
    __table_args__ = (UniqueConstraint("action", "address", "window_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    window_start: Mapped[datetime]
    count: Mapped[int]
    last_at: Mapped[datetime] = mapped_column(index=True)
