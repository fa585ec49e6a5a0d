"""Reading names inside a sentence: which substances and groups a free-text allergy or condition names.

Pure: plain values in, plain values out. A name matches only as whole words, through any of its
names, with accents, case and punctuation ignored and the common European spellings of a name
folded together ("Lidocaína", "lidocaïne", "Lidocain", "lidokaina" all read as lidocaine). A word
that could mean more than one thing ("water", "HA", "PPD") is never taken as a name: it is
reported as ambiguous, for a person to decide.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from formulary.reference.names import normalize_name

_WORD = re.compile(r"[^\W_]+")  # runs of letters and digits
_LONGEST_NAME = 8  # words; no library name is longer
# Spelling differences between English and the other European languages of the library's names:
# Spanish/Italian/Portuguese drop the h and write i for y ("tiamina", "glicerina"); German and the
# Slavic languages write k for c ("Lidokain"); doubled consonants are single in many ("penicilina").
_SPELLINGS = (("ph", "f"), ("th", "t"), ("ae", "e"), ("y", "i"), ("k", "c"))
_DOUBLE = re.compile(r"([a-z])\1")
# Acronyms this short mean too many things to be read as a name in a sentence ...
_SHORTEST_NAME = 4
# ... except those that patients and allergists use as the allergen's own name ("PEG allergy").
_PLAIN_ABBREVIATIONS = frozenset({"peg"})


@lru_cache(maxsize=4096)
def fold_word(word: str) -> str:
    """One word's spelling-free form: 'Lidocaína', 'lidocaïne', 'Lidocain', 'lidokaina' → 'lidocain'.

    Words of up to four letters are left as they are ("vitamin C" and "vitamin K" stay apart).
    """
    folded = normalize_name(word)
    if len(folded) <= 4 or folded.isdigit():
        return folded
    for spelled, plain in _SPELLINGS:
        folded = folded.replace(spelled, plain)
    folded = _DOUBLE.sub(r"\1", folded)
    if len(folded) > 5 and folded.endswith("s"):  # plurals: "parabens", "sulfites"
        folded = folded[:-1]
    if len(folded) > 4 and folded[-1] in "aeo":  # the vowel ending of -ine, -ina, -ino, -ate, -ato
        folded = folded[:-1]
    return folded


def _tokens(text: str) -> list[tuple[str, str]]:
    """Each word of a text as (its exact key, its folded key)."""
    pairs = [(normalize_name(raw), fold_word(raw)) for raw in _WORD.findall(text or "")]
    return [pair for pair in pairs if pair[0]]


def words(text: str) -> list[str]:
    """The folded words of a text, in order."""
    return [folded for _exact, folded in _tokens(text)]


def phrase_key(text: str) -> str:
    """The key a name is indexed under: its folded words joined ("vitamin B-12" and "Vitamin B12" alike)."""
    return "".join(words(text))


def _is_abbreviation(name: str) -> bool:
    """'HA', 'PN', 'SAP': short and written with capitals (while 'egg' and 'soy' are plain words)."""
    key = normalize_name(name)
    return len(key) < _SHORTEST_NAME and name != name.lower() and key not in _PLAIN_ABBREVIATIONS


@dataclass(frozen=True)
class Entry:
    """Something a sentence may name: a substance, group or condition, with every name it goes by."""

    kind: str  # "substance", "group" or "condition"
    id: int
    name: str
    names: tuple[str, ...] = ()
    groups: frozenset[int] = frozenset()  # a substance's allergen groups
    members: frozenset[int] = frozenset()  # a group's substances


@dataclass(frozen=True)
class Mentions:
    """What a sentence names: entries found (in the order they appear) and ambiguous words left alone."""

    found: tuple[Entry, ...] = ()
    ambiguous: tuple[str, ...] = ()

    def keys(self) -> frozenset[tuple[str, int]]:
        """The (kind, id) of every entry found."""
        return frozenset((entry.kind, entry.id) for entry in self.found)


@dataclass(frozen=True)
class Lexicon:
    """Names to look for in sentences, indexed by their folded keys."""

    entries: tuple[Entry, ...]
    ambiguous_words: frozenset[str] = frozenset()
    _exact: dict[str, Entry] = field(init=False, repr=False, compare=False)
    _folded: dict[str, Entry] = field(init=False, repr=False, compare=False)
    _unclear: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        exact: dict[str, Entry] = {}
        folded: dict[str, Entry | None] = {}  # None: two entries fold to this spelling
        unclear = {normalize_name(word): word for word in self.ambiguous_words}
        for entry in self.entries:
            for name in (entry.name, *entry.names):
                key = normalize_name(name)
                if not key or key in unclear:
                    continue
                if _is_abbreviation(name):
                    unclear[key] = name
                    continue
                exact[key] = entry
                fold = phrase_key(name)
                seen = folded.get(fold, entry)
                same = seen is not None and (seen.kind, seen.id) == (entry.kind, entry.id)
                folded[fold] = entry if same else None  # a spelling two entries share is never a guess
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_folded", {key: entry for key, entry in folded.items() if entry is not None})
        object.__setattr__(self, "_unclear", unclear)

    def _lookup(self, exact: str, folded: str) -> Entry | None:
        if exact in self._unclear:
            return None
        return self._exact.get(exact) or self._folded.get(folded)

    def exact(self, text: str) -> Entry | None:
        """The entry that the whole text names, unambiguously; None otherwise."""
        return self._lookup(normalize_name(text or ""), phrase_key(text))

    def is_ambiguous(self, text: str) -> bool:
        """Whether the whole text is a word that is never read as a name."""
        return normalize_name(text or "") in self._unclear

    def read(self, text: str) -> Mentions:
        """Every entry the text names as whole words (longest name first), and the ambiguous words in it."""
        tokens = _tokens(text)
        found: list[Entry] = []
        ambiguous: list[str] = []
        start = 0
        while start < len(tokens):
            step = 1
            for end in range(min(len(tokens), start + _LONGEST_NAME), start, -1):
                exact = "".join(token[0] for token in tokens[start:end])
                entry = self._lookup(exact, "".join(token[1] for token in tokens[start:end]))
                if entry is not None:
                    if entry not in found:
                        found.append(entry)
                    step = end - start
                    break
                if exact in self._unclear:
                    if self._unclear[exact] not in ambiguous:
                        ambiguous.append(self._unclear[exact])
                    step = end - start
                    break
            start += step
        return Mentions(tuple(found), tuple(ambiguous))


def lexicon(entries: Iterable[Entry], ambiguous_words: Iterable[str] = ()) -> Lexicon:
    """A lexicon of these entries, with the words never to be read as a name."""
    return Lexicon(tuple(entries), frozenset(ambiguous_words))
