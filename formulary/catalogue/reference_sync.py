"""Loading the shipped reference library into the database, leaving a clinic's own rows alone.

Rows are matched by their normalized name key. A reference row is added when missing and
brought up to date when the library changed; a row the clinic made itself (origin
"clinic") is never changed, and where a clinic row already uses a name the library's row
is skipped and reported.
"""

from sqlalchemy import select

from formulary.catalogue.models import (
    AllergenGroup,
    Condition,
    ConditionSynonym,
    CrossReaction,
    GroupSynonym,
    Substance,
    SubstanceSynonym,
    TreatmentGoal,
)
from formulary.extensions import db
from formulary.reference.library import ReferenceLibrary
from formulary.reference.loader import shipped_library
from formulary.reference.names import normalize_name
from formulary.vocabulary import EntryKind, Origin


class _Tally:
    def __init__(self):
        self.added = self.updated = 0
        self.skipped: list[str] = []

    def set(self, row, **values) -> None:
        """Set values on a row, counting it as updated if any differed (new rows are not)."""
        changed = False
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
        self.updated += changed and row.id is not None

    def add(self, row) -> None:
        """Add a new reference row to the session, counting it as added."""
        db.session.add(row)
        self.added += 1

    def adopted(self, rows: dict, model, key: str, name: str, what: str):
        """The reference row of a key, made and added when missing; None (skipped, reported) when the clinic's own."""
        row = rows.get(key)
        if row is None:
            row = rows[key] = model(key=key, origin=Origin.REFERENCE, name=name)
            self.add(row)
        elif row.origin == Origin.CLINIC:
            self.skipped.append(f"{what} {name!r} (the clinic's own)")
            return None
        return row


def _by_key(model) -> dict:
    return {row.key: row for row in db.session.scalars(select(model))}


def _sync_substances(library: ReferenceLibrary, tally: _Tally) -> dict[str, Substance]:
    substances, synonyms = _by_key(Substance), _by_key(SubstanceSynonym)
    for ref in library.substances:
        key = normalize_name(ref.name)
        row = substances.get(key)
        if row is None and key in synonyms:
            tally.skipped.append(f"substance {ref.name!r} (already a synonym of {synonyms[key].substance.name})")
            continue
        row = tally.adopted(substances, Substance, key, ref.name, "substance")
        if row is None:
            continue
        tally.set(row, name=ref.name, category=str(ref.category), unii=ref.unii, note=ref.note or "")
        for synonym in ref.synonyms:
            synonym_key = normalize_name(synonym)
            existing = synonyms.get(synonym_key)
            if existing is None and synonym_key not in substances:
                synonyms[synonym_key] = SubstanceSynonym(name=synonym, key=synonym_key, origin=Origin.REFERENCE)
                row.synonyms.append(synonyms[synonym_key])
                tally.added += 1
            elif existing is not None and existing.substance is row and existing.origin == Origin.REFERENCE:
                tally.set(existing, name=synonym)
        # A name the library moved elsewhere ("vitamin C" now names every vitamin C form, not ascorbic acid).
        listed = {normalize_name(synonym) for synonym in ref.synonyms}
        for old in [s for s in row.synonyms if s.origin == Origin.REFERENCE and s.key not in listed]:
            row.synonyms.remove(old)
            del synonyms[old.key]
            tally.updated += 1
    return substances


def _sync_groups(library: ReferenceLibrary, substances: dict, tally: _Tally) -> dict[str, AllergenGroup]:
    groups, synonyms = _by_key(AllergenGroup), _by_key(GroupSynonym)
    for ref in library.groups:
        key = normalize_name(ref.name)
        row = tally.adopted(groups, AllergenGroup, key, ref.name, "group")
        if row is None:
            continue
        tally.set(row, name=ref.name, description=ref.description, note=ref.note or "")
        # The library's members, plus any substance the clinic itself put in the group.
        members = [substances[normalize_name(m)] for m in ref.members if normalize_name(m) in substances]
        members += [m for m in row.members if m.origin == Origin.CLINIC and m not in members]
        if set(members) != set(row.members):
            tally.updated += row.id is not None
            row.members = members
        for synonym in ref.synonyms:
            synonym_key = normalize_name(synonym)
            if synonym_key not in synonyms and synonym_key not in groups:
                synonyms[synonym_key] = GroupSynonym(name=synonym, key=synonym_key, origin=Origin.REFERENCE)
                row.synonyms.append(synonyms[synonym_key])
                tally.added += 1
    return groups


def _sync_cross_reactions(library, substances, groups, tally: _Tally) -> None:
    def side(kind, name):
        target = (groups if kind == EntryKind.GROUP else substances).get(normalize_name(name))
        return (EntryKind(kind), target)

    existing = {}
    for row in db.session.scalars(select(CrossReaction).where(CrossReaction.origin == Origin.REFERENCE)):
        group, substance = EntryKind.GROUP, EntryKind.SUBSTANCE
        source = (group, row.source_group) if row.source_group else (substance, row.source_substance)
        target = (group, row.target_group) if row.target_group else (substance, row.target_substance)
        existing[(source, target)] = row
    for ref in library.cross_reactions:
        source, target = side(ref.source_kind, ref.source), side(ref.target_kind, ref.target)
        if source[1] is None or target[1] is None or Origin.CLINIC in (source[1].origin, target[1].origin):
            continue
        cross = existing.get((source, target))
        if cross is None:
            cross = CrossReaction(origin=Origin.REFERENCE)
            setattr(cross, f"source_{source[0]}", source[1])
            setattr(cross, f"target_{target[0]}", target[1])
            tally.add(cross)
        tally.set(cross, strength=str(ref.strength), note=ref.note or "")


def _sync_conditions(library: ReferenceLibrary, tally: _Tally) -> None:
    """Conditions with their session caution and synonyms ("pregnant"); the clinic's own left alone."""
    rows, synonyms = _by_key(Condition), _by_key(ConditionSynonym)
    for ref in library.conditions:
        row = tally.adopted(rows, Condition, normalize_name(ref.name), ref.name, "condition")
        if row is None:
            continue
        tally.set(row, name=ref.name, description=ref.description, session_caution=ref.session_caution)
        for synonym in ref.synonyms:
            key = normalize_name(synonym)
            if key not in synonyms and key not in rows:
                synonyms[key] = ConditionSynonym(name=synonym, key=key, origin=Origin.REFERENCE)
                row.synonyms.append(synonyms[key])
                tally.added += 1


def _sync_named(model, refs, tally: _Tally) -> None:
    rows = _by_key(model)
    for ref in refs:
        key = normalize_name(ref.name)
        row = rows.get(key)
        if row is None:
            tally.add(model(key=key, origin=Origin.REFERENCE, name=ref.name, description=ref.description))
        elif row.origin == Origin.REFERENCE:
            tally.set(row, name=ref.name, description=ref.description)


def sync_reference_library(library: ReferenceLibrary | None = None) -> list[str]:
    """Add or update reference rows; report what changed and what was left to the clinic."""
    library = library or shipped_library()
    tally = _Tally()
    with db.session.no_autoflush:
        substances = _sync_substances(library, tally)
        groups = _sync_groups(library, substances, tally)
        _sync_cross_reactions(library, substances, groups, tally)
        _sync_named(TreatmentGoal, library.goals, tally)
        _sync_conditions(library, tally)
    db.session.flush()
    if not tally.added and not tally.updated:
        lines = ["Reference library is up to date."]
    else:
        updated = f", {tally.updated} updated" if tally.updated else ""
        lines = [f"Reference library: {tally.added} rows added{updated}."]
    lines += [f"  left alone: {item}" for item in tally.skipped]
    return lines
