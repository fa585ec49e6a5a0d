"""Finding substances, groups and conditions by any of their names."""

from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlalchemy import or_, select

from formulary.catalogue.models import (
    AllergenGroup,
    Condition,
    ConditionSynonym,
    GroupSynonym,
    Substance,
    SubstanceSynonym,
    TreatmentGoal,
)
from formulary.extensions import db
from formulary.reference.names import normalize_name

Named = TypeVar("Named", Substance, AllergenGroup)


def _by_name_or_synonym(model: type[Named], name: str, synonym_key, synonym_owner) -> Named | None:
    """The row of model whose name or one of whose synonyms has the key of this name."""
    key = normalize_name(name or "")
    if not key:
        return None
    synonym_of = select(synonym_owner).where(synonym_key == key)
    return db.session.scalar(select(model).where(or_(model.key == key, model.id.in_(synonym_of))))


def find_substance(name: str) -> Substance | None:
    """The substance with this name or synonym (case, spacing, hyphens and accents ignored)."""
    return _by_name_or_synonym(Substance, name, SubstanceSynonym.key, SubstanceSynonym.substance_id)


def find_group(name: str) -> AllergenGroup | None:
    """The allergen group with this name or synonym."""
    return _by_name_or_synonym(AllergenGroup, name, GroupSynonym.key, GroupSynonym.group_id)


def find_condition(name: str) -> Condition | None:
    """The condition with this name or synonym ("pregnant" finds pregnancy)."""
    key = normalize_name(name or "")
    if not key:
        return None
    synonym_of = select(ConditionSynonym.condition_id).where(ConditionSynonym.key == key)
    return db.session.scalar(select(Condition).where(or_(Condition.key == key, Condition.id.in_(synonym_of))))


def find_goal(name: str) -> TreatmentGoal | None:
    """The treatment goal with this name."""
    key = normalize_name(name or "")
    return db.session.scalar(select(TreatmentGoal).where(TreatmentGoal.key == key)) if key else None


def name_taken(key: str) -> bool:
    """Whether a substance name or synonym already uses this matching key."""
    return bool(
        db.session.scalar(select(Substance.id).where(Substance.key == key))
        or db.session.scalar(select(SubstanceSynonym.id).where(SubstanceSynonym.key == key))
    )


Found = TypeVar("Found")


def resolve_names(
    names: Iterable[str], find: Callable[[str], Found | None], field: str, what: str, errors: list[tuple[str, str]]
) -> list[Found]:
    """Each name's row by `find`, in order and once each; an unknown name adds (field, message) to errors."""
    found: list[Found] = []
    for name in names:
        row = find(name)
        if row is None:
            errors.append((field, f"Unknown {what} {name!r}."))
        elif row not in found:
            found.append(row)
    return found
