"""What the catalogue pages read: searches, cross-reactions and products with their details."""

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import selectinload

from formulary.catalogue.models import (
    AllergenGroup,
    CrossReaction,
    Product,
    ProductComponent,
    ProductContraindication,
    Substance,
    SubstanceSynonym,
)
from formulary.extensions import db
from formulary.reference.names import normalize_name
from formulary.vocabulary import Strength


def substance_query(text: str = "", category: str = "") -> Select:
    """Substances whose name or a synonym contains the search (matched on keys), exact matches first."""
    query = select(Substance).options(selectinload(Substance.synonyms), selectinload(Substance.groups))
    key = normalize_name(text or "")
    if key:
        by_synonym = select(SubstanceSynonym.substance_id).where(SubstanceSynonym.key.contains(key))
        exact_synonym = select(SubstanceSynonym.substance_id).where(SubstanceSynonym.key == key)
        query = query.where(or_(Substance.key.contains(key), Substance.id.in_(by_synonym)))
        exact = or_(Substance.key == key, Substance.id.in_(exact_synonym))
        query = query.order_by(case((exact, 0), else_=1))
    if category:
        query = query.where(Substance.category == category)
    return query.order_by(func.lower(Substance.name), Substance.id)


def substance_categories() -> list[str]:
    """The categories substances in the catalogue use, for the filter."""
    return list(db.session.scalars(select(Substance.category).distinct().order_by(Substance.category)))


def matched_synonym(substance: Substance, text: str) -> str | None:
    """The synonym a search found a substance by, when its own name does not match."""
    key = normalize_name(text or "")
    if not key or key in substance.key:
        return None
    return next((synonym.name for synonym in substance.synonyms if key in synonym.key), None)


def cross_reactions(substance_ids=(), group_ids=()) -> list[CrossReaction]:
    """Every cross-reaction whose source or target is one of these substances or groups."""
    substance_ids, group_ids = list(substance_ids), list(group_ids)
    query = select(CrossReaction).options(
        selectinload(CrossReaction.source_group), selectinload(CrossReaction.source_substance),
        selectinload(CrossReaction.target_group), selectinload(CrossReaction.target_substance),
    )
    conditions = []
    if substance_ids:
        conditions += [CrossReaction.source_substance_id.in_(substance_ids),
                       CrossReaction.target_substance_id.in_(substance_ids)]
    if group_ids:
        conditions += [CrossReaction.source_group_id.in_(group_ids),
                       CrossReaction.target_group_id.in_(group_ids)]
    if not conditions:
        return []
    rows = db.session.scalars(query.where(or_(*conditions))).all()
    strength_order: dict[str, int] = {strength: rank for rank, strength in enumerate(Strength)}  # strongest first
    return sorted(rows, key=lambda r: (strength_order.get(r.strength, 3), r.source_name, r.target_name))


def all_groups() -> list[AllergenGroup]:
    """Every allergen group with its members, by name."""
    query = select(AllergenGroup).options(selectinload(AllergenGroup.members))
    return list(db.session.scalars(query.order_by(func.lower(AllergenGroup.name))))


def products_containing(substance: Substance) -> list[ProductComponent]:
    """The composition lines that name this substance, with their products."""
    query = (
        select(ProductComponent)
        .join(Product)
        .where(ProductComponent.substance_id == substance.id)
        .options(selectinload(ProductComponent.product))
        .order_by(Product.retired, func.lower(Product.name))
    )
    return list(db.session.scalars(query))


def product_query(text: str = "", category: str = "", retired: bool = False) -> Select:
    """Products matching a search on name, manufacturer or GTIN; retired ones only when asked."""
    query = select(Product).options(
        selectinload(Product.composition).selectinload(ProductComponent.substance)
    )
    text = (text or "").strip()
    if text:
        matches = [Product.name.icontains(text, autoescape=True),
                   Product.manufacturer.icontains(text, autoescape=True)]
        compact = text.replace(" ", "")
        if compact.isdigit():
            matches.append(Product.gtin.contains(compact))
        query = query.where(or_(*matches))
    if category:
        query = query.where(Product.category == category)
    if not retired:
        query = query.where(Product.retired.is_(False))
    return query.order_by(Product.retired, func.lower(Product.name), Product.id)


def product_with_details(product_id: int) -> Product | None:
    """A product with its composition (and each substance) and contraindications (and each condition)."""
    return db.session.scalar(
        select(Product).where(Product.id == product_id).options(
            selectinload(Product.composition).selectinload(ProductComponent.substance),
            selectinload(Product.contraindications).selectinload(ProductContraindication.condition),
        )
    )


def substance_names() -> list[str]:
    """Every substance name and synonym, for the composition editor's type-ahead."""
    names = set(db.session.scalars(select(Substance.name)))
    names.update(db.session.scalars(select(SubstanceSynonym.name)))
    return sorted(names, key=str.casefold)
