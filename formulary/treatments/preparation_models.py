"""Preparations: a session's cocktail mixed into syringes, with what went into them. Kept, never edited."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from formulary.db import one_of, utcnow
from formulary.extensions import Model
from formulary.stock.models import QUANTITY, Lot
from formulary.treatments.models import TreatmentSession
from formulary.vocabulary import PreparationStatus


class Preparation(Model):
    """A session's cocktail prepared into syringes: who, when, its use-by, and what became of it."""

    __tablename__ = "preparation"
    __table_args__ = (
        one_of("status", PreparationStatus, "status_known"),
        CheckConstraint("syringes >= 1", name="syringes_positive"),
        Index("ix_preparation_session_id", "session_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_session.id"))
    syringes: Mapped[int] = mapped_column(default=1)
    prepared_at: Mapped[datetime] = mapped_column(default=utcnow)
    prepared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    use_by: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default=PreparationStatus.PREPARED)
    wasted_at: Mapped[datetime | None]
    wasted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    waste_reason: Mapped[str] = mapped_column(Text, default="")

    session: Mapped[TreatmentSession] = relationship()
    prepared_by = relationship("User", foreign_keys=[prepared_by_id])
    wasted_by = relationship("User", foreign_keys=[wasted_by_id])
    draws: Mapped[list["PreparationDraw"]] = relationship(back_populates="preparation",
                                                          order_by="PreparationDraw.id")


class PreparationDraw(Model):
    """What a preparation took from one lot (and opened unit, for a multi-dose vial)."""

    __tablename__ = "preparation_draw"
    __table_args__ = (
        CheckConstraint("amount > 0 AND wasted >= 0", name="amounts_valid"),
        Index("ix_preparation_draw_preparation_id", "preparation_id"),
        Index("ix_preparation_draw_lot_id", "lot_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    preparation_id: Mapped[int] = mapped_column(ForeignKey("preparation.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("opened_unit.id"))
    amount: Mapped[Decimal] = mapped_column(QUANTITY)  # into the syringe
    wasted: Mapped[Decimal] = mapped_column(QUANTITY, default=Decimal(0))  # rest of a single-use unit

    preparation: Mapped[Preparation] = relationship(back_populates="draws")
    lot: Mapped[Lot] = relationship()
    product = relationship("Product")
