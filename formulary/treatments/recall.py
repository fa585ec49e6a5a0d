"""Who received a lot: the sessions and patients a recall must reach."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from formulary.extensions import db
from formulary.patients.models import Patient
from formulary.treatments.models import SessionDraw, TreatmentSession
from formulary.vocabulary import SessionStatus


@dataclass(frozen=True)
class RecipientSession:
    """One administered session that drew from the lot."""

    session_id: int
    patient_id: int
    patient_name: str
    patient_reference: str | None
    administered_on: date
    phone: str = ""
    email: str = ""
    contact_ok: bool = False


@dataclass(frozen=True)
class RecipientPatient:
    """A patient a recall must reach, and how."""

    id: int
    name: str
    reference: str | None
    phone: str
    email: str
    contact_ok: bool


@dataclass(frozen=True)
class Recipients:
    """The sessions and the distinct patients that received a lot."""

    sessions: tuple[RecipientSession, ...]
    patients: tuple[RecipientPatient, ...]  # by name


def recipients(lot_id: int) -> Recipients:
    """Every administered session that drew from the lot, with its patient (one query)."""
    rows = db.session.execute(
        select(TreatmentSession.id, Patient.id, Patient.name, Patient.reference, TreatmentSession.scheduled_for,
               Patient.phone, Patient.email, Patient.contact_ok)
        .join(SessionDraw, SessionDraw.session_id == TreatmentSession.id)
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .where(SessionDraw.lot_id == lot_id, TreatmentSession.status == SessionStatus.ADMINISTERED)
        .distinct()
        .order_by(TreatmentSession.scheduled_for, TreatmentSession.id)
    ).all()
    sessions = tuple(RecipientSession(*row) for row in rows)
    patients: dict[int, RecipientPatient] = {}
    for s in sessions:
        patients.setdefault(s.patient_id, RecipientPatient(s.patient_id, s.patient_name, s.patient_reference,
                                                           s.phone, s.email, s.contact_ok))
    return Recipients(sessions, tuple(sorted(patients.values(), key=lambda p: p.name)))
