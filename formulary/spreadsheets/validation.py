"""Typed stock lines resolved against the preloaded catalogue and lots: the changes, or every reason not."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from operator import attrgetter
from typing import NamedTuple

from formulary.reference.names import normalize_name
from formulary.spreadsheets.errors import CellError
from formulary.spreadsheets.format import DELIVERY, MODES
from formulary.spreadsheets.lines import NAME_LENGTH, StockLine
from formulary.spreadsheets.plan import ADJUST, NEW_LOT, RECEIVE, ZERO, Change, ImportPlan, content_hash
from formulary.spreadsheets.reader import ParsedSheet
from formulary.spreadsheets.values import CellProblem, shown, to_gtin, to_text

_GTIN, _NAME = attrgetter("gtin"), attrgetter("product")
MAX_ON_HAND = Decimal("1000000000")  # the ledger's limit for a lot's quantity
RETIRED = "{} is retired; stock cannot be received for it."


class ProductRef(NamedTuple):
    """What validation needs of a product."""

    id: int
    name: str
    unit: str
    retired: bool


class LotRef(NamedTuple):
    """What validation needs of an existing lot, as read before anything is written."""

    id: int
    product_id: int
    lot_number: str
    expiry: date
    on_hand: Decimal
    status: str


@dataclass
class Catalogue:
    """The products by GTIN and by normalized name, and their lots by (product id, lot number)."""

    by_gtin: dict[str, ProductRef]
    by_name: dict[str, ProductRef]
    lots: dict[tuple[int, str], LotRef] = field(default_factory=dict)
    _found: dict = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, products: Iterable[tuple[int, str, str | None, str, bool]]) -> Catalogue:
        """From (id, name, gtin, unit, retired) rows."""
        by_gtin, by_name = {}, {}
        for ident, name, gtin, unit, retired in products:
            ref = ProductRef(ident, name, unit, bool(retired))
            by_name[normalize_name(name)] = ref
            if gtin:
                by_gtin[gtin] = ref
        return cls(by_gtin, by_name)

    def products(self, lines: list[StockLine]) -> list[tuple[ProductRef | None, tuple[str, str] | None]]:
        """Each line's product by GTIN or name, or (field, why not); each distinct pair resolved once."""
        keys = list(zip(map(_GTIN, lines), map(_NAME, lines), strict=True))
        found = self._found
        for key in set(keys).difference(found):
            found[key] = self.resolve(*key)
        return list(map(found.__getitem__, keys))

    def product_ids(self, lines: list[StockLine]) -> set[int]:
        """The ids of the products the lines name."""
        self.products(lines)
        return {product.id for product, _problem in self._found.values() if product is not None}

    def resolve(self, gtin: str | None, name: str | None) -> tuple[ProductRef | None, tuple[str, str] | None]:
        """The product a GTIN and a name give (either may be None), or (field, why not)."""
        by_gtin = self.by_gtin.get(gtin) if gtin else None
        by_name = self.by_name.get(normalize_name(name)) if name else None
        if gtin and by_gtin is None:
            return None, ("gtin", f"No product in the catalogue has GTIN {gtin}.")
        if by_gtin and name and by_name != by_gtin:
            return None, ("product", f"GTIN {gtin} is {by_gtin.name} in the catalogue, not this product.")
        if by_gtin:
            return by_gtin, None
        if by_name is None:
            return None, ("product", "No product in the catalogue has this name (nor a GTIN given).")
        return by_name, None


def validate(
    sheet: ParsedSheet,
    lines: list[StockLine],
    line_errors: list[CellError],
    mode: str,
    catalogue: Catalogue,
    today: date,
) -> ImportPlan:
    """Every line checked against the catalogue and the lots; the errors of the cells come first."""
    if mode not in MODES:
        raise ValueError(f"mode is one of {MODES}, not {mode!r}")
    delivery = mode == DELIVERY
    problems: list[tuple[int, str, str]] = []  # row, field, message
    changes: list[Change] = []
    seen: dict[tuple[int, str], int] = {}  # (product id, lot) → the first row naming it
    unchanged = 0
    lots = catalogue.lots
    change_of = _delivery_change if delivery else _count_change
    for line, (product, problem) in zip(lines, catalogue.products(lines), strict=True):
        row = line.row_number
        if problem is not None:
            problems.append((row, *problem))
            continue
        if delivery and product.retired:
            problems.append((row, "gtin" if line.gtin else "product", RETIRED.format(product.name)))
            continue
        key = (product.id, line.lot)
        first = seen.setdefault(key, row)
        if first != row:
            problems.append((row, "lot", f"Lot {line.lot} of {product.name} is on rows {first} and {row}; "
                             "list it once."))
            continue
        lot = lots.get(key)
        if lot is None and delivery:  # a new lot, as most rows of a delivery: checked here, for speed
            received = line.received or today
            if line.expiry >= received and line.quantity < MAX_ON_HAND:
                changes.append(Change(row, NEW_LOT, product, line.lot, line.expiry, ZERO, line.quantity, None,
                                      received, line.supplier or "", line.unit_cost))
                continue
        found = change_of(line, product, lot, today)
        if found.__class__ is Change:
            changes.append(found)
        elif found is None:
            unchanged += 1
        else:
            problems.append((row, *found))
    if line_errors:  # rows with a bad cell: say too whether their product is known
        problems.extend(_product_problems(sheet, line_errors, catalogue, delivery))
    errors = list(line_errors)
    if problems:
        errors.extend(_cell_errors(sheet, problems))
        errors.sort(key=lambda error: (error.row, len(error.column.split(" ", 1)[0]), error.column))
    plan = ImportPlan(mode, len(sheet.rows), changes, unchanged, errors, sheet.ignored_columns)
    plan.count()
    if not errors:
        plan.content_hash = content_hash(mode, lines, [product_id for product_id, _lot in seen])
    return plan


def _delivery_change(line: StockLine, product: ProductRef, lot: LotRef | None, today: date):
    """A new lot or more of one; a (field, message) pair when the row cannot be received."""
    if lot is None:
        received = line.received or today
        if line.expiry < received:
            return "expiry", f"Expires before it was received ({received.isoformat()})."
        if line.quantity >= MAX_ON_HAND:
            return "quantity", "Too large for one lot."
        return Change(line.row_number, NEW_LOT, product, line.lot, line.expiry, ZERO, line.quantity, None,
                      received, line.supplier or "", line.unit_cost)
    if lot.expiry != line.expiry:
        return "expiry", (f"Lot {lot.lot_number} of {product.name} is already in stock with expiry "
                          f"{lot.expiry.isoformat()}, not {line.expiry.isoformat()}.")
    if lot.status == "recalled":
        return "lot", f"Lot {lot.lot_number} of {product.name} is recalled; no stock can be added to it."
    if lot.on_hand + line.quantity >= MAX_ON_HAND:
        return "quantity", "Too large: the lot would hold more than one lot can."
    return Change(line.row_number, RECEIVE, product, lot.lot_number, lot.expiry, lot.on_hand, line.quantity,
                  lot.id)


def _count_change(line: StockLine, product: ProductRef, lot: LotRef | None, _today: date):
    """The difference between the count and the lot's on hand; None when they agree."""
    if lot is None:
        return "lot", (f"{product.name} has no lot {line.lot}; a stocktake counts lots already in stock "
                       "(import new lots as a delivery).")
    if line.expiry is not None and line.expiry != lot.expiry:
        return "expiry", (f"Lot {lot.lot_number} of {product.name} expires {lot.expiry.isoformat()}, "
                          f"not {line.expiry.isoformat()}; a stocktake does not change expiry dates.")
    if line.quantity >= MAX_ON_HAND:
        return "quantity", "Too large for one lot."
    if line.quantity == lot.on_hand:
        return None
    return Change(line.row_number, ADJUST, product, lot.lot_number, lot.expiry, lot.on_hand,
                  line.quantity - lot.on_hand, lot.id)


def _product_problems(sheet: ParsedSheet, line_errors: list[CellError], catalogue: Catalogue, delivery: bool):
    """The product problems of rows the lines left out for another cell's sake."""
    identity = [name for name in ("product", "gtin") if name in sheet.columns]
    flagged = {(error.row, error.column) for error in line_errors}
    rows = {error.row for error in line_errors}
    for raw in sheet.rows:
        row = raw.row_number
        if row not in rows or any((row, sheet.column_label(name)) in flagged for name in identity):
            continue
        try:
            gtin, name = to_gtin(raw.cells.get("gtin")), to_text(raw.cells.get("product"), NAME_LENGTH)
        except CellProblem:
            continue
        if gtin or name:
            product, problem = catalogue.resolve(gtin, name)
            if problem is not None:
                yield row, *problem
            elif delivery and product.retired:
                yield row, "gtin" if gtin else "product", RETIRED.format(product.name)


def _cell_errors(sheet: ParsedSheet, problems: list[tuple[int, str, str]]) -> list[CellError]:
    raw = {row.row_number: row.cells for row in sheet.rows}
    return [
        CellError(sheet.sheet_name, row, sheet.column_label(name), shown(raw[row].get(name)), message)
        for row, name, message in problems
    ]
