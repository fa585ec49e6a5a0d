"""Quantities as the clinic writes them, in pages, messages, forms and workbooks alike.

Stock is kept in each product's stock unit (mL for most); people count it in what sits on
the shelf (vials, ampoules, syringes, boxes): fmt_stock says both, "12 vials · 24 mL".
"""

from decimal import ROUND_DOWN, Decimal

# Stock units that measure a volume: stock in them is also counted in packages (unit_size each).
VOLUME_UNITS = frozenset({"ml", "l", "µl", "ul", "cl", "cc"})
_PLURALS = {"box": "boxes", "piece": "pieces"}


def fmt_quantity(value: Decimal) -> str:
    """1.500 → 1.5, 2.000 → 2: quantities as a person writes them."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def package_name(package: str, count) -> str:
    """"vial" for one, "vials" for any other count (0, 2, 1.5): the word people count with."""
    word = package or "unit"
    if Decimal(count) == 1:
        return word
    return _PLURALS.get(word, word if word.endswith("s") else f"{word}s")


def fmt_stock(quantity, unit: str, unit_size=None, package: str | None = None) -> str:
    """A quantity in the product's units with the volume beside it.

    24 mL of 2 mL vials → "12 vials · 24 mL"; 23 mL → "11 vials + 1 mL · 23 mL" (an opened
    vial's content beside the whole ones); a product stocked in units ("pair", "vial") → "12 pair".
    """
    quantity = Decimal(quantity)
    volume = f"{fmt_quantity(quantity)} {unit}"
    if unit.casefold() not in VOLUME_UNITS or not unit_size or Decimal(unit_size) <= 0:
        return volume
    size = Decimal(unit_size)
    whole = (quantity / size).to_integral_value(rounding=ROUND_DOWN)
    rest = quantity - whole * size
    units = f"{fmt_quantity(whole)} {package_name(package or 'vial', whole)}"
    if rest and whole:
        units = f"{units} + {fmt_quantity(rest)} {unit}"
    elif rest:  # less than one unit: the volume says it all
        return volume
    return f"{units} · {volume}"


def stock_of(quantity, product) -> str:
    """fmt_stock with a product's unit, unit size and package (the Jinja filter `in_units`)."""
    return fmt_stock(quantity, product.unit, getattr(product, "unit_size", None), getattr(product, "package", None))


def to_stock_unit(count, unit_size) -> Decimal:
    """Units counted (vials) → the stock unit (mL): 3 vials of 2 mL → 6."""
    return Decimal(count) * Decimal(unit_size)
