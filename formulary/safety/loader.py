"""Building the check's plain facts of the patient and the reference library from the database, in a
fixed handful of plain column queries (what the cocktail exposes the patient to: safety.exposure).

The check reads them all in one statement with the exposure's (treatments.checks: `patient_readings`
and `cross_reaction_reading` merged by db.together), then builds the facts from the rows
(`patient_facts_from_rows`, `cross_reactions_from_rows`). What the patient tolerated in earlier
sessions is the treatments package's to read (it sits above this one): treatments.checks loads those
facts and hands them to the patient's.
"""

from collections.abc import Iterable
from functools import cache

from sqlalchemy import Integer, String, bindparam, literal, or_, select
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import aliased

from formulary.catalogue.models import AllergenGroup, Condition, CrossReaction, Substance, group_member
from formulary.db import Reading, Together, read_together, together
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
# parameters) and only executed after, which spares SQLAlchemy rebuilding them and their cache keys;
# and they are read together, in one round trip to PostgreSQL.


def patient_readings() -> dict[str, Reading]:
    """What `patient_facts` reads of a patient (the bound parameter `patient_id`), as parts of one statement
    (`db.together`): the allergy history, the conditions listed and those told in words."""
    return {
        # The history status rides along (an outer join: one row when there are none), and so do each coded
        # allergy's memberships: a substance's groups, a group's members (a row for each).
        "allergies": Reading(
            select(Patient.allergy_status, Allergy.id, Allergy.substance_id, Allergy.group_id, Allergy.text,
                   Allergy.criticality, Allergy.status, Allergy.recorded_at, Allergy.reaction, Substance.name,
                   AllergenGroup.name, Allergy.verification_status, group_member.c.substance_id,
                   group_member.c.group_id)
            .outerjoin(Allergy, Allergy.patient_id == Patient.id)
            .outerjoin(Substance, Substance.id == Allergy.substance_id)
            .outerjoin(AllergenGroup, AllergenGroup.id == Allergy.group_id)
            .outerjoin(group_member, or_(group_member.c.substance_id == Allergy.substance_id,
                                         group_member.c.group_id == Allergy.group_id))
            .where(Patient.id == bindparam("patient_id")),
            (Allergy.id,)),
        # The listed conditions (by id), then those told in words (in the order told).
        "conditions_listed": Reading(
            select(literal(0).label("told"), Condition.id.label("key"), Condition.id, Condition.name,
                   Condition.session_caution, literal(None, String).label("text"))
            .join(PatientCondition, PatientCondition.condition_id == Condition.id)
            .where(PatientCondition.patient_id == bindparam("patient_id")),
            (Condition.id,)),
        "conditions_told": Reading(
            select(literal(1), PatientConditionText.id, literal(None, Integer), literal(None, String),
                   literal(None, String), PatientConditionText.text)
            .where(PatientConditionText.patient_id == bindparam("patient_id")),
            (PatientConditionText.id,)),
    }


@cache
def _patient_reads() -> Together:
    return together(**patient_readings())


def patient_facts(patient_id: int, tolerated: Iterable[ToleranceFact] = ()) -> PatientFacts:
    """The patient's allergy history, allergies and conditions, with what they tolerated (given); one statement.

    Plain column queries (no ORM objects): the check runs on every request that asks for it.
    """
    return patient_facts_from_rows(patient_id, read_together(db.session, _patient_reads(), {"patient_id": patient_id}),
                                   tolerated)


def patient_facts_from_rows(patient_id: int, found: dict[str, list[tuple]],
                            tolerated: Iterable[ToleranceFact] = ()) -> PatientFacts:
    """The patient's facts from what `patient_readings` read (and what they tolerated)."""
    if not found["allergies"]:
        raise NoResultFound(f"There is no patient with id {patient_id}.")
    rows: dict[int, tuple] = {}  # allergy id → its columns, in the allergies' order
    related: dict[int, set[int]] = {}  # allergy id → its substance's groups, or its group's members
    for row in found["allergies"]:
        allergy_id, allergen_substance, membership = row[1], row[2], row[12:14]  # membership: (substance, group)
        if allergy_id is None:
            continue
        rows.setdefault(allergy_id, row[1:12])
        ids = related.setdefault(allergy_id, set())
        if membership[0] is not None:  # a substance allergy's group, or a group allergy's member
            ids.add(membership[1] if allergen_substance else membership[0])
    allergies = tuple(
        AllergyFact(
            id=id_,
            kind=AllergyKind.SUBSTANCE if substance_id else AllergyKind.GROUP if group_id else AllergyKind.TEXT,
            ref_id=substance_id or group_id, name=substance_name or group_name or text or "",
            criticality=criticality, status=status, recorded_on=recorded_at.date(), reaction=reaction,
            group_ids=frozenset(related[id_]) if substance_id else frozenset(),
            member_ids=frozenset(related[id_]) if group_id else frozenset(),
            verification_status=verification_status,
        )
        for (id_, substance_id, group_id, text, criticality, status, recorded_at, reaction, substance_name,
             group_name, verification_status) in rows.values()
    )
    return PatientFacts(
        allergy_status=found["allergies"][0][0],
        allergies=allergies,
        conditions=conditions_from_rows(found["conditions_listed"] + found["conditions_told"]),
        tolerated=tuple(tolerated),
    )


def conditions_from_rows(rows) -> tuple[ConditionFact, ...]:
    """The conditions from the rows of the listed then the told (the words read against the conditions' names:
    two more queries, for a patient who told some)."""
    listed, texts = [], []
    for told, _key, condition_id, name, caution, text in rows:
        if told:
            texts.append(text)
        else:
            listed.append(ConditionFact(condition_id, name, caution))
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


def cross_reaction_reading() -> Reading:
    """The cross-reaction query: every row, clinic and reference alike, with the names of both ends."""
    source_group, target_group = aliased(AllergenGroup), aliased(AllergenGroup)
    source_substance, target_substance = aliased(Substance), aliased(Substance)
    return Reading(
        select(CrossReaction.source_group_id, CrossReaction.source_substance_id, source_group.name,
               source_substance.name, CrossReaction.target_group_id, CrossReaction.target_substance_id,
               target_group.name, target_substance.name, CrossReaction.strength)
        .outerjoin(source_group, source_group.id == CrossReaction.source_group_id)
        .outerjoin(source_substance, source_substance.id == CrossReaction.source_substance_id)
        .outerjoin(target_group, target_group.id == CrossReaction.target_group_id)
        .outerjoin(target_substance, target_substance.id == CrossReaction.target_substance_id),
        (CrossReaction.id,),
    )


@cache
def _cross_reactions_statement():
    """The cross-reaction query, built once (the statement only; the rows are read on every call)."""
    return cross_reaction_reading().statement


def cross_reaction_facts() -> list[CrossReactionFact]:
    """Every cross-reaction row, clinic and reference alike, with the names of both ends (one query)."""
    return cross_reactions_from_rows(db.session.execute(_cross_reactions_statement()))


def cross_reactions_from_rows(rows) -> list[CrossReactionFact]:
    """The cross-reactions from the rows of `cross_reaction_reading`."""
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
