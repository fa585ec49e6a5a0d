"""Composing and revising cocktails: versions, what changed, and every refused recipe."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from formulary.catalogue.products import set_retired as retire_product
from formulary.cocktails.diff import describe_changes
from formulary.cocktails.models import Cocktail, CocktailVersion
from formulary.cocktails.recipes import CocktailError, ComponentLine, RecipeData, revise_cocktail, set_retired
from formulary.extensions import db


def versions():
    return db.session.scalar(select(func.count()).select_from(CocktailVersion))


def test_a_new_cocktail_is_version_1_with_its_volume(make_product, make_cocktail):
    ha = make_product("HA 1% 2 mL", unit_size="2")
    vit = make_product("Vitamin Complex B 2 mL", composition=[("thiamine", "active")], category="vitamin")
    cocktail = make_cocktail("Hydra glow", [(ha, "2"), (vit, "0.5")], goals=["hydration", "radiance"])
    version = cocktail.current
    assert version.number == 1
    assert [c.product.name for c in version.components] == ["HA 1% 2 mL", "Vitamin Complex B 2 mL"]
    assert version.total_volume == Decimal("2.5")
    assert sorted(g.name for g in version.goals) == ["hydration", "radiance"]


def test_changing_an_amount_makes_version_2_and_keeps_version_1(make_product, make_cocktail):
    ha = make_product("HA 1% 2 mL")
    vit = make_product("Vitamin C 20% 5 mL", composition=[("ascorbic acid", "active")], category="vitamin")
    cocktail = make_cocktail("Bright", [(ha, "1"), (vit, "1")], goals=["hydration"])
    new = revise_cocktail(cocktail, RecipeData(
        name="Bright", goals=["hydration"], components=[ComponentLine(ha.id, "1.5"), ComponentLine(vit.id, "1")],
    ), actor=None)
    assert new.number == 2
    first, second = cocktail.versions
    assert [c.amount for c in first.components] == [Decimal(1), Decimal(1)]
    assert describe_changes(first, second) == ["HA 1% 2 mL: 1 → 1.5 mL."]


def test_saving_an_unchanged_recipe_makes_no_new_version(make_product, make_cocktail):
    ha = make_product()
    cocktail = make_cocktail("Plain", [(ha, "2")])
    before = versions()
    data = RecipeData(name="Plain renamed", goals=["hydration"], components=[ComponentLine(ha.id, "2.000")])
    assert revise_cocktail(cocktail, data, actor=None) is None
    assert versions() == before and cocktail.name == "Plain renamed"


def test_describe_changes_covers_added_removed_goals_and_series(make_product, make_cocktail, make_goal):
    a, b, c = make_product("A"), make_product("B"), make_product("C")
    make_goal("brightening")
    cocktail = make_cocktail("Mix", [(a, "1"), (b, "1")], goals=["hydration"])
    revise_cocktail(cocktail, RecipeData(
        name="Mix", goals=["brightening"], components=[ComponentLine(a.id, "1"), ComponentLine(c.id, "0.5")],
        series_sessions=4, series_interval_days=14,
    ), actor=None)
    assert describe_changes(*cocktail.versions) == [
        "Added C: 0.5 mL.", "Removed B.", "Goal added: brightening.", "Goal removed: hydration.",
        "Series: none → 4 sessions every 14 days.",
    ]


@pytest.mark.parametrize(
    ("lines", "goals", "field", "message"),
    [
        ([], ["hydration"], "components", "A cocktail needs at least one component."),
        ([("ha", "0")], ["hydration"], "components.0.amount", "must be more than zero (got 0)"),
        ([("ha", "-1")], ["hydration"], "components.0.amount", "must be more than zero (got -1)"),
        ([("ha", "abc")], ["hydration"], "components.0.amount", "'abc' is not a number"),
        ([("ha", "1"), ("ha", "2")], ["hydration"], "components.1.product", "HA 1% 2 mL is listed twice"),
        ([(999_999, "1")], ["hydration"], "components.0.product", "unknown product 999999"),
        ([("ha", "1")], [], "goals", "Choose at least one treatment goal."),
        ([("ha", "1")], ["glowing unicorn"], "goals", "Unknown treatment goal 'glowing unicorn'"),
    ],
)
def test_bad_recipes_are_refused_naming_the_problem_and_nothing_is_saved(
    make_product, make_goal, lines, goals, field, message
):
    make_goal("hydration")
    ha = make_product("HA 1% 2 mL")
    components = [ComponentLine(ha.id if p == "ha" else p, amount) for p, amount in lines]
    from formulary.cocktails.recipes import create_cocktail

    with pytest.raises(CocktailError) as refused:
        create_cocktail(RecipeData(name="X", goals=goals, components=components), actor=None)
    assert any(f == field and message in m for f, m in refused.value.errors), refused.value.errors
    assert db.session.scalar(select(func.count()).select_from(Cocktail)) == 0


def test_duplicate_name_and_retired_product_are_refused(make_product, make_cocktail):
    ha = make_product("HA 1% 2 mL")
    make_cocktail("Hydra glow", [(ha, "1")])
    with pytest.raises(CocktailError, match="A cocktail named 'Hydra glow' already exists"):
        make_cocktail("Hydra  glow", [(ha, "1")])
    old = make_product("Old serum")
    retire_product(old, True, actor=None)
    with pytest.raises(CocktailError, match="Old serum is retired"):
        make_cocktail("With old", [(old, "1")])


def test_a_retired_cocktail_cannot_be_revised_until_brought_back(make_product, make_cocktail):
    ha = make_product()
    cocktail = make_cocktail("Done", [(ha, "1")])
    set_retired(cocktail, True, actor=None)
    data = RecipeData(name="Done", goals=["hydration"], components=[ComponentLine(ha.id, "2")])
    with pytest.raises(CocktailError, match="retired"):
        revise_cocktail(cocktail, data, actor=None)
    set_retired(cocktail, False, actor=None)
    assert revise_cocktail(cocktail, data, actor=None).number == 2
