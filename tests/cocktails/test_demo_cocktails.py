"""The demo cocktails: a dozen realistic recipes across every goal, some with several versions, loaded once."""

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from formulary.catalogue.models import TreatmentGoal
from formulary.catalogue.reference_sync import sync_reference_library
from formulary.cocktails.availability import sessions_possible
from formulary.cocktails.models import Cocktail
from formulary.cocktails.stock import component_stocks
from formulary.demo import catalogue, cocktails, stock
from formulary.extensions import db


def test_the_demo_cocktails_cover_every_goal_realistically_and_load_once():
    today = date(2026, 11, 26)  # (the demo stock refuses some days: see the report)
    sync_reference_library()
    catalogue.load()
    stock.load(today)
    assert cocktails.load(today) == ["Demo cocktails: 13 composed."]
    rows = db.session.scalars(select(Cocktail).order_by(Cocktail.name)).all()
    assert 12 <= len(rows) <= 14
    goals = {goal.name for cocktail in rows for goal in cocktail.current.goals}
    assert goals == set(db.session.scalars(select(TreatmentGoal.name)))
    assert len(goals) == 9
    several = [c.name for c in rows if len(c.versions) >= 2]
    assert len(several) >= 2 and "Bright Mesh" in several
    assert [c.name for c in rows if c.retired] == ["Classic C Boost"]
    lidocaine = [c.name for c in rows if any("Lidocaine" in comp.product.name for comp in c.current.components)]
    assert lidocaine
    for cocktail in rows:
        version = cocktail.current
        assert Decimal(2) <= version.total_volume <= Decimal(8), cocktail.name
        assert all(Decimal("0.5") <= c.amount <= Decimal(5) for c in version.components), cocktail.name
        assert version.notes and version.series_sessions and version.series_interval_days
        assert [v.created_at for v in cocktail.versions] == sorted(v.created_at for v in cocktail.versions)
    # The demo stock serves the in-use cocktails today.
    in_use = [c for c in rows if not c.retired]
    assert sum(sessions_possible(component_stocks(c.current), today).sessions_possible > 0 for c in in_use) >= 10
    assert cocktails.load(today) == ["Demo cocktails already there."]
    assert len(db.session.scalars(select(Cocktail)).all()) == len(rows)


def test_without_goals_the_demo_cocktails_say_so():
    assert cocktails.load(date(2026, 6, 1))[0].startswith("Demo cocktails skipped: treatment goals")
