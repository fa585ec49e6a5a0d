"""Reading the reference library's CSV files, refusing any row that is inconsistent."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from formulary.reference.library import (
    AmbiguousWord,
    Condition,
    CrossReaction,
    EntryKind,
    ReferenceDataError,
    ReferenceGroup,
    ReferenceLibrary,
    ReferenceSubstance,
    Strength,
    SubstanceCategory,
    TreatmentGoal,
)
from formulary.reference.names import display_name, normalize_name

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

E = TypeVar("E", bound=StrEnum)
D = TypeVar("D", bound="DataclassInstance")

DATA_DIR = Path(__file__).with_name("data")
_UNII = re.compile(r"[0-9A-Z]{10}")


def load_library(directory: Path | None = None) -> ReferenceLibrary:
    """Read and validate the library's CSV files (the shipped ones by default)."""
    return read_library(Path(directory) if directory is not None else DATA_DIR)


@cache
def shipped_library() -> ReferenceLibrary:
    """The shipped library, read and validated once per process."""
    return load_library()


def read_library(directory: Path) -> ReferenceLibrary:
    """Read every file of a library directory; raise ReferenceDataError at the first fault."""
    keys = _Keys()
    substances = _read_substances(directory, keys)
    groups = _read_groups(directory, keys)
    _read_synonyms(directory, "synonyms.csv", "substance", keys, substances)
    _read_synonyms(directory, "group_synonyms.csv", "group", keys, groups)
    _read_members(directory, substances, groups)
    return ReferenceLibrary(
        substances=tuple(_build(ReferenceSubstance, entry) for entry in substances.values()),
        groups=tuple(_build(ReferenceGroup, entry) for entry in groups.values()),
        cross_reactions=_read_cross_reactions(directory, substances, groups),
        goals=_read_named(directory, "goals.csv", TreatmentGoal),
        conditions=_read_conditions(directory),
        ambiguous=_read_ambiguous(directory, keys),
    )


class _Keys:
    """Every name and synonym key seen so far, and whose it is: no key may name two things."""

    def __init__(self) -> None:
        self.owners: dict[str, tuple[tuple[str, str], str]] = {}

    def claim(self, file: str, line: int, text: str, owner: tuple[str, str]) -> None:
        """Record that text names owner (kind, canonical name), or raise on a clash."""
        key = normalize_name(text)
        if not key:
            raise ReferenceDataError(file, line, text, "a name needs a letter or a digit")
        if key not in self.owners:
            self.owners[key] = (owner, f"{file} line {line}")
            return
        (kind, name), where = self.owners[key]
        if (kind, name) == owner:
            raise ReferenceDataError(file, line, text, f"repeats a name of {kind} {name!r} ({where})")
        raise ReferenceDataError(file, line, text, f"same matching key as {kind} {name!r} ({where})")


def _rows(
    directory: Path, file: str, columns: tuple[str, ...], required: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) for each non-blank row, cells tidied with display_name."""
    path = directory / file
    if not path.is_file():
        raise ReferenceDataError(file, 0, str(path), "file is missing")
    # utf-8-sig: a file saved from Excel starts with a byte-order mark.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = [display_name(cell) for cell in next(reader, [])]
        if tuple(header) != columns:
            raise ReferenceDataError(file, 1, ",".join(header), f"header must be {','.join(columns)}")
        while True:
            line = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                return
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(columns):
                raise ReferenceDataError(file, line, ",".join(cells), f"expected {len(columns)} cells")
            row = {column: display_name(cell) for column, cell in zip(columns, cells, strict=True)}
            for column in required:
                if not row[column]:
                    raise ReferenceDataError(file, line, ",".join(cells), f"{column} is empty")
            yield line, row


def _enum(enum: type[E], file: str, line: int, value: str) -> E:
    """Turn a cell into a member of enum, or refuse it listing the allowed values."""
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise ReferenceDataError(file, line, value, f"must be one of {allowed}") from None


def _read_substances(directory: Path, keys: _Keys) -> dict[str, dict]:
    file = "substances.csv"
    entries: dict[str, dict[str, Any]] = {}
    uniis: dict[str, str] = {}
    for line, row in _rows(directory, file, ("name", "category", "unii", "note"), ("name", "category")):
        keys.claim(file, line, row["name"], ("substance", row["name"]))
        unii = row["unii"] or None
        if unii and not _UNII.fullmatch(unii):
            raise ReferenceDataError(file, line, unii, "a UNII is 10 capital letters and digits")
        if unii and unii in uniis:
            raise ReferenceDataError(file, line, unii, f"UNII already given to {uniis[unii]!r}")
        if unii:
            uniis[unii] = row["name"]
        entries[normalize_name(row["name"])] = {
            "name": row["name"],
            "category": _enum(SubstanceCategory, file, line, row["category"]),
            "synonyms": [],
            "unii": unii,
            "note": row["note"] or None,
        }
    return entries


def _read_groups(directory: Path, keys: _Keys) -> dict[str, dict]:
    file = "groups.csv"
    entries: dict[str, dict[str, Any]] = {}
    for line, row in _rows(directory, file, ("name", "description", "note"), ("name", "description")):
        keys.claim(file, line, row["name"], ("group", row["name"]))
        entries[normalize_name(row["name"])] = {
            **row,
            "note": row["note"] or None,
            "members": [],
            "synonyms": [],
            "line": line,
        }
    return entries


def _lookup(entries: dict[str, dict], kind: str, file: str, line: int, name: str) -> dict:
    """Find an entry by its canonical name: data files never refer to things by synonym."""
    entry = entries.get(normalize_name(name))
    if entry is None:
        raise ReferenceDataError(file, line, name, f"unknown {kind} (not a canonical name)")
    return entry


def _read_synonyms(directory: Path, file: str, kind: str, keys: _Keys, entries: dict) -> None:
    for line, row in _rows(directory, file, (kind, "synonym", "note"), (kind, "synonym")):
        entry = _lookup(entries, kind, file, line, row[kind])
        keys.claim(file, line, row["synonym"], (kind, entry["name"]))
        entry["synonyms"].append(row["synonym"])


def _read_members(directory: Path, substances: dict, groups: dict) -> None:
    file = "group_members.csv"
    for line, row in _rows(directory, file, ("group", "substance", "note"), ("group", "substance")):
        group = _lookup(groups, "group", file, line, row["group"])
        substance = _lookup(substances, "substance", file, line, row["substance"])
        if substance["name"] in group["members"]:
            raise ReferenceDataError(file, line, row["substance"], f"already in {group['name']!r}")
        group["members"].append(substance["name"])
    for group in groups.values():
        if not group["members"]:
            raise ReferenceDataError("groups.csv", group["line"], group["name"], "group has no members")


def _read_cross_reactions(directory: Path, substances: dict, groups: dict) -> tuple:
    file = "cross_reactions.csv"
    rows: list[CrossReaction] = []
    seen: dict[frozenset[tuple[EntryKind, str]], int] = {}
    columns = ("source", "source_kind", "target", "target_kind", "strength", "note")
    for line, row in _rows(directory, file, columns, columns):
        sides = []
        for end in ("source", "target"):
            kind = _enum(EntryKind, file, line, row[f"{end}_kind"])
            entries = groups if kind is EntryKind.GROUP else substances
            sides.append((kind, _lookup(entries, kind.value, file, line, row[end])["name"]))
        if sides[0] == sides[1] and sides[0][0] is EntryKind.SUBSTANCE:
            raise ReferenceDataError(file, line, row["source"], "a substance cannot cross-react with itself")
        pair = frozenset(sides)
        if pair in seen:
            raise ReferenceDataError(file, line, row["source"], f"same pair as line {seen[pair]}")
        seen[pair] = line
        strength = _enum(Strength, file, line, row["strength"])
        (source_kind, source), (target_kind, target) = sides
        rows.append(CrossReaction(source, source_kind, target, target_kind, strength, row["note"]))
    return tuple(rows)


def _read_named(directory: Path, file: str, cls: type) -> tuple:
    """Read a file of (name, description) rows such as goals or conditions."""
    items, seen = [], set()
    for line, row in _rows(directory, file, ("name", "description"), ("name", "description")):
        key = normalize_name(row["name"])
        if not key or key in seen:
            raise ReferenceDataError(file, line, row["name"], "duplicate or empty name")
        seen.add(key)
        items.append(cls(row["name"], row["description"]))
    return tuple(items)


def _read_conditions(directory: Path) -> tuple:
    """Conditions with what each means for every session, and their synonyms ("pregnant")."""
    entries: dict[str, dict[str, Any]] = {}
    seen: dict[str, str] = {}
    file = "conditions.csv"
    for line, row in _rows(directory, file, ("name", "description", "session_caution"), ("name", "description")):
        key = normalize_name(row["name"])
        if not key or key in seen:
            raise ReferenceDataError(file, line, row["name"], "duplicate or empty name")
        seen[key] = row["name"]
        entries[key] = {**row, "synonyms": []}
    file = "condition_synonyms.csv"
    for line, row in _rows(directory, file, ("condition", "synonym", "note"), ("condition", "synonym")):
        entry = _lookup(entries, "condition", file, line, row["condition"])
        key = normalize_name(row["synonym"])
        if key in seen:
            raise ReferenceDataError(file, line, row["synonym"], f"already names condition {seen[key]!r}")
        seen[key] = entry["name"]
        entry["synonyms"].append(row["synonym"])
    return tuple(_build(Condition, entry) for entry in entries.values())


def _read_ambiguous(directory: Path, keys: _Keys) -> tuple:
    """Words never read as a name: each must say why (what else it could mean)."""
    file = "ambiguous.csv"
    return tuple(AmbiguousWord(row["word"], row["reason"])
                 for _line, row in _rows(directory, file, ("word", "reason"), ("word", "reason")))


def _build(cls: type[D], entry: dict) -> D:
    """Make a frozen dataclass from a collected entry, lists turned into tuples."""
    fields = cls.__dataclass_fields__
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in entry.items() if k in fields})
