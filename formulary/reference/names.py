"""How substance, group, goal and condition names are matched and stored."""

import re
import unicodedata

# Greek letters stand for their spelled-out names in chemical names ("α-lipoic acid" is
# "alpha-lipoic acid"); NFKD leaves them alone, so they are spelled out before matching.
_GREEK = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "κ": "kappa",
    "μ": "mu",
    "ω": "omega",
}
_WHITESPACE = re.compile(r"\s+")
# Labels often print the German sharp s for beta ("ß-carotene"); only a word-initial ß is
# taken that way, so a German word keeps folding ß to "ss".
_INITIAL_SHARP_S = re.compile(r"(?<!\w)ß")


def normalize_name(text: str) -> str:
    """Return the matching key of a name: case, accents, spaces and punctuation removed.

    "Vitamin B-12", "vitamin b12" and "VITAMIN  B 12" share the key "vitaminb12";
    "α-lipoic acid" and "Alpha-Lipoic Acid" share "alphalipoicacid". Only letters and
    digits survive, so hyphens and dashes of every kind, brackets, commas, apostrophes
    and trademark signs make no difference; subscript and superscript digits count as
    digits.
    """
    text = _INITIAL_SHARP_S.sub("β", text)
    folded = unicodedata.normalize("NFKD", text).casefold()
    # Casefolding can produce characters that decompose further ("ǰ"), so decompose again.
    folded = unicodedata.normalize("NFKD", folded)
    spelled = "".join(_GREEK.get(char, char) for char in folded)
    # Combining accents are not alphanumeric, so this also strips them.
    return "".join(char for char in spelled if char.isalnum())


def display_name(text: str) -> str:
    """Return a name tidied for storage: composed accents, single spaces, no outer space."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def same_name(first: str, second: str) -> bool:
    """Tell whether two names match under normalize_name."""
    return normalize_name(first) == normalize_name(second)
