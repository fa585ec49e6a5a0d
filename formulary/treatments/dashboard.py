"""The dashboard's session panels: the next two weeks with their check status, and sessions stock cannot serve.

A bounded number of queries whatever the bookings: the next sessions, their recipes, their
latest checks, and the lots of every product they use, once; FEFO then runs in Python. The
sessions and recipes are read as plain columns: the panels show names and dates, and ORM
objects with their relationships would cost more than the FEFO forecast itself.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from formulary.cocktails.lines import RecipeLine
from formulary.cocktails.models import Cocktail, CocktailVersion
from formulary.cocktails.queries import recipe_lines
from formulary.extensions import db
from formulary.patients.models import Patient
from formulary.stock.draws import lot_stocks, sealed_supply
from formulary.stock.errors import fmt_quantity
from formulary.stock.fefo import serve_in_turn, unsure_products
from formulary.treatments.display import CheckState, Outcome, check_state, session_outcome, session_states
from formulary.treatments.models import TreatmentSession
from formulary.vocabulary import OPEN_SESSION_STATUSES, SessionStatus

HORIZON_DAYS = 14
CAP = 50  # the stock forecast looks at the next 50 sessions at most


@dataclass(frozen=True)
class Named:
    """A patient or a cocktail as the panels name it."""

    id: int
    name: str


@dataclass(frozen=True)
class BookedVersion:
    """The cocktail version a session is booked with, and its components in recipe order."""

    id: int
    cocktail: Named
    components: tuple[RecipeLine, ...]


@dataclass(frozen=True)
class BookedSession:
    """A planned or checked session, as the panels show it (the template reads it like the model)."""

    id: int
    scheduled_for: date
    patient: Named
    cocktail_version: BookedVersion


@dataclass(frozen=True)
class UpcomingRow:
    """A session of the next two weeks and its latest check's status."""

    session: BookedSession
    state: CheckState

    @property
    def outcome(self) -> Outcome:
        """What matters in a word: Ready, Blocked, Needs acknowledgement, Not checked (the session is open)."""
        return session_outcome(SessionStatus.PLANNED, self.state)


@dataclass(frozen=True)
class ShortRow:
    """A booked session that the stock left after the earlier bookings cannot serve on its day."""

    session: BookedSession
    shortages: tuple[str, ...]  # "Vitamin Complex B 2 mL: short by 1 mL"


@dataclass(frozen=True)
class SessionDashboard:
    """Both panels, and how far they look."""

    upcoming: list[UpcomingRow]
    upcoming_count: int
    blocked: list[ShortRow]
    horizon: date
    looked_at: int  # sessions the stock forecast covered (at most CAP)
    capped: bool


def _next_sessions(today: date) -> list[BookedSession]:
    """The open sessions from today on, in date order, one more than CAP to tell whether there are more."""
    rows = db.session.execute(
        select(TreatmentSession.id, TreatmentSession.scheduled_for, Patient.id, Patient.name,
               CocktailVersion.id.label("version_id"), Cocktail.id, Cocktail.name)
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .join(CocktailVersion, CocktailVersion.id == TreatmentSession.cocktail_version_id)
        .join(Cocktail, Cocktail.id == CocktailVersion.cocktail_id)
        .where(TreatmentSession.status.in_(OPEN_SESSION_STATUSES), TreatmentSession.scheduled_for >= today)
        .order_by(TreatmentSession.scheduled_for, TreatmentSession.id)
        .limit(CAP + 1)
    ).all()
    recipes = recipe_lines({row.version_id for row in rows})
    versions, sessions = {}, []
    for session_id, day, patient_id, patient_name, version_id, cocktail_id, cocktail_name in rows:
        if version_id not in versions:  # sessions booked with one version share its recipe
            versions[version_id] = BookedVersion(version_id, Named(cocktail_id, cocktail_name),
                                                 recipes.get(version_id, ()))
        sessions.append(BookedSession(session_id, day, Named(patient_id, patient_name), versions[version_id]))
    return sessions


def stock_shortfalls(sessions: list[BookedSession], today: date) -> list[ShortRow]:
    """Serve the sessions in date order from the lots on hand; those the remaining stock cannot cover.

    A session that is short draws nothing, so it does not make later ones look short as well. Only
    the products that might run short are replayed (fefo.unsure_products): one aggregate query
    rules out the others, and their lots are never read.
    """
    product_ids = {line.product_id for s in sessions for line in s.cocktail_version.components}
    if not product_ids:
        return []
    unsure = _unsure_products(sessions, product_ids)
    if not unsure:
        return []
    # Lots that expired before today can serve no session from today on: FEFO would skip them all.
    lots = lot_stocks(unsure, expiring_from=today)
    lines = [[line for line in s.cocktail_version.components if line.product_id in unsure] for s in sessions]
    needs = ([line.need(s.scheduled_for) for line in session_lines] for s, session_lines in zip(sessions, lines,
                                                                                               strict=True))
    return [
        ShortRow(session, tuple(
            f"{line.product_name}: short by {fmt_quantity(plan.shortage)} {line.unit}"
            for line, plan in zip(session_lines, turn.plans, strict=True) if not plan.covered
        ))
        for session, session_lines, turn in zip(sessions, lines, serve_in_turn(needs, lots), strict=True)
        if not turn.served
    ]


def _unsure_products(sessions: list[BookedSession], product_ids: set[int]) -> set[int]:
    """The products whose sealed stock, usable to the last booking, may not cover the most the bookings take."""
    last = max(s.scheduled_for for s in sessions)
    margin = max(line.margin_days for s in sessions for line in s.cocktail_version.components)
    needs = [[line.need(s.scheduled_for) for line in s.cocktail_version.components] for s in sessions]
    return unsure_products(needs, sealed_supply(product_ids, last + timedelta(days=margin)))


def session_dashboard(today: date) -> SessionDashboard:
    """The next two weeks' sessions with their check status, and the next sessions stock cannot serve."""
    horizon = today + timedelta(days=HORIZON_DAYS)
    sessions = _next_sessions(today)
    capped = len(sessions) > CAP
    sessions = sessions[:CAP]
    soon = [s for s in sessions if s.scheduled_for <= horizon]
    count = len(soon)
    if capped and soon and len(soon) == len(sessions):  # more in the fortnight than were loaded
        count = db.session.execute(select(func.count(TreatmentSession.id)).where(
            TreatmentSession.status.in_(OPEN_SESSION_STATUSES), TreatmentSession.scheduled_for.between(today, horizon)
        )).scalar_one()
    states = session_states(s.id for s in soon)
    return SessionDashboard(
        upcoming=[UpcomingRow(s, states.get(s.id) or check_state(None)) for s in soon],
        upcoming_count=count, blocked=stock_shortfalls(sessions, today), horizon=horizon,
        looked_at=len(sessions), capped=capped,
    )
