"""Building the check's plain facts of the patient and the reference library from the database, in a
fixed handful of plain column queries (what the cocktail exposes the patient to: safety.exposure).

What the patient tolerated in earlier sessions is the treatments package's to read (it sits above
this one): treatments.checks loads those facts and hands them to `patient_facts`.
"""

from collections.abc import Iterable
from functools import cache

from sqlalchemy import bindparam, or_, select
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import aliased

from formulary.catalogue.models import AllergenGroup, Condition, CrossReaction, Substance, group_member
from formulary.extensions import db
from formulary.patients.models import Allergy, Patient, PatientCondition, PatientConditionText
from formulary.patients.reading import catalogue_lexicon, condition_lexicon
from formulary.reference.matcher import Lexicon
from formulary.safety.facts import (
    AllergyFact,
    ConditionFact,
    CrossReactionFact,
    PatientFacts,
    ToleranceFact,
)
from formulary.vocabulary import AllergyKind, EntryKind

# The check runs on every request that asks for it: its statements are built once (with bound
# parameters) and only executed after, which spares SQLAlchemy rebuilding them and their cache keys.


@cache
def _memberships_statement():
    return select(group_member.c.substance_id, group_member.c.group_id).where(or_(
        group_member.c.substance_id.in_(bindparam("substance_ids", expanding=True)),
        group_member.c.group_id.in_(bindparam("group_ids", expanding=True))))


def memberships(substance_ids, group_ids) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """The groups of each substance and the members of each group asked for, in one query."""
    substance_ids, group_ids = set(substance_ids), set(group_ids)
    groups_of: dict[int, set[int]] = {sid: set() for sid in substance_ids}
    members_of: dict[int, set[int]] = {gid: set() for gid in group_ids}
    if substance_ids or group_ids:
        rows = db.session.execute(_memberships_statement(),
                                  {"substance_ids": list(substance_ids), "group_ids": list(group_ids)})
        for substance_id, group_id in rows:
            if substance_id in groups_of:
                groups_of[substance_id].add(group_id)
            if group_id in members_of:
                members_of[group_id].add(substance_id)
    return groups_of, members_of


@cache
def _allergies_statement():
    # The history status rides along with the allergies (an outer join: one row when there are none).
    return (
        select(Patient.allergy_status, Allergy.id, Allergy.substance_id, Allergy.group_id, Allergy.text,
               Allergy.criticality, Allergy.status, Allergy.recorded_at, Allergy.reaction, Substance.name,
               AllergenGroup.name, Allergy.verification_status)
        .outerjoin(Allergy, Allergy.patient_id == Patient.id)
        .outerjoin(Substance, Substance.id == Allergy.substance_id)
        .outerjoin(AllergenGroup, AllergenGroup.id == Allergy.group_id)
        .where(Patient.id == bindparam("patient_id"))
        .order_by(Allergy.id)
    )


def patient_facts(patient_id: int, tolerated: Iterable[ToleranceFact] = ()) -> PatientFacts:
    """The patient's allergy history, allergies and conditions, with what they tolerated (given).

    Plain column queries (no ORM objects): the check runs on every request that asks for it.
    """
    found = db.session.execute(_allergies_statement(), {"patient_id": patient_id}).all()
    if not found:
        raise NoResultFound(f"There is no patient with id {patient_id}.")
    allergy_status = found[0][0]
    rows = [row[1:] for row in found if row[1] is not None]
    groups_of, members_of = memberships((r[1] for r in rows if r[1]), (r[2] for r in rows if r[2]))
    allergies = tuple(
        AllergyFact(
            id=id_,
            kind=AllergyKind.SUBSTANCE if substance_id else AllergyKind.GROUP if group_id else AllergyKind.TEXT,
            ref_id=substance_id or group_id, name=substance_name or group_name or text or "",
            criticality=criticality, status=status, recorded_on=recorded_at.date(), reaction=reaction,
            group_ids=frozenset(groups_of[substance_id]) if substance_id else frozenset(),
            member_ids=frozenset(members_of[group_id]) if group_id else frozenset(),
            verification_status=verification_status,
        )
        for (id_, substance_id, group_id, text, criticality, status, recorded_at, reaction, substance_name,
             group_name, verification_status) in rows
    )
    return PatientFacts(
        allergy_status=allergy_status,
        allergies=allergies,
        conditions=condition_facts(patient_id),
        tolerated=tuple(tolerated),
    )


@cache
def _listed_conditions_statement():
    return (select(Condition.id, Condition.name, Condition.session_caution)
            .join(PatientCondition, PatientCondition.condition_id == Condition.id)
            .where(PatientCondition.patient_id == bindparam("patient_id")).order_by(Condition.id))


@cache
def _told_conditions_statement():
    return (select(PatientConditionText.text).where(PatientConditionText.patient_id == bindparam("patient_id"))
            .order_by(PatientConditionText.id))


def condition_facts(patient_id: int) -> tuple[ConditionFact, ...]:
    """The patient's listed conditions, then those told in words: read for a condition's name, else kept as text."""
    patient = {"patient_id": patient_id}
    listed = [ConditionFact(cid, name, caution)
              for cid, name, caution in db.session.execute(_listed_conditions_statement(), patient)]
    texts = db.session.scalars(_told_conditions_statement(), patient).all()
    if not texts:
        return tuple(listed)
    names = condition_lexicon()
    cautions = dict(db.session.execute(select(Condition.id, Condition.session_caution)).all())
    have = {fact.id for fact in listed}
    for text in texts:
        found = names.read(text).found
        for entry in found:
            if entry.id not in have:
                listed.append(ConditionFact(entry.id, entry.name, cautions.get(entry.id, ""), told=text))
                have.add(entry.id)
        if not found:
            listed.append(ConditionFact(None, text))
    return tuple(listed)


@cache
def _cross_reactions_statement():
    """The cross-reaction query, built once (the statement only; the rows are read on every call)."""
    source_group, target_group = aliased(AllergenGroup), aliased(AllergenGroup)
    source_substance, target_substance = aliased(Substance), aliased(Substance)
    return (
        select(CrossReaction.source_group_id, CrossReaction.source_substance_id, source_group.name,
               source_substance.name, CrossReaction.target_group_id, CrossReaction.target_substance_id,
               target_group.name, target_substance.name, CrossReaction.strength)
        .outerjoin(source_group, source_group.id == CrossReaction.source_group_id)
        .outerjoin(source_substance, source_substance.id == CrossReaction.source_substance_id)
        .outerjoin(target_group, target_group.id == CrossReaction.target_group_id)
        .outerjoin(target_substance, target_substance.id == CrossReaction.target_substance_id)
        .order_by(CrossReaction.id)
    )


def cross_reaction_facts() -> list[CrossReactionFact]:
    """Every cross-reaction row, clinic and reference alike, with the names of both ends (one query)."""
    rows = db.session.execute(_cross_reactions_statement())
    return [
        CrossReactionFact(EntryKind.GROUP if sg else EntryKind.SUBSTANCE, sg or ss, sg_name if sg else ss_name,
                          EntryKind.GROUP if tg else EntryKind.SUBSTANCE, tg or ts, tg_name if tg else ts_name,
                          strength)
        for sg, ss, sg_name, ss_name, tg, ts, tg_name, ts_name, strength in rows
    ]


def lexicon_for(patient: PatientFacts) -> Lexicon | None:
    """The catalogue's names for reading the patient's free-text allergies; None when there are none to read."""
    if not any(allergy.kind == AllergyKind.TEXT and allergy.active for allergy in patient.allergies):
        return None
    return catalogue_lexicon()
