"""Opened units of multi-dose lots: where part of a lot's on-hand sits, once a vial is opened.

The ledger (lot.on_hand, the movements) stays the one truth of how much there is; an opened unit
says how much of it is in a vial already opened, since when, and until when it may be drawn.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from formulary.db import utcnow
from formulary.extensions import Model
from formulary.stock.models import QUANTITY, Lot


class OpenedUnit(Model):
    """A multi-dose unit (vial) opened by a first draw: when, by whom, for which session, what is left."""

    __tablename__ = "opened_unit"
    __table_args__ = (
        CheckConstraint("content_left >= 0", name="content_left_not_negative"),
        # The units that still hold something are the only ones FEFO and the dashboard read.
        Index("ix_opened_unit_holding", "lot_id", "use_by",
              sqlite_where=text("content_left > 0"), postgresql_where=text("content_left > 0")),
        Index("ix_opened_unit_use_by", "use_by",
              sqlite_where=text("content_left > 0"), postgresql_where=text("content_left > 0")),
        Index("ix_opened_unit_discarded_at", "discarded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The clinic's day it was opened (the day of the draw): the in-use expiry counts from it.
    opened_on: Mapped[date]
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_session.id"), index=True)
    # The in-use expiry set when it was opened (the earlier of the lot's expiry and opened + shelf life);
    # read through in_use_expiry again so that a shorter shelf life set later moves it earlier, never later.
    use_by: Mapped[date]
    content_left: Mapped[Decimal] = mapped_column(QUANTITY)
    discarded_at: Mapped[datetime | None]
    discarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    discard_reason: Mapped[str] = mapped_column(Text, default="")
    discarded_content: Mapped[Decimal] = mapped_column(QUANTITY, default=Decimal(0))  # what was thrown away

    lot: Mapped[Lot] = relationship()
    opened_by = relationship("User", foreign_keys=[opened_by_id])
    discarded_by = relationship("User", foreign_keys=[discarded_by_id])
