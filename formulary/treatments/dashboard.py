"""The dashboard's session panels: the next two weeks with their check status, and sessions stock cannot serve.

A bounded number of queries whatever the bookings: the next sessions, their recipes, their
latest checks, and the lots of every product they use, once; FEFO then runs in Python. The
sessions and recipes are read as plain columns: the panels show names and dates, and ORM
objects with their relationships would cost more than the FEFO forecast itself.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache

from sqlalchemy import Date, Integer, Select, bindparam, func, select

from formulary.cocktails.lines import RecipeLine
from formulary.cocktails.models import Cocktail, CocktailComponent, CocktailVersion
from formulary.cocktails.queries import recipe_lines
from formulary.extensions import db
from formulary.patients.models import Patient
from formulary.stock.draws import lot_stocks
from formulary.stock.errors import fmt_quantity
from formulary.stock.fefo import Need, serve_in_turn, unsure_products
from formulary.stock.models import IN_STOCK, Lot
from formulary.treatments.display import CheckState, Outcome, check_state, session_outcome, session_states
from formulary.treatments.models import TreatmentSession
from formulary.vocabulary import OPEN_SESSION_STATUSES, LotStatus, SessionStatus

HORIZON_DAYS = 14
CAP = 50  # the stock forecast looks at the next 50 sessions at most
LISTED = 10  # the dashboard lists the first ten of the fortnight (their check states read for them only)


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
    starts_at: datetime | None = None  # the appointment's time, when it has one


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


def _booked() -> Select:
    """The open sessions from today on, in date order, at most `cap` of them (the day and cap bound)."""
    return (
        select(TreatmentSession.id, TreatmentSession.scheduled_for, TreatmentSession.starts_at,
               TreatmentSession.patient_id, TreatmentSession.cocktail_version_id.label("version_id"))
        .where(TreatmentSession.status.in_(OPEN_SESSION_STATUSES),
               TreatmentSession.scheduled_for >= bindparam("today", type_=Date))
        .order_by(TreatmentSession.scheduled_for, TreatmentSession.id)
        .limit(bindparam("cap", type_=Integer))
    )


@cache
def _next_statement() -> Select:
    """The next sessions with their patients' and cocktails' names, and how many open sessions the fortnight
    holds (it may hold more than the sessions read), built once."""
    booked = _booked().subquery()
    fortnight = (
        select(func.count(TreatmentSession.id))
        .where(TreatmentSession.status.in_(OPEN_SESSION_STATUSES),
               TreatmentSession.scheduled_for.between(bindparam("today", type_=Date),
                                                      bindparam("horizon", type_=Date)))
        .scalar_subquery()
    )
    return (
        select(booked.c.id, booked.c.scheduled_for, booked.c.starts_at, Patient.id, Patient.name,
               booked.c.version_id, Cocktail.id, Cocktail.name, fortnight)
        .join(Patient, Patient.id == booked.c.patient_id)
        .join(CocktailVersion, CocktailVersion.id == booked.c.version_id)
        .join(Cocktail, Cocktail.id == CocktailVersion.cocktail_id)
        .order_by(booked.c.scheduled_for, booked.c.id)
    )


def _next_sessions(today: date, horizon: date) -> tuple[list[BookedSession], int]:
    """The open sessions from today on, in date order, one more than CAP to tell whether there are more;
    and how many open sessions there are up to the horizon."""
    rows = db.session.execute(_next_statement(), {"today": today, "horizon": horizon, "cap": CAP + 1}).all()
    recipes = recipe_lines({row.version_id for row in rows})
    versions, sessions = {}, []
    for session_id, day, starts_at, patient_id, patient_name, version_id, cocktail_id, cocktail_name, _ in rows:
        if version_id not in versions:  # sessions booked with one version share its recipe
            versions[version_id] = BookedVersion(version_id, Named(cocktail_id, cocktail_name),
                                                 recipes.get(version_id, ()))
        sessions.append(BookedSession(session_id, day, Named(patient_id, patient_name), versions[version_id],
                                      starts_at))
    return sessions, rows[0][-1] if rows else 0


def stock_shortfalls(sessions: list[BookedSession], today: date) -> list[ShortRow]:
    """Serve the sessions in date order from the lots on hand; those the remaining stock cannot cover.

    A session that is short draws nothing, so it does not make later ones look short as well. Only
    the products that might run short are replayed (fefo.unsure_products): one aggregate query
    rules out the others, and their lots are never read.
    """
    if not any(s.cocktail_version.components for s in sessions):
        return []
    needs = _needs(sessions)
    unsure = _unsure_products(sessions, needs, today)
    if not unsure:
        return []
    # Lots that expired before today can serve no session from today on: FEFO would skip them all.
    lots = lot_stocks(unsure, expiring_from=today)
    lines = [[line for line in s.cocktail_version.components if line.product_id in unsure] for s in sessions]
    unsure_needs = ([need for need in session_needs if need.product_id in unsure] for session_needs in needs)
    return [
        ShortRow(session, tuple(
            f"{line.product_name}: short by {fmt_quantity(plan.shortage)} {line.unit}"
            for line, plan in zip(session_lines, turn.plans, strict=True) if not plan.covered
        ))
        for session, session_lines, turn in zip(sessions, lines, serve_in_turn(unsure_needs, lots), strict=True)
        if not turn.served
    ]


def _needs(sessions: list[BookedSession]) -> list[tuple[Need, ...]]:
    """What each session needs, line by line: sessions of one day booked with one version share theirs."""
    found: dict[tuple[int, date], tuple[Need, ...]] = {}
    for s in sessions:
        key = (s.cocktail_version.id, s.scheduled_for)
        if key not in found:
            found[key] = tuple(line.need(s.scheduled_for) for line in s.cocktail_version.components)
    return [found[(s.cocktail_version.id, s.scheduled_for)] for s in sessions]


@cache
def _sealed_statement() -> Select:
    """Per product booked in the next sessions, its sealed stock in available lots in date through a day.

    The products are named by a subquery of the bookings, not by a list of ids: a hundred and more
    bound ids cost PostgreSQL's driver more than the sum itself. Should a booking change between the
    two statements, a product missing here only counts as unsure and is replayed: never a wrong answer.
    """
    booked = _booked().subquery()
    products = select(CocktailComponent.product_id).where(CocktailComponent.version_id.in_(select(booked.c.version_id)))
    return (
        select(Lot.product_id, func.sum(Lot.on_hand - Lot.opened_content))
        .where(Lot.product_id.in_(products), IN_STOCK, Lot.status == LotStatus.AVAILABLE,
               Lot.expiry >= bindparam("usable_through", type_=Date))
        .group_by(Lot.product_id)
    )


def _unsure_products(sessions: list[BookedSession], needs: list[tuple[Need, ...]], today: date) -> set[int]:
    """The products whose sealed stock, usable to the last booking, may not cover the most the bookings take."""
    last = max(s.scheduled_for for s in sessions)
    margin = max(line.margin_days for s in sessions for line in s.cocktail_version.components)
    sealed = db.session.execute(_sealed_statement(), {"today": today, "cap": len(sessions),
                                                      "usable_through": last + timedelta(days=margin)})
    return unsure_products(needs, {product_id: Decimal(str(total or 0)) for product_id, total in sealed})


def session_dashboard(today: date, listed: int | None = None) -> SessionDashboard:
    """The next two weeks' sessions with their check status (the first `listed`, or all), and the next
    sessions stock cannot serve."""
    horizon = today + timedelta(days=HORIZON_DAYS)
    sessions, count = _next_sessions(today, horizon)
    capped = len(sessions) > CAP
    sessions = sessions[:CAP]
    soon = [s for s in sessions if s.scheduled_for <= horizon][:listed]
    states = session_states(s.id for s in soon)
    return SessionDashboard(
        upcoming=[UpcomingRow(s, states.get(s.id) or check_state(None)) for s in soon],
        upcoming_count=count, blocked=stock_shortfalls(sessions, today), horizon=horizon,
        looked_at=len(sessions), capped=capped,
    )
