"""Administering a prepared session: which preparation it uses, and the session draws it records."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from formulary.clinic_time import local_text
from formulary.extensions import db
from formulary.treatments.drawing import SessionError
from formulary.treatments.models import SessionDraw, TreatmentSession
from formulary.treatments.preparation_models import Preparation
from formulary.vocabulary import PreparationStatus


class PreparationRefused(SessionError):
    """A preparation that may not be administered (another patient's, past its use-by, wasted): a 409."""


def aware(moment: datetime) -> datetime:
    """A stored time as UTC-aware (SQLite gives naive datetimes back)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def refusal(session: TreatmentSession, preparation: Preparation, now: datetime) -> str | None:
    """Why this preparation may not be given in this session now, in the clinic's words, or None."""
    if preparation.session_id != session.id:
        other = preparation.session
        if other.patient_id != session.patient_id:
            return (f"Preparation PREP-{preparation.id} is for {other.patient.name}, not {session.patient.name}: "
                    "do not inject it.")
        return f"Preparation PREP-{preparation.id} was made for session #{other.id}, not this one."
    if preparation.status == PreparationStatus.WASTED:
        return f"Preparation PREP-{preparation.id} was wasted ({preparation.waste_reason}): it cannot be used."
    if preparation.status == PreparationStatus.ADMINISTERED:
        return f"Preparation PREP-{preparation.id} was already administered."
    if aware(preparation.use_by) < now:
        return (f"Preparation PREP-{preparation.id} is past its use-by ({local_text(preparation.use_by)}): "
                "waste it and prepare again.")
    return None


def live_preparation(session: TreatmentSession) -> Preparation | None:
    """The session's latest preparation still waiting to be administered, if any."""
    return db.session.scalar(
        select(Preparation).where(Preparation.session_id == session.id,
                                  Preparation.status == PreparationStatus.PREPARED)
        .order_by(Preparation.id.desc()).limit(1)
    )


def preparation_to_administer(session: TreatmentSession, preparation_id: int | None,
                              now: datetime) -> Preparation | None:
    """The preparation this administration gives: the one named, or the session's live one; refused when wrong."""
    if preparation_id is not None:
        preparation = db.session.get(Preparation, preparation_id)
        if preparation is None:
            raise SessionError(f"No preparation PREP-{preparation_id}.", "preparation_id")
    else:
        preparation = live_preparation(session)
        if preparation is None:
            return None
    reason = refusal(session, preparation, now)
    if reason is not None:
        raise PreparationRefused(reason, "preparation_id")
    return preparation


def draws_of_preparation(session: TreatmentSession, preparation: Preparation) -> list[SessionDraw]:
    """Record the preparation's draws as the session's (no stock moves: it left the shelf at preparation)."""
    rows = [SessionDraw(session=session, lot_id=d.lot_id, product_id=d.product_id, administered=d.amount,
                        wasted=d.wasted) for d in preparation.draws]
    for row in rows:
        db.session.add(row)
    preparation.status = PreparationStatus.ADMINISTERED
    return rows
