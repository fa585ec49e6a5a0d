"""The check's facts for procedure items: the clinic's kit and the cocktail version's own items.

Each item becomes a ComponentFact with place "procedure": the check reads its composition and
contraindications exactly as a component's. Kit items draw no stock, so their plan needs nothing.
"""

from decimal import Decimal

from sqlalchemy import select

from formulary.catalogue.models import Condition, ProductComponent, ProductContraindication, Substance
from formulary.cocktails.kit import session_kit
from formulary.extensions import db
from formulary.safety.facts import ComponentFact, ContraindicationFact, IngredientFact, SubstanceFact
from formulary.safety.loader import _memberships
from formulary.stock.fefo import DrawPlan
from formulary.vocabulary import FindingPlace

NOTHING_DRAWN = DrawPlan(needed=Decimal(0), draws=(), skipped=())
# Procedure items come after any cocktail's components in the check's order.
FIRST_POSITION = 1000


def procedure_facts(version_id: int) -> list[ComponentFact]:
    """The kit's items and the version's own, as facts the check covers like components."""
    items = session_kit(version_id)
    product_ids = [item.product_id for item in items]
    if not product_ids:
        return []
    composition: dict[int, list] = {pid: [] for pid in product_ids}
    for product_id, substance_id, name, role, strength in db.session.execute(
        select(ProductComponent.product_id, ProductComponent.substance_id, Substance.name, ProductComponent.role,
               ProductComponent.strength)
        .join(Substance, Substance.id == ProductComponent.substance_id)
        .where(ProductComponent.product_id.in_(product_ids))
        .order_by(ProductComponent.product_id, ProductComponent.position)
    ):
        composition[product_id].append((substance_id, name, role, strength))
    rules: dict[int, list] = {pid: [] for pid in product_ids}
    for product_id, condition_id, name, severity in db.session.execute(
        select(ProductContraindication.product_id, ProductContraindication.condition_id, Condition.name,
               ProductContraindication.severity)
        .join(Condition, Condition.id == ProductContraindication.condition_id)
        .where(ProductContraindication.product_id.in_(product_ids))
    ):
        rules[product_id].append(ContraindicationFact(condition_id, name, severity))
    groups_of, _ = _memberships({part[0] for parts in composition.values() for part in parts}, ())
    return [
        ComponentFact(
            position=FIRST_POSITION + index, product_id=item.product_id, product_name=item.product_name, unit="",
            composition=tuple(
                IngredientFact(SubstanceFact(sid, substance, frozenset(groups_of[sid])), role, strength)
                for sid, substance, role, strength in composition[item.product_id]
            ),
            contraindications=tuple(rules[item.product_id]),
            plan=NOTHING_DRAWN, place=FindingPlace.PROCEDURE, use=item.use,
        )
        for index, item in enumerate(items)
    ]
