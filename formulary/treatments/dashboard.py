"""The dashboard's session panels: the next two weeks with their check status, and sessions stock cannot serve.

A bounded number of queries whatever the bookings: the next sessions, their recipes, their
latest checks, and the lots of every product they use, once; FEFO then runs in Python. The
sessions and recipes are read as plain columns: the panels show names and dates, and ORM
objects with their relationships would cost more than the FEFO forecast itself.
"""

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from formulary.catalogue.models import Product
from formulary.cocktails.models import Cocktail, CocktailComponent, CocktailVersion
from formulary.extensions import db
from formulary.patients.models import Patient
from formulary.stock.errors import fmt_quantity
from formulary.stock.fefo import LotStock, plan_draw
from formulary.stock.queries import lot_stocks
from formulary.treatments.display import CheckState, check_state, session_states
from formulary.treatments.models import TreatmentSession

HORIZON_DAYS = 14
CAP = 50  # the stock forecast looks at the next 50 sessions at most
OPEN = ("planned", "checked")


@dataclass(frozen=True)
class Named:
    """A patient or a cocktail as the panels name it."""

    id: int
    name: str


@dataclass(frozen=True)
class BookedComponent:
    """One component of a booked recipe, with what FEFO needs of its product."""

    product_id: int
    product_name: str
    unit: str
    amount: Decimal
    single_use: bool
    unit_size: Decimal
    margin_days: int


@dataclass(frozen=True)
class BookedVersion:
    """The cocktail version a session is booked with, and its components in recipe order."""

    id: int
    cocktail: Named
    components: tuple[BookedComponent, ...]


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


def _recipes(version_ids) -> dict[int, tuple[BookedComponent, ...]]:
    """The components of each version with their products' FEFO settings (one query)."""
    rows = db.session.execute(
        select(CocktailComponent.version_id, CocktailComponent.product_id, Product.name, Product.unit,
               CocktailComponent.amount, Product.single_use, Product.unit_size, Product.expiry_margin_days)
        .join(Product, Product.id == CocktailComponent.product_id)
        .where(CocktailComponent.version_id.in_(list(version_ids)))
        .order_by(CocktailComponent.version_id, CocktailComponent.position, CocktailComponent.id)
    )
    recipes = defaultdict(list)
    for version_id, *component in rows:
        recipes[version_id].append(BookedComponent(*component))
    return {version_id: tuple(items) for version_id, items in recipes.items()}


def _next_sessions(today: date) -> list[BookedSession]:
    """The open sessions from today on, in date order, one more than CAP to tell whether there are more."""
    rows = db.session.execute(
        select(TreatmentSession.id, TreatmentSession.scheduled_for, Patient.id, Patient.name,
               CocktailVersion.id.label("version_id"), Cocktail.id, Cocktail.name)
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .join(CocktailVersion, CocktailVersion.id == TreatmentSession.cocktail_version_id)
        .join(Cocktail, Cocktail.id == CocktailVersion.cocktail_id)
        .where(TreatmentSession.status.in_(OPEN), TreatmentSession.scheduled_for >= today)
        .order_by(TreatmentSession.scheduled_for, TreatmentSession.id)
        .limit(CAP + 1)
    ).all()
    recipes = _recipes({row.version_id for row in rows}) if rows else {}
    versions, sessions = {}, []
    for session_id, day, patient_id, patient_name, version_id, cocktail_id, cocktail_name in rows:
        if version_id not in versions:  # sessions booked with one version share its recipe
            versions[version_id] = BookedVersion(version_id, Named(cocktail_id, cocktail_name),
                                                 recipes.get(version_id, ()))
        sessions.append(BookedSession(session_id, day, Named(patient_id, patient_name), versions[version_id]))
    return sessions


def stock_shortfalls(sessions: list[BookedSession], today: date) -> list[ShortRow]:
    """Serve the sessions in date order from the lots on hand; those the remaining stock cannot cover.

    A session that is short draws nothing, so it does not make later ones look short as well.
    """
    product_ids = {c.product_id for s in sessions for c in s.cocktail_version.components}
    # Lots that expired before today can serve no session from today on: FEFO would skip them all.
    found = lot_stocks(product_ids, expiring_from=today) if product_ids else {}
    # Each product's lots by id: a draw replaces only the lots it takes from.
    lots: dict[int, dict[int, LotStock]] = {pid: {lot.lot_id: lot for lot in stocks} for pid, stocks in found.items()}
    rows = []
    for session in sessions:
        plans, short = [], []
        for c in session.cocktail_version.components:
            plan = plan_draw(lots.get(c.product_id, {}).values(), c.amount, session.scheduled_for,
                             margin_days=c.margin_days, single_use=c.single_use,
                             unit_size=c.unit_size if c.single_use else None)
            plans.append((c.product_id, plan))
            if not plan.covered:
                short.append(f"{c.product_name}: short by {fmt_quantity(plan.shortage)} {c.unit}")
        if short:
            rows.append(ShortRow(session, tuple(short)))
            continue
        for product_id, plan in plans:
            stock = lots[product_id]
            for draw in plan.draws:
                lot = stock[draw.lot_id]
                stock[draw.lot_id] = replace(lot, on_hand=lot.on_hand - draw.taken)
    return rows


def session_dashboard(today: date) -> SessionDashboard:
    """The next two weeks' sessions with their check status, and the next sessions stock cannot serve."""
    horizon = today + timedelta(days=HORIZON_DAYS)
    sessions = _next_sessions(today)
    capped = len(sessions) > CAP
    sessions = sessions[:CAP]
    soon = [s for s in sessions if s.scheduled_for <= horizon]
    count = len(soon)
    if capped and soon and len(soon) == len(sessions):  # more in the fortnight than were loaded
        count = db.session.scalar(select(func.count(TreatmentSession.id)).where(
            TreatmentSession.status.in_(OPEN), TreatmentSession.scheduled_for.between(today, horizon)))
    states = session_states(s.id for s in soon)
    return SessionDashboard(
        upcoming=[UpcomingRow(s, states.get(s.id) or check_state(None)) for s in soon],
        upcoming_count=count, blocked=stock_shortfalls(sessions, today), horizon=horizon,
        looked_at=len(sessions), capped=capped,
    )
