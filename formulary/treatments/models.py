"""Treatment sessions with their checks, override, draws and reactions: kept for years, never edited."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from formulary.cocktails.models import CocktailVersion
from formulary.db import one_of, utcnow
from formulary.extensions import Model
from formulary.patients.models import Patient
from formulary.stock.models import QUANTITY, Lot
from formulary.vocabulary import CheckOutcome, ReactionSeverity, SessionStatus

# The allowed values as a list, for the filters that still import them from here.
SESSION_STATUSES: list[str] = list(SessionStatus)


class TreatmentSession(Model):
    """One treatment of one patient with one cocktail version on a date, by a practitioner."""

    __tablename__ = "treatment_session"
    __table_args__ = (
        one_of("status", SessionStatus, "status_known"),
        Index("ix_treatment_session_scheduled_for", "scheduled_for"),
        # A patient's sessions by day; with status and id, the check's tolerances read the index alone.
        Index("ix_treatment_session_patient_id", "patient_id", "scheduled_for", "status", "id"),
        # The reports' sessions: administered ones by day, with what they group by; the status too, without
        # which SQLite would read each row to check what the index's condition already says.
        Index("ix_treatment_session_administered", "scheduled_for", "cocktail_version_id", "practitioner_id",
              "status", sqlite_where=text("status = 'administered'"),
              postgresql_where=text("status = 'administered'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    cocktail_version_id: Mapped[int] = mapped_column(ForeignKey("cocktail_version.id"), index=True)
    scheduled_for: Mapped[date]
    practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=SessionStatus.PLANNED)
    areas: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    administered_at: Mapped[datetime | None]
    administered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # An appointment time: the UTC instant of `scheduled_for` at the clinic's wall-clock time
    # (formulary.clinic_time); `scheduled_for` stays the clinic's local date, which stock is checked for.
    starts_at: Mapped[datetime | None]
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"), index=True)

    patient: Mapped[Patient] = relationship()
    cocktail_version: Mapped[CocktailVersion] = relationship()
    practitioner = relationship("User", foreign_keys=[practitioner_id])
    administered_by = relationship("User", foreign_keys=[administered_by_id])
    checks: Mapped[list["SafetyCheck"]] = relationship(back_populates="session", order_by="SafetyCheck.id")
    draws: Mapped[list["SessionDraw"]] = relationship(back_populates="session", order_by="SessionDraw.id")
    reactions: Mapped[list["Reaction"]] = relationship(back_populates="session", order_by="Reaction.id")
    course = relationship("Course", back_populates="sessions")
    consent = relationship("Consent", back_populates="session", uselist=False)


class SafetyCheck(Model):
    """One run of the pre-session check, with its outcome and findings as they were then."""

    __tablename__ = "safety_check"
    __table_args__ = (
        one_of("outcome", CheckOutcome, "outcome_known"),
        Index("ix_safety_check_patient_id", "patient_id", "run_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_session.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    cocktail_version_id: Mapped[int] = mapped_column(ForeignKey("cocktail_version.id"))
    checked_for: Mapped[date]
    outcome: Mapped[str] = mapped_column(String(10))
    # The findings exactly as shown, JSON: a check is a record of what was known then.
    findings: Mapped[str] = mapped_column(Text)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    run_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    acknowledged_at: Mapped[datetime | None]

    session: Mapped[TreatmentSession | None] = relationship(back_populates="checks")
    run_by = relationship("User", foreign_keys=[run_by_id])
    acknowledged_by = relationship("User", foreign_keys=[acknowledged_by_id])
    override: Mapped["Override | None"] = relationship(back_populates="check")


class Override(Model):
    """A blocked check overridden by a role allowed to, with a written reason."""

    __tablename__ = "override"

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("safety_check.id"), unique=True)
    by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text)

    check: Mapped[SafetyCheck] = relationship(back_populates="override")
    by = relationship("User")


class SessionDraw(Model):
    """What a session took from one lot: administered into the patient and wasted."""

    __tablename__ = "session_draw"
    __table_args__ = (
        CheckConstraint("administered >= 0 AND wasted >= 0", name="amounts_not_negative"),
        Index("ix_session_draw_lot_id", "lot_id"),
        # A session's draws; with the product, the check's tolerances read the index alone.
        Index("ix_session_draw_session_id", "session_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_session.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    administered: Mapped[Decimal] = mapped_column(QUANTITY)
    wasted: Mapped[Decimal] = mapped_column(QUANTITY, default=Decimal(0))

    session: Mapped[TreatmentSession] = relationship(back_populates="draws")
    lot: Mapped[Lot] = relationship()
    product = relationship("Product")


class Reaction(Model):
    """A reaction noticed after a session; it can become a recorded allergy in one step."""

    __tablename__ = "reaction"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_session.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(20), default=ReactionSeverity.MILD)
    noted_at: Mapped[datetime] = mapped_column(default=utcnow)
    noted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    allergy_id: Mapped[int | None] = mapped_column(ForeignKey("allergy.id"))

    session: Mapped[TreatmentSession] = relationship(back_populates="reactions")
    noted_by = relationship("User")
    allergy = relationship("Allergy")


class ClinicText(Model):
    """Wording the clinic edits itself, such as the aftercare advice."""

    __tablename__ = "clinic_text"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
