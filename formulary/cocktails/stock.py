"""Loading a cocktail version's stock picture from the database: lots, cost, substances, warnings."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from formulary.catalogue.models import Product, ProductComponent
from formulary.cocktails.availability import ComponentStock
from formulary.cocktails.models import CocktailComponent, CocktailVersion
from formulary.extensions import db
from formulary.stock.fefo import plan_draw
from formulary.stock.models import Lot
from formulary.stock.queries import lot_stocks


def component_stocks(version: CocktailVersion) -> list[ComponentStock]:
    """The version's components with their products' lots."""
    lots = lot_stocks(c.product_id for c in version.components)
    return [
        ComponentStock(
            product_id=c.product_id, product_name=c.product.name, amount=c.amount, unit=c.product.unit,
            single_use=c.product.single_use, unit_size=c.product.unit_size,
            margin_days=c.product.expiry_margin_days, lots=lots.get(c.product_id, ()),
        )
        for c in version.components
    ]


@dataclass(frozen=True)
class ComponentCost:
    """What one component costs per session from the lots FEFO would draw today."""

    product_id: int
    cost: Decimal | None  # None when no usable lot (or no unit cost) to price it


def session_cost(components: list[ComponentStock], on: date) -> tuple[Decimal | None, list[ComponentCost]]:
    """Cost per session: the FEFO draw's taken amount (waste included) × each lot's unit cost."""
    lot_ids = [lot.lot_id for c in components for lot in c.lots]
    costs = {}
    if lot_ids:
        costs = dict(db.session.execute(select(Lot.id, Lot.unit_cost).where(Lot.id.in_(lot_ids))).all())
    parts = []
    for c in components:
        plan = plan_draw(c.lots, c.amount, on, margin_days=c.margin_days, single_use=c.single_use,
                         unit_size=c.unit_size if c.single_use else None)
        priced = plan.covered and all(costs.get(d.lot_id) is not None for d in plan.draws)
        cost = sum((d.taken * costs[d.lot_id] for d in plan.draws), Decimal(0)) if priced else None
        parts.append(ComponentCost(c.product_id, cost.quantize(Decimal("0.01")) if cost is not None else None))
    total = None if any(p.cost is None for p in parts) else sum((p.cost for p in parts), Decimal(0))
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
