"""The procedure kit: the clinic's default items, a cocktail version's own, and what a session uses.

Plain functions that flush; the views and the API commit. A kit item is a product and what it is for
(ProcedureUse); a product appears once in a kit.
"""

from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, delete, literal, select, union_all
from sqlalchemy.orm import selectinload

from formulary.audit.log import record
from formulary.catalogue.models import Product
from formulary.cocktails.models import CocktailVersion
from formulary.cocktails.procedure_models import CocktailProcedureItem, ProcedureKitItem
from formulary.db import Reading
from formulary.errors import FieldErrors
from formulary.extensions import db
from formulary.vocabulary import ProcedureUse


class KitError(FieldErrors):
    """Refused kit items; `errors` is a list of (field, message)."""


@dataclass(frozen=True)
class ProcedureLine:
    """A kit item as entered: a product id and what it is for."""

    product_id: int | None
    use: str


@dataclass(frozen=True)
class KitItem:
    """A procedure item a session uses: from the clinic's kit or the cocktail's own."""

    product_id: int
    product_name: str
    use: str
    source: str  # "kit" or "cocktail"

    @property
    def use_words(self) -> str:
        """'numbing cream', 'antiseptic' …"""
        return ProcedureUse(self.use).words


def validate_lines(lines, field: str = "items") -> list[tuple[Product, str]]:
    """(product, use) for each line, in order; every bad line named (unknown product, use, a repeat)."""
    errors: list[tuple[str, str]] = []
    ids = [line.product_id for line in lines if line.product_id is not None]
    products = {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(ids)))} if ids else {}
    kept: list[tuple[Product, str]] = []
    seen: set[int] = set()
    for index, line in enumerate(lines):
        label = f"{field}.{index}"
        product = products.get(line.product_id) if line.product_id is not None else None
        if product is None:
            errors.append((f"{label}.product_id", f"Item {index + 1}: unknown product {line.product_id!r}."))
            continue
        if line.use not in tuple(ProcedureUse):
            errors.append((f"{label}.use", f"{product.name}: use must be one of {', '.join(ProcedureUse)} "
                                           f"(got {line.use!r})."))
            continue
        if product.retired:
            errors.append((f"{label}.product_id", f"{product.name} is retired and cannot go into the kit."))
        if product.id in seen:
            errors.append((f"{label}.product_id", f"{product.name} is listed twice."))
        seen.add(product.id)
        kept.append((product, line.use))
    if errors:
        raise KitError(errors)
    return kept


def default_kit() -> list[ProcedureKitItem]:
    """The clinic's default kit, in order."""
    return list(db.session.scalars(
        select(ProcedureKitItem).options(selectinload(ProcedureKitItem.product))
        .order_by(ProcedureKitItem.position, ProcedureKitItem.id)
    ))


def set_default_kit(lines, *, actor) -> list[ProcedureKitItem]:
    """Replace the clinic's default kit with these items (all or nothing)."""
    items = validate_lines(lines)
    db.session.execute(delete(ProcedureKitItem))
    for position, (product, use) in enumerate(items):
        db.session.add(ProcedureKitItem(product_id=product.id, use=use, position=position))
    db.session.flush()
    names = ", ".join(f"{product.name} ({use})" for product, use in items) or "empty"
    record("procedure_kit.update", actor=actor, detail=names[:500])
    return default_kit()


def version_items(items: list[tuple[Product, str]]) -> list[CocktailProcedureItem]:
    """A cocktail version's own procedure items, as rows to attach to the new version."""
    return [CocktailProcedureItem(product=product, use=use, position=position)
            for position, (product, use) in enumerate(items)]


def same_items(version: CocktailVersion, items: list[tuple[Product, str]]) -> bool:
    """Whether a version already has exactly these procedure items (so no new version is needed)."""
    return [(i.product_id, i.use) for i in version.procedure_items] == [(p.id, use) for p, use in items]


@cache
def _own_items_select():
    return (select(literal(0).label("source"), CocktailProcedureItem.position.label("place"),
                   CocktailProcedureItem.id.label("item_id"), CocktailProcedureItem.product_id, Product.name,
                   CocktailProcedureItem.use)
            .join(Product, Product.id == CocktailProcedureItem.product_id)
            .where(CocktailProcedureItem.version_id == bindparam("version_id")))


@cache
def _kit_items_select():
    return (select(literal(1), ProcedureKitItem.position, ProcedureKitItem.id, ProcedureKitItem.product_id,
                   Product.name, ProcedureKitItem.use)
            .join(Product, Product.id == ProcedureKitItem.product_id))


def session_kit_readings() -> dict[str, Reading]:
    """The version's own items and the kit's, each in its order, as parts of a larger read (`db.together`):
    their rows, the own items' then the kit's, make `kit_from_rows`."""
    return {"own_items": Reading(_own_items_select(), (CocktailProcedureItem.position, CocktailProcedureItem.id)),
            "kit_items": Reading(_kit_items_select(), (ProcedureKitItem.position, ProcedureKitItem.id))}


@cache
def _session_kit_statement():
    # One query for both: the version's own items first (source 0), then the kit's, each in its order.
    # Built once: the session page and the consent read it.
    return union_all(_own_items_select(), _kit_items_select()).order_by("source", "place", "item_id")


def session_kit(version_id: int) -> list[KitItem]:
    """What a session with this cocktail version puts on the patient: the default kit, then the
    version's own items (an item in both is listed once, as the cocktail's)."""
    return kit_from_rows(db.session.execute(_session_kit_statement(), {"version_id": version_id}).all())


def kit_from_rows(rows) -> list[KitItem]:
    """The session's kit from the rows of its statement (source, place, item id, product id, name, use)."""
    own_ids = {row[3] for row in rows if row[0] == 0}
    return [
        *(KitItem(product_id, name, use, "kit") for source, _place, _item, product_id, name, use in rows
          if source == 1 and product_id not in own_ids),
        *(KitItem(product_id, name, use, "cocktail") for source, _place, _item, product_id, name, use in rows
          if source == 0),
    ]


def procedure_changes(old: CocktailVersion, new: CocktailVersion) -> list[str]:
    """One sentence per procedure item added, removed or put to another use between two versions."""
    before = {item.product_id: item for item in old.procedure_items}
    after = {item.product_id: item for item in new.procedure_items}
    changes = [f"Procedure item added: {item.product.name} ({item.use})."
               for pid, item in after.items() if pid not in before]
    changes += [f"Procedure item {item.product.name}: {before[pid].use} → {item.use}."
                for pid, item in after.items() if pid in before and before[pid].use != item.use]
    changes += [f"Procedure item removed: {item.product.name}." for pid, item in before.items() if pid not in after]
    return changes
