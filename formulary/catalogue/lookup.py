"""Finding substances, groups and conditions by any of their names."""

from sqlalchemy import or_, select

from formulary.catalogue.models import (
    AllergenGroup,
    Condition,
    GroupSynonym,
    Substance,
    SubstanceSynonym,
    TreatmentGoal,
)
from formulary.extensions import db
from formulary.reference.names import normalize_name


def find_substance(name: str) -> Substance | None:
    """The substance with this name or synonym (case, spacing, hyphens and accents ignored)."""
    key = normalize_name(name or "")
    if not key:
        return None
    synonym_of = select(SubstanceSynonym.substance_id).where(SubstanceSynonym.key == key)
    return db.session.scalar(
        select(Substance).where(or_(Substance.key == key, Substance.id.in_(synonym_of)))
    )


def find_group(name: str) -> AllergenGroup | None:
    """The allergen group with this name or synonym."""
    key = normalize_name(name or "")
    if not key:
        return None
    synonym_of = select(GroupSynonym.group_id).where(GroupSynonym.key == key)
    return db.session.scalar(
        select(AllergenGroup).where(or_(AllergenGroup.key == key, AllergenGroup.id.in_(synonym_of)))
    )


def find_condition(name: str) -> Condition | None:
    """The condition with this name."""
    key = normalize_name(name or "")
    return db.session.scalar(select(Condition).where(Condition.key == key)) if key else None


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
