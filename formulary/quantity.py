"""Quantities as the clinic writes them, in pages, messages, forms and workbooks alike."""

from decimal import Decimal


def fmt_quantity(value: Decimal) -> str:
    """1.500 → 1.5, 2.000 → 2: quantities as a person writes them."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
