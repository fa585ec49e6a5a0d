"""Consent: the clinic's versioned wording, and each session's signed consent, kept as it was signed."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from formulary.db import one_of, utcnow
from formulary.extensions import Model
from formulary.treatments.models import TreatmentSession
from formulary.vocabulary import ConsentMethod


class ConsentWording(Model):
    """One version of the clinic's consent wording; editing it adds the next version, never changes one."""

    __tablename__ = "consent_wording"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    created_by = relationship("User")


class Consent(Model):
    """A session's consent: what the patient was told (the document as generated) and how they signed."""

    __tablename__ = "consent"
    __table_args__ = (
        one_of("method", ConsentMethod, "method_known"),
        CheckConstraint("method = 'paper' OR signature_png IS NOT NULL", name="on_screen_has_signature"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_session.id"), unique=True)
    wording_id: Mapped[int] = mapped_column(ForeignKey("consent_wording.id"))
    method: Mapped[str] = mapped_column(String(10))
    # The document as the patient read it, JSON (formulary.treatments.consent.ConsentDocument).
    document: Mapped[str] = mapped_column(Text)
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    session: Mapped[TreatmentSession] = relationship(back_populates="consent")
    wording: Mapped[ConsentWording] = relationship()
    recorded_by = relationship("User")


@event.listens_for(Consent, "before_update")
@event.listens_for(ConsentWording, "before_update")
def _never_edited(mapper, connection, target) -> None:
    """A signed consent and a wording version are records: a change is a new row, never an edit."""
    raise ValueError(f"{type(target).__name__} #{target.id} is kept as it was signed or written; it is never edited.")
