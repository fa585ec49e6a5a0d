"""Facts built from the shipped reference library, as the loader would build them from the database."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal as D

from formulary.reference.loader import shipped_library
from formulary.reference.matcher import Entry, lexicon
from formulary.reference.names import normalize_name
from formulary.safety.facts import (
    AllergyFact,
    ComponentFact,
    ConditionFact,
    ContraindicationFact,
    CrossReactionFact,
    IngredientFact,
    PatientFacts,
    SubstanceFact,
    ToleranceFact,
)
from formulary.stock.fefo import DrawRule, LotStock, plan_draw

LIBRARY = shipped_library()
ON = date(2026, 12, 1)
RECORDED = date(2026, 1, 10)
# Substances and groups number from 1 each, as two database tables do: the check must keep them apart.
SUBSTANCE_IDS = {s.name: number for number, s in enumerate(LIBRARY.substances, start=1)}
GROUP_IDS = {g.name: number for number, g in enumerate(LIBRARY.groups, start=1)}
CONDITION_IDS = {c.name: number for number, c in enumerate(LIBRARY.conditions, start=1)}
_ids = itertools.count(1000)


def groups_of(name: str) -> frozenset[int]:
    """The ids of the groups the substance belongs to."""
    return frozenset(GROUP_IDS[group.name] for group in LIBRARY.groups_of(name))


def substance(name: str) -> SubstanceFact:
    """A substance of the library as a fact."""
    return SubstanceFact(SUBSTANCE_IDS[name], name, groups_of(name))


def allergy(name: str, *, status="active", criticality="low", recorded_on=RECORDED, **extra) -> AllergyFact:
    """An allergy coded to the substance or group of that name (the loader resolved the synonym)."""
    if name in SUBSTANCE_IDS:
        return AllergyFact(
            next(_ids),
            "substance",
            SUBSTANCE_IDS[name],
            name,
            criticality,
            status,
            recorded_on,
            group_ids=groups_of(name),
            **extra,
        )
    members = next(group.members for group in LIBRARY.groups if group.name == name)
    return AllergyFact(
        next(_ids),
        "group",
        GROUP_IDS[name],
        name,
        criticality,
        status,
        recorded_on,
        member_ids=frozenset(SUBSTANCE_IDS[m] for m in members),
        **extra,
    )


def text_allergy(text: str, *, status="active", criticality="unable-to-assess") -> AllergyFact:
    """A free-text allergy that nothing in the library matched."""
    return AllergyFact(next(_ids), "text", None, text, criticality, status, RECORDED)


def condition(name: str) -> ConditionFact:
    """A condition of the library as a fact."""
    return ConditionFact(CONDITION_IDS[name], name)


def contraindicated(name: str, severity: str = "block") -> ContraindicationFact:
    """A product's contraindication naming a condition of the library."""
    return ContraindicationFact(CONDITION_IDS[name], name, severity)


def cross_reactions() -> tuple[CrossReactionFact, ...]:
    """Every cross-reaction row of the shipped library."""

    def side(kind, name):
        return (GROUP_IDS if kind == "group" else SUBSTANCE_IDS)[name]

    return tuple(
        CrossReactionFact(
            row.source_kind.value,
            side(row.source_kind, row.source),
            row.source,
            row.target_kind.value,
            side(row.target_kind, row.target),
            row.target,
            row.strength.value,
        )
        for row in LIBRARY.cross_reactions
    )


def lot(lot_id: int, quantity="10", *, expiry=date(2027, 6, 30), status="available", number=None):
    """A lot of some product, in date on ON unless told otherwise."""
    return LotStock(lot_id, number or f"L{lot_id}", expiry, date(2026, 1, 1), D(quantity), status)


def component(
    position: int,
    product: str,
    *ingredients: tuple[str, str],
    amount="2",
    lots=None,
    margin_days=0,
    contraindications=(),
    product_id=None,
) -> ComponentFact:
    """A cocktail component: a product made of (substance, role) pairs, with FEFO's plan for ON."""
    product_id = product_id if product_id is not None else 500 + position
    lots = [lot(product_id * 10)] if lots is None else lots
    return ComponentFact(
        position=position,
        product_id=product_id,
        product_name=product,
        unit="mL",
        composition=tuple(IngredientFact(substance(name), role) for name, role in ingredients),
        contraindications=tuple(contraindications),
        plan=plan_draw(lots, D(amount), DrawRule(ON, margin_days)),
    )


def patient(*allergies, status=None, conditions=(), tolerated=()) -> PatientFacts:
    """A patient; allergy history 'recorded' when allergies are given, else 'none-known'."""
    status = status or ("recorded" if allergies else "none-known")
    return PatientFacts(status, tuple(allergies), tuple(conditions), tuple(tolerated))


def tolerated(product_id: int, on: date) -> ToleranceFact:
    """The patient received the product on that day and no reaction was noted."""
    return ToleranceFact(product_id, on)


def _entries():
    for name, number in SUBSTANCE_IDS.items():
        ref = LIBRARY.find_substance(name)
        yield Entry("substance", number, name, ref.synonyms, groups=groups_of(name))
    for group in LIBRARY.groups:
        yield Entry("group", GROUP_IDS[group.name], group.name, group.synonyms,
                    members=frozenset(SUBSTANCE_IDS[m] for m in group.members))


# Every name of the library, as safety.loader.catalogue_lexicon builds it from the database.
LEXICON = lexicon(_entries(), (word.word for word in LIBRARY.ambiguous))


def recorded(text: str, *, criticality="unable-to-assess", **extra) -> AllergyFact:
    """An allergy as the recording form stores it: coded when the text is exactly a name or synonym
    (not an ambiguous word), free text otherwise."""
    key = normalize_name(text)
    ambiguous = LEXICON.is_ambiguous(text)
    found = None if ambiguous else (LIBRARY.substance_by_key(key) or LIBRARY.group_by_key(key))
    if found is None:
        return AllergyFact(next(_ids), "text", None, text, criticality, extra.pop("status", "active"), RECORDED,
                           **extra)
    return allergy(found.name, criticality=criticality, **extra)
