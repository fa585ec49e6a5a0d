"""Reading what patients tell in words: the catalogue's names, and what a sentence names among them.

The reading itself is the pure matcher's (reference.matcher); this module gives it the catalogue's
names from the database: substances and allergen groups with their synonyms and memberships, and
conditions with theirs.
"""

from functools import cache

from flask import has_request_context, request
from sqlalchemy import func, select

from formulary.catalogue.models import (
    AllergenGroup,
    Condition,
    ConditionSynonym,
    GroupSynonym,
    Substance,
    SubstanceSynonym,
    group_member,
)
from formulary.extensions import db
from formulary.reference.loader import shipped_library
from formulary.reference.matcher import Entry, Lexicon, Mentions, lexicon
from formulary.vocabulary import EntryKind

CONDITION = "condition"  # the matcher's kind for conditions


def condition_lexicon() -> Lexicon:
    """Every condition's names (the clinic's own too), to read conditions told in words."""
    synonyms: dict[int, list[str]] = {}
    for condition_id, name in db.session.execute(select(ConditionSynonym.condition_id, ConditionSynonym.name)):
        synonyms.setdefault(condition_id, []).append(name)
    return lexicon(Entry(CONDITION, cid, name, tuple(synonyms.get(cid, ())))
                   for cid, name in db.session.execute(select(Condition.id, Condition.name)))


_LEXICONS: dict[tuple, Lexicon] = {}
_PER_REQUEST = "formulary.catalogue_lexicon"


@cache
def _fingerprint_statement():
    """One row that changes whenever a substance or group name, synonym or membership does."""
    columns = []
    for table_id, key in ((Substance.id, Substance.key), (SubstanceSynonym.id, SubstanceSynonym.key),
                          (AllergenGroup.id, AllergenGroup.key), (GroupSynonym.id, GroupSynonym.key)):
        columns += [select(func.count(table_id)).scalar_subquery(),
                    select(func.coalesce(func.max(table_id), 0)).scalar_subquery(),
                    select(func.coalesce(func.sum(func.length(key)), 0)).scalar_subquery()]
    columns += [select(func.count()).select_from(group_member).scalar_subquery(),
                select(func.coalesce(func.sum(group_member.c.group_id * 100003 + group_member.c.substance_id), 0))
                .scalar_subquery()]
    return select(*columns)


def catalogue_lexicon() -> Lexicon:
    """The catalogue's names as a lexicon, built once per process for each state of its names.

    A fingerprint query tells when a substance or group name, synonym or membership changed, so a
    caller pays one small query instead of reading ~900 names.
    """
    if has_request_context() and (known := request.environ.get(_PER_REQUEST)) is not None:
        return known  # once per request: a page that shows several free-text allergies asks once
    fingerprint = (str(db.engine.url), *db.session.execute(_fingerprint_statement()).one())
    found = _LEXICONS.get(fingerprint)
    if found is None:
        if len(_LEXICONS) > 8:
            _LEXICONS.clear()
        found = _LEXICONS[fingerprint] = _build_catalogue_lexicon()
    if has_request_context():
        request.environ[_PER_REQUEST] = found
    return found


def _build_catalogue_lexicon() -> Lexicon:
    """Every substance and allergen group with all its names and memberships, and the words never read as names."""
    synonyms: dict[tuple[str, int], list[str]] = {}
    for substance_id, name in db.session.execute(select(SubstanceSynonym.substance_id, SubstanceSynonym.name)):
        synonyms.setdefault((EntryKind.SUBSTANCE, substance_id), []).append(name)
    for group_id, name in db.session.execute(select(GroupSynonym.group_id, GroupSynonym.name)):
        synonyms.setdefault((EntryKind.GROUP, group_id), []).append(name)
    groups_of: dict[int, set[int]] = {}
    members_of: dict[int, set[int]] = {}
    for group_id, substance_id in db.session.execute(select(group_member.c.group_id, group_member.c.substance_id)):
        groups_of.setdefault(substance_id, set()).add(group_id)
        members_of.setdefault(group_id, set()).add(substance_id)
    entries = [
        Entry(EntryKind.SUBSTANCE, sid, name, tuple(synonyms.get((EntryKind.SUBSTANCE, sid), ())),
              groups=frozenset(groups_of.get(sid, ())))
        for sid, name in db.session.execute(select(Substance.id, Substance.name).order_by(Substance.id))
    ] + [
        Entry(EntryKind.GROUP, gid, name, tuple(synonyms.get((EntryKind.GROUP, gid), ())),
              members=frozenset(members_of.get(gid, ())))
        for gid, name in db.session.execute(select(AllergenGroup.id, AllergenGroup.name).order_by(AllergenGroup.id))
    ]
    return lexicon(entries, (word.word for word in shipped_library().ambiguous))


def read_allergy(text: str) -> Mentions:
    """The substances and groups a free-text allergy names, and the ambiguous words in it."""
    return catalogue_lexicon().read(text)


def is_ambiguous(text: str) -> bool:
    """Whether the text is a word never coded by itself ("water", "HA", "PPD")."""
    return catalogue_lexicon().is_ambiguous(text)


def matches_json(mentions: Mentions) -> list[dict]:
    """What a text names, as the API answers it: [{kind, id, name}]."""
    return [{"kind": entry.kind, "id": entry.id, "name": entry.name} for entry in mentions.found]
