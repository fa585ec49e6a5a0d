"""What a session of a cocktail version exposes the patient to, loaded once for the check.

The version's components with the day's FEFO plan, the procedure items (the clinic's kit and the
version's own) and each substance's dose per session all come from one read of the products'
compositions (`parts_from_rows`): the check, the kit and the dose arithmetic share it. Everything is
read in one statement (`exposure_readings`, merged by db.together; the check adds the patient's reads
to it), built once with bound parameters.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from sqlalchemy import bindparam, select, union_all

from formulary.catalogue.models import (
    Condition,
    Product,
    ProductComponent,
    ProductContraindication,
    Substance,
    group_member,
)
from formulary.cocktails.dose import DoseLine, SubstanceDose, doses_per_session
from formulary.cocktails.kit import KitItem, kit_from_rows, session_kit_readings
from formulary.cocktails.models import CocktailComponent
from formulary.cocktails.procedure_models import CocktailProcedureItem, ProcedureKitItem
from formulary.db import Reading, Together, read_together, together
from formulary.extensions import db
from formulary.safety.facts import ComponentFact, ContraindicationFact, IngredientFact, SubstanceFact
from formulary.stock.draws import lots_from_rows, lots_in_stock
from formulary.stock.fefo import DrawPlan, DrawRule, plan_draw
from formulary.stock.models import Lot
from formulary.stock.opened import opened_units_of, units_from_rows
from formulary.stock.opened_models import OpenedUnit
from formulary.vocabulary import FindingPlace

NOTHING_DRAWN = DrawPlan(needed=Decimal(0), draws=(), skipped=())  # a procedure item draws no stock
# Procedure items come after any cocktail's components in the check's order.
FIRST_PROCEDURE_POSITION = 1000


@dataclass(frozen=True)
class ProductParts:
    """Each product's composition and contraindications, with the clinic's maximum per substance."""

    composition: dict[int, tuple[IngredientFact, ...]]
    contraindications: dict[int, tuple[ContraindicationFact, ...]]
    maxima: dict[int, Decimal]  # substance id → the clinic's maximum mg per session, where it set one


def _parts_of(products) -> Reading:
    # One statement for both: each product's composition lines, each line once per allergen group of its
    # substance, and each of those once per contraindication of the product (a few dozen rows a product).
    return Reading(
        select(Product.id, ProductComponent.substance_id, Substance.name, Substance.max_mg_per_session,
               ProductComponent.role, ProductComponent.strength, group_member.c.group_id,
               ProductContraindication.condition_id, Condition.name, ProductContraindication.severity)
        .outerjoin(ProductComponent, ProductComponent.product_id == Product.id)
        .outerjoin(Substance, Substance.id == ProductComponent.substance_id)
        .outerjoin(group_member, group_member.c.substance_id == ProductComponent.substance_id)
        .outerjoin(ProductContraindication, ProductContraindication.product_id == Product.id)
        .outerjoin(Condition, Condition.id == ProductContraindication.condition_id)
        .where(Product.id.in_(products)),
        (Product.id, ProductComponent.position, ProductComponent.substance_id, ProductContraindication.condition_id),
    )


def parts_from_rows(ids: set[int], rows) -> ProductParts:
    """The products' compositions (substances with their groups) and contraindications, from the rows of
    `_parts_of`."""
    # Keyed by id, in the order first met: a substance is in a product once, a condition named once.
    lines: dict[int, dict[int, tuple]] = {pid: {} for pid in ids}
    rules: dict[int, dict[int, ContraindicationFact]] = {pid: {} for pid in ids}
    groups_of: dict[int, set[int]] = {}
    maxima: dict[int, Decimal] = {}
    for (product_id, substance_id, name, maximum, role, strength, group_id, condition_id, condition,
         severity) in rows:
        if substance_id is not None:
            lines[product_id].setdefault(substance_id, (name, role, strength))
            groups = groups_of.setdefault(substance_id, set())
            if group_id is not None:
                groups.add(group_id)
            if maximum is not None:
                maxima[substance_id] = maximum
        if condition_id is not None and condition_id not in rules[product_id]:
            rules[product_id][condition_id] = ContraindicationFact(condition_id, condition, severity)
    substances = {sid: SubstanceFact(sid, name, frozenset(groups_of[sid]))
                  for found in lines.values() for sid, (name, _role, _strength) in found.items()}
    return ProductParts(
        composition={pid: tuple(IngredientFact(substances[sid], role, strength)
                                for sid, (_name, role, strength) in found.items())
                     for pid, found in lines.items()},
        contraindications={pid: tuple(found.values()) for pid, found in rules.items()},
        maxima=maxima,
    )


@dataclass(frozen=True)
class Exposure:
    """A cocktail version on a day: its components, its procedure items, and the doses per session."""

    components: tuple[ComponentFact, ...]
    procedure_items: tuple[ComponentFact, ...]
    doses: tuple[SubstanceDose, ...]

    @property
    def everything(self) -> list[ComponentFact]:
        """Every exposure the check covers: the components, then the procedure items."""
        return [*self.components, *self.procedure_items]


def exposure_readings() -> dict[str, Reading]:
    """What `version_exposure` reads of a version (the bound parameter `version_id`), as parts of one statement
    (`db.together`): its components, its own procedure items and the kit's, the compositions of all those
    products, the components' lots with stock and their opened units. The products are named by subqueries
    on the version, so that nothing waits for the components' rows: one round trip, not five."""
    of_version = CocktailComponent.version_id == bindparam("version_id")
    components = select(CocktailComponent.product_id).where(of_version)
    products = union_all(components,
                         select(CocktailProcedureItem.product_id)
                         .where(CocktailProcedureItem.version_id == bindparam("version_id")),
                         select(ProcedureKitItem.product_id))
    return {
        "components": Reading(
            select(CocktailComponent.position, CocktailComponent.amount, Product.id, Product.name, Product.unit,
                   Product.single_use, Product.unit_size, Product.expiry_margin_days,
                   Product.opened_shelf_life_days)
            .join(Product, Product.id == CocktailComponent.product_id)
            .where(of_version),
            (CocktailComponent.position,)),
        **session_kit_readings(),
        "parts": _parts_of(products),
        "lots": Reading(lots_in_stock(components)),
        # The lots with opened content (the others have no unit to read).
        "opened_units": Reading(
            opened_units_of(select(Lot.id).where(Lot.product_id.in_(components), Lot.on_hand > 0,
                                                 Lot.opened_content != 0)),
            (OpenedUnit.id,)),
    }


@cache
def _exposure_reads() -> Together:
    return together(**exposure_readings())


def version_exposure(version_id: int, on: date) -> Exposure:
    """The version's components with compositions, contraindications and the day's FEFO plan, its
    procedure items checked like components, and each substance's dose per session (one statement)."""
    return exposure_from_rows(read_together(db.session, _exposure_reads(), {"version_id": version_id}), on)


def exposure_from_rows(rows: dict[str, list[tuple]], on: date) -> Exposure:
    """A version's exposure on a day from what `exposure_readings` read."""
    items = kit_from_rows(rows["own_items"] + rows["kit_items"])
    product_ids = [row[2] for row in rows["components"]]
    parts = parts_from_rows({*product_ids, *(item.product_id for item in items)}, rows["parts"])
    lots = lots_from_rows(rows["lots"], units_from_rows(rows["opened_units"]))
    facts, lines = [], []
    for position, amount, product_id, name, unit, single_use, unit_size, margin, opened_life in rows["components"]:
        composition = parts.composition[product_id]
        facts.append(ComponentFact(
            position=position + 1, product_id=product_id, product_name=name, unit=unit, composition=composition,
            contraindications=parts.contraindications[product_id],
            plan=plan_draw(lots.get(product_id, ()), amount, DrawRule.for_product(
                on, margin_days=margin, single_use=single_use, unit_size=unit_size,
                opened_shelf_life_days=opened_life)),
        ))
        lines += [DoseLine(part.substance.id, part.substance.name, name, part.strength, amount, unit, unit_size)
                  for part in composition]
    return Exposure(tuple(facts), tuple(procedure_facts(items, parts)),
                    tuple(doses_per_session(lines, parts.maxima)))


def procedure_facts(items: Sequence[KitItem], parts: ProductParts) -> list[ComponentFact]:
    """The kit's items and the version's own as facts the check covers like components (no stock drawn)."""
    return [
        ComponentFact(
            position=FIRST_PROCEDURE_POSITION + index, product_id=item.product_id, product_name=item.product_name,
            unit="", composition=parts.composition[item.product_id],
            contraindications=parts.contraindications[item.product_id],
            plan=NOTHING_DRAWN, place=FindingPlace.PROCEDURE, use=item.use,
        )
        for index, item in enumerate(items)
    ]


def component_facts(version_id: int, on: date) -> tuple[ComponentFact, ...]:
    """The version's components alone (with the day's FEFO plan)."""
    return version_exposure(version_id, on).components
