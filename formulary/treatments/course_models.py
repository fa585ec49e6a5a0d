"""A course: the treatment plan of a consultation, whose sessions are booked at an interval."""

from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from formulary.cocktails.models import Cocktail
from formulary.db import utcnow
from formulary.extensions import Model
from formulary.patients.models import Patient


class Course(Model):
    """A patient's plan: goals, a cocktail, a number of sessions every so many days from a first date."""

    __tablename__ = "course"
    __table_args__ = (
        CheckConstraint("session_count > 0", name="sessions_positive"),
        CheckConstraint("interval_days >= 1", name="interval_at_least_a_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    cocktail_id: Mapped[int] = mapped_column(ForeignKey("cocktail.id"))
    goals: Mapped[str] = mapped_column(Text, default="")
    session_count: Mapped[int]
    interval_days: Mapped[int]
    first_on: Mapped[date]
    # The usual time on the clinic's wall clock (each session stores its own UTC start).
    at_time: Mapped[time | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    patient: Mapped[Patient] = relationship()
    cocktail: Mapped[Cocktail] = relationship()
    created_by = relationship("User")
    sessions = relationship("TreatmentSession", back_populates="course",
                            order_by="(TreatmentSession.scheduled_for, TreatmentSession.id)")
