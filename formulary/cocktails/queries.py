"""What the cocktail pages read: browsing by goal, name and substance, versions, product choices, recipe lines."""

from collections import defaultdict

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import joinedload, selectinload

from formulary.catalogue.models import Product, ProductComponent, Substance, TreatmentGoal
from formulary.cocktails.lines import RecipeLine
from formulary.cocktails.models import Cocktail, CocktailComponent, CocktailVersion, version_goal
from formulary.cocktails.procedure_models import CocktailProcedureItem
from formulary.extensions import db


def current_version_ids() -> Select:
    """The id of each cocktail's newest version (what new sessions use), as a subquery."""
    latest = (
        select(CocktailVersion.cocktail_id, func.max(CocktailVersion.number).label("number"))
        .group_by(CocktailVersion.cocktail_id)
        .subquery()
    )
    return select(CocktailVersion.id).join(
        latest,
        and_(CocktailVersion.cocktail_id == latest.c.cocktail_id, CocktailVersion.number == latest.c.number),
    )


def cocktail_query(
    *, goal: TreatmentGoal | None = None, substance: Substance | None = None, text: str = "",
    retired: bool | None = None,
) -> Select:
    """Cocktails whose current version has this goal and contains this substance, by name; retired last."""
    query = select(Cocktail)
    current = current_version_ids()
    if goal is not None:
        with_goal = (
            select(CocktailVersion.cocktail_id)
            .join(version_goal, version_goal.c.version_id == CocktailVersion.id)
            .where(CocktailVersion.id.in_(current), version_goal.c.goal_id == goal.id)
        )
        query = query.where(Cocktail.id.in_(with_goal))
    if substance is not None:
        containing = (
            select(CocktailVersion.cocktail_id)
            .join(CocktailComponent, CocktailComponent.version_id == CocktailVersion.id)
            .join(ProductComponent, ProductComponent.product_id == CocktailComponent.product_id)
            .where(CocktailVersion.id.in_(current), ProductComponent.substance_id == substance.id)
        )
        query = query.where(Cocktail.id.in_(containing))
    text = " ".join((text or "").split()).lower()
    if text:
        query = query.where(func.lower(Cocktail.name).contains(text, autoescape=True))
    if retired is not None:
        query = query.where(Cocktail.retired == retired)
    return query.order_by(Cocktail.retired, func.lower(Cocktail.name), Cocktail.id)


def current_versions(cocktail_ids) -> dict[int, CocktailVersion]:
    """The current version of each cocktail, with goals, components, products and substances loaded."""
    ids = list(cocktail_ids)
    if not ids:
        return {}
    query = (
        select(CocktailVersion)
        .where(CocktailVersion.id.in_(current_version_ids()), CocktailVersion.cocktail_id.in_(ids))
        .options(
            selectinload(CocktailVersion.goals),
            selectinload(CocktailVersion.components).selectinload(CocktailComponent.product)
            .selectinload(Product.composition).selectinload(ProductComponent.substance),
            selectinload(CocktailVersion.procedure_items).selectinload(CocktailProcedureItem.product),
        )
    )
    return {version.cocktail_id: version for version in db.session.scalars(query)}


def goal_counts() -> list[tuple[TreatmentGoal, int]]:
    """Every treatment goal with how many cocktails' current versions aim at it."""
    counts: dict[int, int] = dict(db.session.execute(
        select(version_goal.c.goal_id, func.count())
        .where(version_goal.c.version_id.in_(current_version_ids()))
        .group_by(version_goal.c.goal_id)
    ).all())
    goals = db.session.scalars(select(TreatmentGoal).order_by(func.lower(TreatmentGoal.name)))
    return [(goal, counts.get(goal.id, 0)) for goal in goals]


def all_goals() -> list[TreatmentGoal]:
    """Every treatment goal by name, for the composer's checkboxes."""
    return list(db.session.scalars(select(TreatmentGoal).order_by(func.lower(TreatmentGoal.name))))


def versions_of(cocktail: Cocktail) -> list[CocktailVersion]:
    """Every version of a cocktail, oldest first, with what describe_changes and the pages read."""
    query = (
        select(CocktailVersion)
        .where(CocktailVersion.cocktail_id == cocktail.id)
        .options(
            selectinload(CocktailVersion.goals),
            joinedload(CocktailVersion.created_by),
            selectinload(CocktailVersion.components).joinedload(CocktailComponent.product),
        )
        .order_by(CocktailVersion.number)
    )
    return list(db.session.scalars(query))


def product_choices(include_ids=()) -> list[Product]:
    """Products a component may name: those in use, plus any retired ones already in the recipe."""
    include_ids = [pid for pid in include_ids if pid]
    usable: ColumnElement[bool] = Product.retired.is_(False)
    if include_ids:
        usable = usable | Product.id.in_(include_ids)
    query = select(Product).where(usable).order_by(Product.category, func.lower(Product.name))
    return list(db.session.scalars(query))


def recipe_lines(version_ids) -> dict[int, tuple[RecipeLine, ...]]:
    """The lines of each version, in recipe order, with their products' FEFO settings (one plain column query)."""
    ids = list(version_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(CocktailComponent.version_id, CocktailComponent.product_id, Product.name, Product.unit,
               CocktailComponent.amount, Product.single_use, Product.unit_size, Product.expiry_margin_days,
               Product.opened_shelf_life_days)
        .join(Product, Product.id == CocktailComponent.product_id)
        .where(CocktailComponent.version_id.in_(ids))
        .order_by(CocktailComponent.version_id, CocktailComponent.position, CocktailComponent.id)
    )
    lines: defaultdict[int, list[RecipeLine]] = defaultdict(list)
    for row in rows:
        lines[row[0]].append(RecipeLine(*row[1:]))
    return {version_id: tuple(items) for version_id, items in lines.items()}
