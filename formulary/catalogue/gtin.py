"""GTINs: the GS1 check digit, validation and the 14-digit form products are stored under."""

from __future__ import annotations

import re

GTIN_LENGTHS = (8, 12, 13, 14)
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also accepts "²" and other scripts
_SPACES = re.compile(r"[ \t\r\n]+")


class InvalidGtin(ValueError):
    """A GTIN that is malformed or fails its check digit."""

    def __init__(self, value: str, reason: str) -> None:
        self.value = value
        self.reason = reason
        super().__init__(f"GTIN {value} {reason}" if value else f"GTIN {reason}")


def gtin_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for a GTIN without its last digit."""
    if not _DIGITS.fullmatch(body):
        raise ValueError(f"A GTIN body is digits only (got {body!r})")
    # Weights alternate 3, 1 starting from the rightmost digit of the body.
    total = sum(int(digit) * (3 if i % 2 == 0 else 1) for i, digit in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def normalize_gtin(code: str) -> str:
    """A GTIN-8, -12, -13 or -14 as its 14-digit form; raises InvalidGtin."""
    value = code.strip()
    digits = _SPACES.sub("", value)  # the printed form often groups digits with spaces
    if not value:
        raise InvalidGtin("", "is empty")
    if not _DIGITS.fullmatch(digits) or len(digits) not in GTIN_LENGTHS:
        raise InvalidGtin(value, "is not 8, 12, 13 or 14 digits")
    expected = gtin_check_digit(digits[:-1])
    if int(digits[-1]) != expected:
        raise InvalidGtin(digits, f"fails its check digit (expected {expected})")
    return digits.zfill(14)


def is_valid_gtin(code: str) -> bool:
    """Whether a code is a GTIN-8, -12, -13 or -14 with a correct check digit."""
    try:
        normalize_gtin(code)
    except InvalidGtin:
        return False
    return True
