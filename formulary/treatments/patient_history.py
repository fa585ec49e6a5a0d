"""A patient's sessions as the patient page lists them: each with its outcome, the lots it gave, its reactions.

A page of sessions costs the same few queries whatever its length: the sessions (cocktail and
practitioner joined), their latest checks, their draws with lots and products, their reactions.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from formulary.cocktails.models import CocktailVersion
from formulary.extensions import db
from formulary.treatments.display import Outcome, session_outcome, session_states
from formulary.treatments.models import Reaction, SessionDraw, TreatmentSession
from formulary.vocabulary import OPEN_SESSION_STATUSES, LotStatus, SessionStatus

PER_PAGE = 10


@dataclass(frozen=True)
class LotGiven:
    """What a session gave from one lot."""

    lot_id: int
    lot_number: str
    product: str
    unit: str
    administered: Decimal
    recalled: bool


@dataclass(frozen=True)
class HistoryRow:
    """One session on the patient page."""

    session: TreatmentSession
    outcome: Outcome
    lots: tuple[LotGiven, ...]
    reactions: tuple[Reaction, ...]
    upcoming: bool


@dataclass(frozen=True)
class PatientHistory:
    """A page of the patient's sessions (newest first) and the counts the page heads with."""

    page: Pagination
    rows: list[HistoryRow]
    planned: int
    given: int


def patient_history(patient_id: int, page: int, today: date, per_page: int = PER_PAGE) -> PatientHistory:
    """The patient's sessions, planned and past, newest first, a page at a time."""
    query = (
        select(TreatmentSession).where(TreatmentSession.patient_id == patient_id)
        .options(joinedload(TreatmentSession.cocktail_version).joinedload(CocktailVersion.cocktail),
                 joinedload(TreatmentSession.practitioner))
        .order_by(TreatmentSession.scheduled_for.desc(), TreatmentSession.id.desc())
    )
    sessions = db.paginate(query, page=max(page, 1), per_page=per_page, error_out=False)
    ids = [s.id for s in sessions.items]
    states = session_states(ids)
    lots: dict[int, list[LotGiven]] = {}
    reactions: dict[int, list[Reaction]] = {}
    if ids:
        draws = db.session.scalars(
            select(SessionDraw).where(SessionDraw.session_id.in_(ids)).order_by(SessionDraw.id)
            .options(joinedload(SessionDraw.lot), joinedload(SessionDraw.product))
        )
        for draw in draws:
            lots.setdefault(draw.session_id, []).append(LotGiven(
                draw.lot_id, draw.lot.lot_number, draw.product.name, draw.product.unit, draw.administered,
                draw.lot.status == LotStatus.RECALLED,
            ))
        for reaction in db.session.scalars(
            select(Reaction).where(Reaction.session_id.in_(ids)).order_by(Reaction.id)
        ):
            reactions.setdefault(reaction.session_id, []).append(reaction)
    counts = dict(db.session.execute(
        select(TreatmentSession.status, func.count()).where(TreatmentSession.patient_id == patient_id)
        .group_by(TreatmentSession.status)
    ).all())
    rows = [
        HistoryRow(s, session_outcome(s.status, states.get(s.id)), tuple(lots.get(s.id, ())),
                   tuple(reactions.get(s.id, ())), s.status in OPEN_SESSION_STATUSES and s.scheduled_for >= today)
        for s in sessions.items
    ]
    planned = sum(n for status, n in counts.items() if status in OPEN_SESSION_STATUSES)
    return PatientHistory(sessions, rows, planned, counts.get(SessionStatus.ADMINISTERED, 0))
