"""The reference library: substances, allergen groups and cross-reactions, as plain values."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from formulary.reference.names import normalize_name
from formulary.vocabulary import EntryKind, Strength


class SubstanceCategory(StrEnum):
    """What kind of thing a reference substance is."""

    HYALURONIC_ACID = "hyaluronic acid"
    VITAMIN = "vitamin"
    ANTIOXIDANT = "antioxidant"
    AMINO_ACID = "amino acid"
    PEPTIDE = "peptide"
    NUCLEOTIDE = "nucleotide"
    COENZYME = "coenzyme"
    MINERAL = "mineral"
    PLANT_EXTRACT = "plant extract"
    ANAESTHETIC = "anaesthetic"
    VASOCONSTRICTOR = "vasoconstrictor"
    PRESERVATIVE = "preservative"
    EXCIPIENT = "excipient"
    # Something patients are allergic to that products rarely contain (egg, latex,
    # nickel): listed so that such an allergy can be coded rather than kept as free text.
    ALLERGEN = "allergen"
    OTHER = "other"


class ReferenceDataError(ValueError):
    """A data file of the reference library is wrong; names the file, line and value."""

    def __init__(self, file: str, line: int, value: str, reason: str) -> None:
        self.file, self.line, self.value, self.reason = file, line, value, reason
        super().__init__(f"{file}, line {line}: {reason}: {value!r}")


@dataclass(frozen=True)
class ReferenceSubstance:
    """A substance a patient can react to, with its synonyms and optional UNII code."""

    name: str
    category: SubstanceCategory
    synonyms: tuple[str, ...] = ()
    unii: str | None = None
    note: str | None = None

    @property
    def key(self) -> str:
        """The matching key of the canonical name."""
        return normalize_name(self.name)


@dataclass(frozen=True)
class ReferenceGroup:
    """An allergen group: substances that matter together for allergy."""

    name: str
    description: str
    members: tuple[str, ...]
    note: str | None = None
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class CrossReaction:
    """A cross-reaction between two sides, each a group or a substance; it runs both ways.

    A row whose two sides are the same group says that its members cross-react with one
    another (an allergy to methylparaben reaches propylparaben).
    """

    source: str
    source_kind: EntryKind
    target: str
    target_kind: EntryKind
    strength: Strength
    note: str

    @property
    def sides(self) -> tuple[tuple[EntryKind, str], tuple[EntryKind, str]]:
        """Both ends as (kind, name) pairs."""
        return (self.source_kind, self.source), (self.target_kind, self.target)


@dataclass(frozen=True)
class TreatmentGoal:
    """What a cocktail is for (hydration, brightening …)."""

    name: str
    description: str


@dataclass(frozen=True)
class Condition:
    """A patient condition that a product can name as a contraindication.

    `session_caution` is what it means for every mesotherapy session whatever the products say
    (pregnancy, breastfeeding); empty when it matters only where a product names it.
    """

    name: str
    description: str
    session_caution: str = ""
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class AmbiguousWord:
    """A word that names more than one thing ("water", "HA"): never read as a name, always asked."""

    word: str
    reason: str


@dataclass(frozen=True)
class ReferenceLibrary:
    """The whole reference library, with lookups by name, synonym and membership.

    Lookups take canonical names as the library spells them; names it does not know are
    treated as belonging to no group, so a clinic's own substances pass through safely.
    """

    substances: tuple[ReferenceSubstance, ...]
    groups: tuple[ReferenceGroup, ...]
    cross_reactions: tuple[CrossReaction, ...]
    goals: tuple[TreatmentGoal, ...]
    conditions: tuple[Condition, ...]
    ambiguous: tuple[AmbiguousWord, ...] = ()
    _substance_keys: dict[str, ReferenceSubstance] = field(init=False, repr=False, compare=False)
    _group_keys: dict[str, ReferenceGroup] = field(init=False, repr=False, compare=False)
    _members: dict[str, frozenset[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        substance_keys = {}
        for substance in self.substances:
            for name in (substance.name, *substance.synonyms):
                substance_keys[normalize_name(name)] = substance
        group_keys = {}
        for group in self.groups:
            for name in (group.name, *group.synonyms):
                group_keys[normalize_name(name)] = group
        object.__setattr__(self, "_substance_keys", substance_keys)
        object.__setattr__(self, "_group_keys", group_keys)
        members = {group.name: frozenset(group.members) for group in self.groups}
        object.__setattr__(self, "_members", members)

    def substance_by_key(self, key: str) -> ReferenceSubstance | None:
        """The substance whose name or synonym has this normalized key."""
        return self._substance_keys.get(key)

    def find_substance(self, text: str) -> ReferenceSubstance | None:
        """The substance named by text, as canonical name or synonym, in any spelling."""
        return self.substance_by_key(normalize_name(text))

    def group_by_key(self, key: str) -> ReferenceGroup | None:
        """The allergen group whose name or synonym has this normalized key."""
        return self._group_keys.get(key)

    def find_group(self, text: str) -> ReferenceGroup | None:
        """The allergen group named by text, as name or synonym, in any spelling."""
        return self.group_by_key(normalize_name(text))

    def find_goal(self, text: str) -> TreatmentGoal | None:
        """The treatment goal named by text, in any spelling."""
        key = normalize_name(text)
        return next((g for g in self.goals if normalize_name(g.name) == key), None)

    def find_condition(self, text: str) -> Condition | None:
        """The condition named by text, as name or synonym, in any spelling."""
        key = normalize_name(text)
        return next((c for c in self.conditions if key in {normalize_name(n) for n in (c.name, *c.synonyms)}), None)

    def groups_of(self, substance: str) -> tuple[ReferenceGroup, ...]:
        """The allergen groups that list the substance as a member."""
        return tuple(g for g in self.groups if substance in self._members[g.name])

    def cross_reactions_of(self, kind: EntryKind | str, name: str) -> tuple[CrossReaction, ...]:
        """The cross-reaction rows that have (kind, name) at either end."""
        side = (EntryKind(kind), name)
        return tuple(row for row in self.cross_reactions if side in row.sides)

    def is_direct_match(self, kind: EntryKind | str, name: str, substance: str) -> bool:
        """Tell whether an allergy to (kind, name) names the substance itself or its group."""
        if EntryKind(kind) is EntryKind.SUBSTANCE:
            return name == substance
        return substance in self._members.get(name, frozenset())

    def cross_reaction_between(
        self, kind: EntryKind | str, name: str, substance: str
    ) -> CrossReaction | None:
        """The strongest cross-reaction from an allergy to (kind, name) to a substance.

        None when there is none, or when the allergy names the substance directly (that
        is an allergy finding, not a cross-reaction). A side reaches the allergy when it is
        the allergen itself, a group holding the allergen substance, or a substance of
        the allergen group; it reaches the substance when it is the substance or a group
        holding it.
        """
        kind = EntryKind(kind)
        if self.is_direct_match(kind, name, substance):
            return None
        found = [
            row
            for row in self.cross_reactions
            if any(
                self._reaches_allergy(a, kind, name) and self._reaches_substance(b, substance)
                for a, b in (row.sides, row.sides[::-1])
            )
        ]
        return max(found, key=lambda row: row.strength.rank, default=None)

    def _reaches_allergy(self, side: tuple[EntryKind, str], kind: EntryKind, name: str) -> bool:
        side_kind, side_name = side
        if (side_kind, side_name) == (kind, name):
            return True
        if kind is EntryKind.SUBSTANCE:
            return side_kind is EntryKind.GROUP and name in self._members[side_name]
        return side_kind is EntryKind.SUBSTANCE and side_name in self._members.get(name, ())

    def _reaches_substance(self, side: tuple[EntryKind, str], substance: str) -> bool:
        side_kind, side_name = side
        if side_kind is EntryKind.SUBSTANCE:
            return side_name == substance
        return substance in self._members[side_name]
