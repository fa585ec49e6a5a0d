"""Loading a cocktail version's stock picture from the database: lots, cost, substances, warnings."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from formulary.catalogue.models import Product, ProductComponent
from formulary.cocktails.lines import RecipeLine, RecipeStock
from formulary.cocktails.models import CocktailComponent, CocktailVersion
from formulary.extensions import db
from formulary.stock.draws import lot_stocks
from formulary.stock.fefo import plan_draw
from formulary.stock.models import Lot


def component_stocks(version: CocktailVersion) -> RecipeStock:
    """The version's recipe lines (from its loaded components) with their products' lots."""
    lines = tuple(RecipeLine.of(c.product, c.amount) for c in version.components)
    return RecipeStock(lines, lot_stocks(line.product_id for line in lines))


@dataclass(frozen=True)
class ComponentCost:
    """What one component costs per session from the lots FEFO would draw today."""

    product_id: int
    cost: Decimal | None  # None when no usable lot (or no unit cost) to price it


def session_cost(stock: RecipeStock, on: date) -> tuple[Decimal | None, list[ComponentCost]]:
    """Cost per session: the FEFO draw's taken amount (waste included) × each lot's unit cost."""
    lot_ids = [lot.lot_id for line in stock.lines for lot in stock.lots_of(line)]
    costs: dict[int, Decimal] = {}  # the priced lots only
    if lot_ids:
        rows = db.session.execute(select(Lot.id, Lot.unit_cost).where(Lot.id.in_(lot_ids)))
        costs = {lot_id: cost for lot_id, cost in rows if cost is not None}
    parts = []
    for line in stock.lines:
        plan = plan_draw(stock.lots_of(line), line.amount, line.rule(on))
        priced = plan.covered and all(d.lot_id in costs for d in plan.draws)
        cost = sum((d.taken * costs[d.lot_id] for d in plan.draws), Decimal(0)) if priced else None
        parts.append(ComponentCost(line.product_id, cost.quantize(Decimal("0.01")) if cost is not None else None))
    known = [p.cost for p in parts if p.cost is not None]
    total = sum(known, Decimal(0)) if len(known) == len(parts) else None
    return total, parts


def load_version(version_id: int) -> CocktailVersion | None:
    """A version with its components, products, compositions and substances loaded in a few queries."""
    return db.session.scalar(
        select(CocktailVersion).where(CocktailVersion.id == version_id).options(
            selectinload(CocktailVersion.goals),
            selectinload(CocktailVersion.components).selectinload(CocktailComponent.product)
            .selectinload(Product.composition).selectinload(ProductComponent.substance),
        )
    )
