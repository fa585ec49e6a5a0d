"""What a recipe adds up to on a day: total volume, every substance with its product, cost, warnings.

The composer shows it for a recipe being written, the cocktail page for a saved version.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from formulary.catalogue.models import Product, ProductComponent
from formulary.cocktails.dose import SubstanceDose
from formulary.cocktails.dose_queries import recipe_doses
from formulary.cocktails.lines import RecipeLine, RecipeStock
from formulary.cocktails.stock import session_cost
from formulary.extensions import db
from formulary.quantity import fmt_quantity
from formulary.stock.draws import lot_stocks
from formulary.stock.fefo import FefoLots, fefo_lots, plan_draw
from formulary.vocabulary import ComponentRole, LotDisplayStatus, LotStatus

ZERO = Decimal(0)


@dataclass(frozen=True)
class Source:
    """Where a substance comes from: a product, its role there and its strength."""

    product: str
    role: str
    strength: str


@dataclass(frozen=True)
class SubstanceUse:
    """One substance of the recipe with every product that brings it in."""

    substance_id: int
    name: str
    role: str  # ComponentRole.ACTIVE when it is active in any product, else EXCIPIENT
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Line:
    """One component as the summary shows it."""

    product: Product
    amount: Decimal
    cost: Decimal | None
    usable: Decimal  # usable on hand on the day, in the product's unit


@dataclass
class RecipeSummary:
    """The recipe's totals on a day, and what the composer should warn about."""

    on: date
    lines: list[Line] = field(default_factory=list)
    total_volume: Decimal = ZERO
    cost: Decimal | None = None
    substances: list[SubstanceUse] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    doses: list[SubstanceDose] = field(default_factory=list)  # each substance's total per session

    def as_json(self) -> dict:
        """The summary as the composer's script reads it."""
        return {
            "date": self.on.isoformat(),
            "total_volume": float(self.total_volume),
            "cost": None if self.cost is None else float(self.cost),
            "components": [
                {"product_id": line.product.id, "product": line.product.name, "amount": float(line.amount),
                 "unit": line.product.unit, "cost": None if line.cost is None else float(line.cost)}
                for line in self.lines
            ],
            "substances": [
                {"name": s.name, "role": s.role,
                 "sources": [{"product": p.product, "role": p.role, "strength": p.strength}
                             for p in s.sources]}
                for s in self.substances
            ],
            "warnings": self.warnings,
            "doses": [{"substance": d.substance, "total_mg": None if d.total_mg is None else float(d.total_mg),
                       "maximum_mg": None if d.maximum_mg is None else float(d.maximum_mg), "over": d.over,
                       "arithmetic": d.arithmetic} for d in self.doses],
        }


def load_products(product_ids) -> dict[int, Product]:
    """Products by id with their composition and its substances (three statements)."""
    ids = [pid for pid in product_ids if pid]
    if not ids:
        return {}
    query = select(Product).where(Product.id.in_(ids)).options(
        selectinload(Product.composition).selectinload(ProductComponent.substance)
    )
    return {product.id: product for product in db.session.scalars(query)}


def _substances(products: list[Product]) -> list[SubstanceUse]:
    found: dict[int, tuple[str, list[Source]]] = {}
    for product in products:
        for part in product.composition:
            name, sources = found.setdefault(part.substance_id, (part.substance.name, []))
            sources.append(Source(product.name, part.role, part.strength))
    active, excipient = ComponentRole.ACTIVE, ComponentRole.EXCIPIENT
    uses = [
        SubstanceUse(sid, name, active if any(s.role == active for s in sources) else excipient, tuple(sources))
        for sid, (name, sources) in found.items()
    ]
    return sorted(uses, key=lambda use: (use.role != ComponentRole.ACTIVE, use.name.lower()))


def _stock_warning(line: RecipeLine, lots: FefoLots, on: date) -> str | None:
    if not lots.usable:
        reasons = [lot.reason for lot in lots.skipped]
        shown = (LotDisplayStatus.EXPIRED, LotStatus.QUARANTINED, LotStatus.RECALLED)
        why = ", ".join(f"{reasons.count(r)} {r}" for r in shown if r in reasons)
        detail = f" (lots on the shelf: {why})" if why else ""
        return f"{line.product_name} is out of stock: no usable lot on {on:%Y-%m-%d}{detail}."
    if not plan_draw(lots.usable, line.amount, line.rule(on)).covered:
        have = sum((lot.on_hand for lot in lots.usable), ZERO)
        return (f"{line.product_name}: only {fmt_quantity(have)} {line.unit} usable, less than the "
                f"{fmt_quantity(line.amount)} {line.unit} one session needs.")
    return None


def summarize(pairs: list[tuple[Product, Decimal]], on: date) -> RecipeSummary:
    """Total volume (mL components), substances, cost per session from current lot costs, and warnings."""
    summary = RecipeSummary(on=on)
    if not pairs:
        return summary
    lines = tuple(RecipeLine.of(product, amount) for product, amount in pairs)
    stock = RecipeStock(lines, lot_stocks(line.product_id for line in lines))
    summary.cost, parts = session_cost(stock, on)
    seen = set()
    for (product, amount), line, part in zip(pairs, lines, parts, strict=True):
        lots = fefo_lots(stock.lots_of(line), line.rule(on))
        summary.lines.append(Line(product, amount, part.cost, sum((lot.on_hand for lot in lots.usable), ZERO)))
        if product.unit == "mL":
            summary.total_volume += amount
        else:
            summary.warnings.append(
                f"{product.name} is counted in {product.unit}, so it is not part of the total volume."
            )
        if product.id in seen:
            summary.warnings.append(f"{product.name} is listed twice; give it once with the total amount.")
        seen.add(product.id)
        if product.retired:
            summary.warnings.append(f"{product.name} is retired: choose another product for a new version.")
        problem = _stock_warning(line, lots, on)
        if problem:
            summary.warnings.append(problem)
        elif part.cost is None:
            summary.warnings.append(f"{product.name}: a lot FEFO would draw has no unit cost, so the cost "
                                    "per session is incomplete.")
    summary.substances = _substances(list({p.id: p for p, _ in pairs}.values()))
    summary.doses = recipe_doses(pairs)
    summary.warnings += [f"Over the clinic's maximum per session: {d.arithmetic}." for d in summary.doses if d.over]
    return summary
