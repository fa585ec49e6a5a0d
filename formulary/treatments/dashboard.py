"""The dashboard's session panels: the next two weeks with their check status, and sessions stock cannot serve.

A bounded number of queries whatever the bookings: the next sessions with their recipes, their
latest checks, and the lots of every product they use, once; FEFO then runs in Python.
"""

from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from formulary.cocktails.models import CocktailComponent, CocktailVersion
from formulary.cocktails.stock import lot_stocks
from formulary.extensions import db
from formulary.stock.errors import fmt_quantity
from formulary.stock.fefo import plan_draw
from formulary.treatments.display import CheckState, check_state, session_states
from formulary.treatments.models import TreatmentSession

HORIZON_DAYS = 14
CAP = 50  # the stock forecast looks at the next 50 sessions at most
OPEN = ("planned", "checked")


@dataclass(frozen=True)
class UpcomingRow:
    """A session of the next two weeks and its latest check's status."""

    session: TreatmentSession
    state: CheckState


@dataclass(frozen=True)
class ShortRow:
    """A booked session that the stock left after the earlier bookings cannot serve on its day."""

    session: TreatmentSession
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


def _next_sessions(today: date) -> list[TreatmentSession]:
    return list(db.session.scalars(
        select(TreatmentSession)
        .where(TreatmentSession.status.in_(OPEN), TreatmentSession.scheduled_for >= today)
        .order_by(TreatmentSession.scheduled_for, TreatmentSession.id)
        .limit(CAP + 1)
        .options(
            joinedload(TreatmentSession.patient),
            joinedload(TreatmentSession.cocktail_version).options(
                joinedload(CocktailVersion.cocktail),
                selectinload(CocktailVersion.components).selectinload(CocktailComponent.product),
            ),
        )
    ))


def stock_shortfalls(sessions: list[TreatmentSession]) -> list[ShortRow]:
    """Serve the sessions in date order from the lots on hand; those the remaining stock cannot cover.

    A session that is short draws nothing, so it does not make later ones look short as well.
    """
    product_ids = {c.product_id for s in sessions for c in s.cocktail_version.components}
    lots = {pid: list(stocks) for pid, stocks in lot_stocks(product_ids).items()} if product_ids else {}
    rows = []
    for session in sessions:
        plans, short = [], []
        for component in session.cocktail_version.components:
            product = component.product
            plan = plan_draw(lots.get(product.id, ()), component.amount, session.scheduled_for,
                             margin_days=product.expiry_margin_days, single_use=product.single_use,
                             unit_size=product.unit_size if product.single_use else None)
            plans.append((product.id, plan))
            if not plan.covered:
                short.append(f"{product.name}: short by {fmt_quantity(plan.shortage)} {product.unit}")
        if short:
            rows.append(ShortRow(session, tuple(short)))
            continue
        for product_id, plan in plans:
            taken = {draw.lot_id: draw.taken for draw in plan.draws}
            lots[product_id] = [replace(lot, on_hand=lot.on_hand - taken.get(lot.lot_id, 0))
                                for lot in lots[product_id]]
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
        upcoming_count=count, blocked=stock_shortfalls(sessions), horizon=horizon,
        looked_at=len(sessions), capped=capped,
    )
