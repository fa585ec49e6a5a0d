"""The session report queries: administered sessions per period, by cocktail version, goal or practitioner, with
the stock they drew (kept per version and day as their movements are written: stock/outflows.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import func, literal_column, select

from formulary.auth.models import User
from formulary.catalogue.models import TreatmentGoal
from formulary.cocktails.models import Cocktail, CocktailVersion, version_goal
from formulary.extensions import db
from formulary.reports.ledger import reading
from formulary.reports.periods import ReportRange
from formulary.reports.sql import as_date, as_float, each_period
from formulary.stock.outflow_models import SessionDayCost
from formulary.treatments.models import TreatmentSession
from formulary.vocabulary import SessionStatus


@dataclass(frozen=True)
class SessionGroup:
    """Administered sessions of one period and group (cocktail, goal or practitioner): how many, what they cost."""

    period: date
    group: str
    sessions: int
    cost: Decimal


# Written out, not bound: SQLite uses a partial index only when its query names the same literal.
ADMINISTERED_SESSION = TreatmentSession.status == literal_column(f"'{SessionStatus.ADMINISTERED.value}'")


class VersionSessions(NamedTuple):
    """Administered sessions of one cocktail version in one period: how many, and the stock they drew (a float
    rounded to its places, as pandas reads it)."""

    period: date
    version_id: int
    cocktail: str
    sessions: int
    cost: float


def session_costs(rng: ReportRange) -> tuple[list[VersionSessions], list[tuple[int, str]]]:
    """Sessions and the stock they drew (administered and wasted, at unit cost) per period and cocktail version,
    and the goals each of those versions serves. The sessions are counted from their index, the stock they drew
    summed from the costs kept per version and day as the ledger is written: two ranges read, no join."""
    reading()
    counted = {(as_date(day), version_id): sessions for day, version_id, sessions in db.session.execute(
        each_period(rng, TreatmentSession.scheduled_for, lambda period, within: (
            select(period, TreatmentSession.cocktail_version_id, func.count())
            .where(ADMINISTERED_SESSION, within).group_by(TreatmentSession.cocktail_version_id))))}
    costs = {(as_date(day), version_id): float(cost) for day, version_id, cost in db.session.execute(
        each_period(rng, SessionDayCost.day, lambda period, within: (
            select(period, SessionDayCost.cocktail_version_id,
                   as_float(func.round(func.sum(SessionDayCost.value), 7)))
            .where(within).group_by(SessionDayCost.cocktail_version_id))))}
    version_ids = {version_id for _, version_id in counted}
    names = {version_id: name for version_id, name in db.session.execute(
        select(CocktailVersion.id, Cocktail.name).join(Cocktail, Cocktail.id == CocktailVersion.cocktail_id)
        .where(CocktailVersion.id.in_(version_ids)))} if version_ids else {}
    rows = [VersionSessions(day, version_id, names[version_id], sessions, costs.get((day, version_id), 0.0))
            for (day, version_id), sessions in counted.items()]
    goals = [(version_id, goal) for version_id, goal in db.session.execute(
        select(version_goal.c.version_id, TreatmentGoal.name)
        .join(TreatmentGoal, TreatmentGoal.id == version_goal.c.goal_id)
        .where(version_goal.c.version_id.in_(version_ids)))] if version_ids else []
    return rows, goals


def session_counts(rng: ReportRange, by: str) -> list[SessionGroup]:
    """Administered sessions per period and goal or practitioner (cost not summed): counted per period and
    cocktail version or practitioner first (the sessions' index alone), then named."""
    key = TreatmentSession.cocktail_version_id if by == "goal" else TreatmentSession.practitioner_id
    counted = each_period(rng, TreatmentSession.scheduled_for, lambda period, within: (
        select(period, key.label("key"), func.count().label("sessions"))
        .where(ADMINISTERED_SESSION, within).group_by(key))).subquery()
    if by == "goal":
        group = TreatmentGoal.name.label("grp")
        query = (select(counted.c.period, group, func.sum(counted.c.sessions).label("sessions"))
                 .join(version_goal, version_goal.c.version_id == counted.c.key)
                 .join(TreatmentGoal, TreatmentGoal.id == version_goal.c.goal_id))
    else:
        group = func.coalesce(func.nullif(User.full_name, ""), User.username, "not recorded").label("grp")
        query = (select(counted.c.period, group, func.sum(counted.c.sessions).label("sessions"))
                 .select_from(counted).outerjoin(User, User.id == counted.c.key))
    query = query.group_by(counted.c.period, group)
    return [SessionGroup(as_date(row.period), row.grp, int(row.sessions), Decimal(0))
            for row in db.session.execute(query)]
