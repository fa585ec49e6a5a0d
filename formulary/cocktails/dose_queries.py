"""The database side of dose per session: a cocktail version's strength × amount lines, and the clinic's maxima."""

from decimal import Decimal
from functools import cache

from sqlalchemy import bindparam, select

from formulary.catalogue.models import Product, ProductComponent, Substance
from formulary.cocktails.dose import DoseLine, SubstanceDose, doses_per_session
from formulary.cocktails.models import CocktailComponent
from formulary.extensions import db


@cache
def _dose_lines_statement():
    # Built once: the session page and the label read it on every view.
    return (
        select(Substance.id, Substance.name, Substance.max_mg_per_session, Product.name, ProductComponent.strength,
               CocktailComponent.amount, Product.unit, Product.unit_size)
        .join(Product, Product.id == CocktailComponent.product_id)
        .join(ProductComponent, ProductComponent.product_id == Product.id)
        .join(Substance, Substance.id == ProductComponent.substance_id)
        .where(CocktailComponent.version_id == bindparam("version_id"))
        .order_by(CocktailComponent.position, ProductComponent.position)
    )


def dose_lines(version_id: int) -> tuple[list[DoseLine], dict[int, Decimal]]:
    """Every (substance, product) of the version with its strength and amount, and each substance's maximum."""
    rows = db.session.execute(_dose_lines_statement(), {"version_id": version_id}).all()
    lines = [DoseLine(sid, name, product, strength, amount, unit, size)
             for sid, name, _max, product, strength, amount, unit, size in rows]
    maxima = {sid: maximum for sid, _n, maximum, *_rest in rows if maximum is not None}
    return lines, maxima


def version_doses(version_id: int) -> list[SubstanceDose]:
    """Each substance's total per session in this cocktail version, with the clinic's maximum."""
    lines, maxima = dose_lines(version_id)
    return doses_per_session(lines, maxima)


def recipe_doses(pairs) -> list[SubstanceDose]:
    """Each substance's total per session in a recipe being composed: (product, amount) pairs whose
    products have their composition and substances loaded (no query)."""
    lines, maxima = [], {}
    for product, amount in pairs:
        for part in product.composition:
            lines.append(DoseLine(part.substance_id, part.substance.name, product.name, part.strength, amount,
                                  product.unit, product.unit_size))
            if part.substance.max_mg_per_session is not None:
                maxima[part.substance_id] = part.substance.max_mg_per_session
    return doses_per_session(lines, maxima)
