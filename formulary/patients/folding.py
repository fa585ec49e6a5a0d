"""How patient names are compared in a search: case and accents folded, spaces kept.

"Lucía" and "LUCIA" fold to "lucia", "Petrović" to "petrovic", "Ørsted" to "orsted". The patient keeps
its name folded in `search_key` (written by the model on every insert and change), so that both
databases search one plain column: SQLite has no unaccent(), and PostgreSQL's is not immutable, so it
could not be indexed; the folded column takes a trigram index there.
"""

import unicodedata

# Letters NFKD does not decompose into a base letter and an accent.
_LETTERS = str.maketrans({
    "ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ı": "i", "ŧ": "t", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th",
    "ð": "d",
})


def fold(text: str | None) -> str:
    """Lower case without accents, runs of spaces made one: the form a search compares."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.translate(_LETTERS).split())


def search_key(name: str | None, reference: str | None) -> str:
    """What a patient search reads: the folded name and clinic reference."""
    return f"{fold(name)} | {fold(reference)}" if reference else fold(name)
