"""Builders for cocktails."""

import pytest

from formulary.catalogue.models import TreatmentGoal
from formulary.cocktails.recipes import ComponentLine, RecipeData, create_cocktail
from formulary.extensions import db
from formulary.reference.names import normalize_name


@pytest.fixture
def make_goal():
    def build(name: str = "hydration"):
        goal = db.session.query(TreatmentGoal).filter_by(key=normalize_name(name)).one_or_none()
        if goal is None:
            goal = TreatmentGoal(name=name, key=normalize_name(name), description="")
            db.session.add(goal)
            db.session.flush()
        return goal

    return build


@pytest.fixture
def make_cocktail(make_goal):
    """make_cocktail("Hydra glow", [(product, "2")], goals=["hydration"]) → Cocktail."""

    def build(name, components, goals=("hydration",), **fields):
        for goal in goals:
            make_goal(goal)
        data = RecipeData(name=name, goals=list(goals),
                          components=[ComponentLine(p.id, amount) for p, amount in components], **fields)
        return create_cocktail(data, actor=None)

    return build
