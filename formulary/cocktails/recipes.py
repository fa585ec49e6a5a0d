"""Composing cocktails: create, revise (a new version each time), retire. Plain functions that flush."""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select

from formulary.audit.log import record
from formulary.catalogue.lookup import find_goal, resolve_names
from formulary.catalogue.models import Product
from formulary.cocktails.kit import KitError, ProcedureLine, same_items, validate_lines, version_items
from formulary.cocktails.models import Cocktail, CocktailComponent, CocktailVersion
from formulary.errors import FieldErrors
from formulary.extensions import db


class CocktailError(FieldErrors):
    """Refused recipe values; `errors` is a list of (field, message)."""


@dataclass
class ComponentLine:
    """One component as entered: a product id and the amount per session."""

    product_id: int | None
    amount: Decimal | str | float | None


@dataclass
class RecipeData:
    """Everything the composer form or the API says about a recipe."""

    name: str
    goals: list[str]
    components: list[ComponentLine]
    notes: str = ""
    series_sessions: int | None = None
    series_interval_days: int | None = None
    procedure: list[ProcedureLine] = field(default_factory=list)  # items added to the kit for this cocktail


@dataclass
class _Recipe:
    name: str
    goals: list = field(default_factory=list)
    components: list = field(default_factory=list)  # (product, amount)
    notes: str = ""
    series_sessions: int | None = None
    series_interval_days: int | None = None
    procedure: list = field(default_factory=list)  # (product, use)


def _amount(value) -> Decimal | None:
    try:
        amount = Decimal(str(value).replace(",", ".").strip())
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def _validate(data: RecipeData, cocktail: Cocktail | None) -> _Recipe:
    errors: list[tuple[str, str]] = []
    name = " ".join((data.name or "").split())
    if not name:
        errors.append(("name", "Give the cocktail a name."))
    elif len(name) > 120:
        errors.append(("name", "The name is longer than 120 characters."))
    else:
        clash = db.session.scalar(select(Cocktail).where(func.lower(Cocktail.name) == name.lower()))
        if clash is not None and clash is not cocktail:
            errors.append(("name", f"A cocktail named {name!r} already exists."))
    goals = resolve_names(data.goals, find_goal, "goals", "treatment goal", errors)
    if not goals and not any(f == "goals" for f, _ in errors):
        errors.append(("goals", "Choose at least one treatment goal."))

    lines = [line for line in data.components if line.product_id or str(line.amount or "").strip()]
    if not lines:
        errors.append(("components", "A cocktail needs at least one component."))
    products = {p.id: p for p in db.session.scalars(
        select(Product).where(Product.id.in_([line.product_id for line in lines if line.product_id]))
    )}
    components, seen = [], set()
    for index, line in enumerate(data.components):
        if line not in lines:
            continue
        label = f"components.{index}"
        product = products.get(line.product_id) if line.product_id is not None else None
        amount = _amount(line.amount)
        if product is None:
            errors.append((f"{label}.product", f"Component {index + 1}: unknown product {line.product_id!r}."))
            continue
        if product.retired:
            errors.append((f"{label}.product", f"{product.name} is retired and cannot go into a cocktail."))
        if product.id in seen:
            errors.append((f"{label}.product", f"{product.name} is listed twice; give it once with the total amount."))
        seen.add(product.id)
        if amount is None:
            errors.append((f"{label}.amount", f"Amount of {product.name}: {line.amount!r} is not a number."))
        elif amount <= 0:
            errors.append((f"{label}.amount", f"Amount of {product.name} must be more than zero (got {amount})."))
        elif amount != amount.quantize(Decimal("0.001")) or amount >= 1000:
            errors.append((f"{label}.amount", f"Amount of {product.name} ({amount}) is not a plausible dose."))
        else:
            components.append((product, amount.quantize(Decimal("0.001"))))
    for field_name, value, label in (
        ("series_sessions", data.series_sessions, "Number of sessions"),
        ("series_interval_days", data.series_interval_days, "Days between sessions"),
    ):
        if value is not None and not (0 < int(value) <= 365):
            errors.append((field_name, f"{label} must be between 1 and 365 (got {value})."))
    procedure = []
    try:
        procedure = validate_lines(data.procedure, "procedure")
    except KitError as error:
        errors.extend(error.errors)
    if errors:
        raise CocktailError(errors)
    return _Recipe(
        name=name, goals=goals, components=components, notes=(data.notes or "").strip(),
        series_sessions=int(data.series_sessions) if data.series_sessions else None,
        series_interval_days=int(data.series_interval_days) if data.series_interval_days else None,
        procedure=procedure,
    )


def _new_version(cocktail: Cocktail, recipe: _Recipe, number: int, actor) -> CocktailVersion:
    version = CocktailVersion(
        cocktail=cocktail, number=number, notes=recipe.notes, series_sessions=recipe.series_sessions,
        series_interval_days=recipe.series_interval_days, goals=recipe.goals,
        created_by_id=actor.id if actor is not None else None,
        components=[
            CocktailComponent(product=product, amount=amount, position=position)
            for position, (product, amount) in enumerate(recipe.components)
        ],
    )
    version.procedure_items = version_items(recipe.procedure)
    db.session.add(version)
    return version


def _same(version: CocktailVersion, recipe: _Recipe) -> bool:
    return (
        [(c.product_id, c.amount) for c in version.components]
        == [(p.id, a) for p, a in recipe.components]
        and {g.id for g in version.goals} == {g.id for g in recipe.goals}
        and version.notes == recipe.notes
        and version.series_sessions == recipe.series_sessions
        and version.series_interval_days == recipe.series_interval_days
        and same_items(version, recipe.procedure)
    )


def create_cocktail(data: RecipeData, *, actor) -> Cocktail:
    """Create a cocktail with its version 1."""
    recipe = _validate(data, None)
    cocktail = Cocktail(name=recipe.name)
    db.session.add(cocktail)
    _new_version(cocktail, recipe, 1, actor)
    db.session.flush()
    record("cocktail.create", actor=actor, target=cocktail, detail=cocktail.name)
    return cocktail


def revise_cocktail(cocktail: Cocktail, data: RecipeData, *, actor) -> CocktailVersion | None:
    """Save a change as a new version; None when nothing in the recipe changed (a rename needs no version)."""
    if cocktail.retired:
        raise CocktailError([("name", f"{cocktail.name} is retired; bring it back before changing it.")])
    recipe = _validate(data, cocktail)
    renamed = recipe.name != cocktail.name
    cocktail.name = recipe.name
    if _same(cocktail.current, recipe):
        db.session.flush()
        if renamed:
            record("cocktail.rename", actor=actor, target=cocktail, detail=cocktail.name)
        return None
    version = _new_version(cocktail, recipe, cocktail.current.number + 1, actor)
    db.session.flush()
    record("cocktail.revise", actor=actor, target=cocktail, detail=f"{cocktail.name} version {version.number}")
    return version


def set_retired(cocktail: Cocktail, retired: bool, *, actor) -> None:
    """Retire (no new sessions) or bring back a cocktail; cocktails are never deleted."""
    if cocktail.retired != retired:
        cocktail.retired = retired
        db.session.flush()
        record("cocktail.retire" if retired else "cocktail.unretire", actor=actor, target=cocktail)
