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


# Counting a shelf: sealed units are counted whole and what opened ones hold is read in the stock unit
# ("11 vials + 7 mL opened"): a clinic reads 7 mL off a 20 mL vial's graduation more surely than 0.35 vial.


def counts_packages_apart(unit: str, package: str | None) -> bool:
    """Whether stock kept in `unit` is counted in packages of its own: not when the unit is the package
    ("vial" stock is counted in vials, one each)."""
    word = package or "vial"
    return unit.casefold() not in (word.casefold(), package_name(word, 2).casefold())


def count_size(unit: str, unit_size, package: str | None) -> Decimal:
    """What one sealed unit counts for in the stock unit: its size, or 1 for stock kept in the packages."""
    return Decimal(unit_size) if counts_packages_apart(unit, package) else Decimal(1)


def package_label(package: str | None, unit_size, unit: str) -> str:
    """What one unit on the shelf is and holds: "vial of 2 mL", "box of 100 pair"; "vial" for stock kept in vials."""
    word = package or "vial"
    if not counts_packages_apart(unit, word):
        return word
    return f"{word} of {fmt_quantity(Decimal(unit_size))} {unit}"


def split_count(on_hand, opened_content, unit_size) -> tuple[Decimal, Decimal]:
    """On hand as a counter finds it: (whole sealed units, what opened units and any loose rest hold).

    sealed × unit_size + opened == on_hand, exactly. A lot whose opened units hold more than on hand
    (a count recorded less) has no sealed unit.
    """
    on_hand, size = Decimal(on_hand), Decimal(unit_size)
    sealed_content = max(on_hand - Decimal(opened_content or 0), Decimal(0))
    sealed = Decimal(int(sealed_content // size)) if size > 0 else Decimal(0)
    return sealed, on_hand - sealed * size


def fmt_count(sealed, opened, unit: str, unit_size, package: str | None) -> str:
    """A count in units with the volume beside it: "11 vials + 7 mL opened · 29 mL", "12 vials · 24 mL"."""
    sealed, opened = Decimal(sealed), Decimal(opened)
    total = sealed * Decimal(unit_size) + opened
    units = f"{fmt_quantity(sealed)} {package_name(package or 'vial', sealed)}"
    if opened:
        units = f"{units} + {fmt_quantity(opened)} {unit} opened"
    return f"{units} · {fmt_quantity(total)} {unit}"
