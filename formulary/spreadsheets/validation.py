"""Typed stock lines resolved against the preloaded catalogue and lots: the changes, or every reason not."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from itertools import repeat
from operator import attrgetter, ge, is_, itemgetter
from typing import NamedTuple

from formulary.clinic_time import local_text
from formulary.quantity import fmt_count, fmt_quantity
from formulary.reference.names import normalize_name
from formulary.spreadsheets.count_record import CountRecord
from formulary.spreadsheets.errors import CellError
from formulary.spreadsheets.lines import NAME_LENGTH, Rows, Same, StockLine, column, in_stock_units
from formulary.spreadsheets.plan import NEW_LOT, ZERO, Change, ImportPlan, ProductRef, content_hash
from formulary.spreadsheets.reader import ParsedSheet
from formulary.spreadsheets.values import CellProblem, shown, to_gtin, to_text
from formulary.vocabulary import ImportMode, LotStatus, MovementKind

_ID, _PRODUCT = attrgetter("id"), itemgetter(0)
MAX_ON_HAND = Decimal("1000000000")  # the ledger's limit for a lot's quantity
RETIRED = "{} is retired; stock cannot be received for it."


class LotRef(NamedTuple):
    """What validation needs of an existing lot, as read before anything is written."""

    id: int
    product_id: int
    lot_number: str
    expiry: date
    on_hand: Decimal
    status: str
    counted_at: datetime | None = None  # the lot's last count


class Catalogue:
    """The products by GTIN and by normalized name, and their lots by (product id, lot number)."""

    def __init__(self, products: list[ProductRef], gtins: dict[str, ProductRef]) -> None:
        self._products = products
        self.by_gtin = gtins
        self.retired = {product.id for product in products if product.retired}
        self.lots: dict[tuple[int, str], LotRef] = {}
        self._by_name: dict[str, ProductRef] | None = None  # made when a name is first looked up
        self._found: dict = {}  # (GTIN, name) → (product, problem)
        self._last: tuple = (None, None, None)  # the lines last resolved, their products, the distinct ones

    @classmethod
    def of(cls, products: Iterable[tuple]) -> Catalogue:
        """From (id, name, gtin, unit, retired) rows, optionally followed by unit size and package."""
        refs, gtins = [], {}
        for ident, name, gtin, unit, retired, *units in products:
            refs.append(ref := ProductRef(ident, name, unit, bool(retired), *units))
            if gtin:
                gtins[gtin] = ref
        return cls(refs, gtins)

    @property
    def by_name(self) -> dict[str, ProductRef]:
        """The products by normalized name (normalizing a thousand names takes time: only when needed)."""
        if self._by_name is None:
            self._by_name = {normalize_name(product.name): product for product in self._products}
        return self._by_name

    def products(self, lines: Sequence[StockLine]) -> list[tuple[ProductRef | None, tuple[str, str] | None]]:
        """Each line's product by GTIN or name, or (field, why not); each distinct pair resolved once."""
        if self._last[0] is not lines:
            keys = list(zip(column(lines, "gtin"), column(lines, "product"), strict=True))
            distinct = set(keys)
            found = self._found
            for key in distinct.difference(found):
                found[key] = self.resolve(*key)
            self._last = (lines, list(map(found.__getitem__, keys)), [found[key] for key in distinct])
        return self._last[1]

    def distinct(self, lines: Sequence[StockLine]) -> list[tuple[ProductRef | None, tuple[str, str] | None]]:
        """The lines' distinct answers: (product, None), or (None, (field, why not))."""
        self.products(lines)
        return self._last[2]

    def product_ids(self, lines: Sequence[StockLine]) -> set[int]:
        """The ids of the products the lines name."""
        return {product.id for product, _problem in self.distinct(lines) if product is not None}

    def resolve(self, gtin: str | None, name: str | None) -> tuple[ProductRef | None, tuple[str, str] | None]:
        """The product a GTIN and a name give (either may be None), or (field, why not)."""
        by_gtin = self.by_gtin.get(gtin) if gtin else None
        if gtin and by_gtin is None:
            return None, ("gtin", f"No product in the catalogue has GTIN {gtin}.")
        if by_gtin and name == by_gtin.name:
            return by_gtin, None
        by_name = self.by_name.get(normalize_name(name)) if name else None
        if by_gtin and name and by_name != by_gtin:
            return None, ("product", f"GTIN {gtin} is {by_gtin.name} in the catalogue, not this product.")
        if by_gtin:
            return by_gtin, None
        if by_name is None:
            return None, ("product", "No product in the catalogue has this name (nor a GTIN given).")
        return by_name, None


def validate(
    sheet: ParsedSheet,
    lines: Sequence[StockLine],
    line_errors: list[CellError],
    mode: str,
    catalogue: Catalogue,
    today: date,
    record: CountRecord | None = None,
) -> ImportPlan:
    """Every line checked against the catalogue and the lots; the errors of the cells come first.

    A stocktake with a count `record` counts against each lot's quantity at the count moment
    (counted − quantity then), so that what moved since stands.
    """
    if mode not in tuple(ImportMode):
        raise ValueError(f"mode is one of {', '.join(ImportMode)}, not {mode!r}")
    delivery = mode == ImportMode.DELIVERY
    problems: list[tuple[int, str, str]] = []  # row, field, message
    resolved = catalogue.products(lines)
    if "sealed" in sheet.columns:  # counted in units: each line's quantity from its product's unit size
        lines = _in_stock_units(lines, resolved, delivery, problems)
        resolved = catalogue.products(lines)
    quick = _new_lots(lines, resolved, catalogue, today) if delivery and lines else None
    changes: Sequence[Change]
    if quick is not None:
        changes, product_ids = quick
        unchanged = 0
    else:
        changes, product_ids, unchanged = _line_by_line(lines, resolved, catalogue, delivery, today, problems,
                                                        record)
    if line_errors:  # rows with a bad cell: say too whether their product is known
        problems.extend(_product_problems(sheet, line_errors, catalogue, delivery))
    errors = list(line_errors)
    if problems:
        errors.extend(_cell_errors(sheet, problems))
        errors.sort(key=lambda error: (error.row, len(error.column.split(" ", 1)[0]), error.column))
    plan = ImportPlan(mode, len(sheet.row_numbers), changes, unchanged, errors, sheet.ignored_columns)
    plan.count()
    if not errors:
        plan.content_hash = content_hash(mode, lines, product_ids)
    return plan


def _in_stock_units(lines: Sequence[StockLine], resolved: list[tuple[ProductRef | None, tuple[str, str] | None]],
                    delivery: bool, problems: list[tuple[int, str, str]]) -> Sequence[StockLine]:
    """The lines with their quantity in the stock unit; a delivery row that counts nothing is a problem."""
    lines = in_stock_units(lines, [product.count_size if product is not None else None
                                   for product, _problem in resolved])
    if not delivery:
        return lines
    empty = [line for line in lines if line.quantity is not None and line.quantity <= 0]
    if not empty:
        return lines
    problems.extend((line.row_number, "sealed", "Must be more than 0: count the units received.") for line in empty)
    return [line for line in lines if line.quantity is None or line.quantity > 0]


def counted_text(line: StockLine, product: ProductRef) -> str:
    """What a row counted, as the clinic wrote it: "3 vials + 1.5 mL opened · 7.5 mL", or "7.5 mL"."""
    if line.sealed is None:
        return f"{fmt_quantity(line.quantity)} {product.unit}"
    return fmt_count(line.sealed, line.opened or 0, product.unit, product.count_size, product.package)


def _new_lots(
    lines: Sequence[StockLine],
    resolved: list[tuple[ProductRef | None, tuple[str, str] | None]],
    catalogue: Catalogue,
    today: date,
) -> tuple[Rows, list[int]] | None:
    """A delivery of new lots only, every line fine, checked a column at a time: its changes and products.

    None when a line needs a closer look, line by line: a product unknown or retired, a lot
    listed twice or already in stock, an expiry before receipt, a quantity too large.
    """
    if any(problem is not None for _product, problem in catalogue.distinct(lines)):
        return None
    products = list(map(_PRODUCT, resolved))
    ids = list(map(_ID, products))
    if catalogue.retired and not catalogue.retired.isdisjoint(ids):
        return None
    lots = column(lines, "lot")
    keys = list(zip(ids, lots, strict=True))
    if len(set(keys)) != len(keys) or not catalogue.lots.keys().isdisjoint(keys):
        return None
    expiries, quantities, received = column(lines, "expiry"), column(lines, "quantity"), column(lines, "received")
    if any(map(is_, received, repeat(None))):
        received = [day or today for day in received]
    if not all(map(ge, expiries, received)) or max(quantities) >= MAX_ON_HAND:
        return None
    suppliers = column(lines, "supplier")
    if any(map(is_, suppliers, repeat(None))):
        suppliers = [supplier or "" for supplier in suppliers]
    changes = {
        "row": column(lines, "row_number"), "kind": Same(NEW_LOT), "product": products, "lot": lots,
        "expiry": expiries, "on_hand": Same(ZERO), "quantity": quantities, "received": received,
        "supplier": suppliers, "unit_cost": column(lines, "unit_cost"),
    }
    return Rows(Change, len(lines), changes), ids


def _line_by_line(
    lines: Sequence[StockLine],
    resolved: list[tuple[ProductRef | None, tuple[str, str] | None]],
    catalogue: Catalogue,
    delivery: bool,
    today: date,
    problems: list[tuple[int, str, str]],
    record: CountRecord | None = None,
) -> tuple[list[Change], list[int], int]:
    """Each line's change, or its problem added to `problems`: the changes, the lines' product ids, how many agree."""
    changes: list[Change] = []
    seen: dict[tuple[int, str], int] = {}  # (product id, lot) → the first row naming it
    unchanged = 0
    lots = catalogue.lots
    change_of = _delivery_change if delivery else partial(_count_change, record=record)
    for line, (product, problem) in zip(lines, resolved, strict=True):
        row = line.row_number
        if problem is not None:
            problems.append((row, *problem))
            continue
        assert product is not None  # resolved: a product or a problem
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
            assert line.expiry is not None  # a delivery's lines all have one
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
    return changes, [product_id for product_id, _lot in seen], unchanged


def _delivery_change(line: StockLine, product: ProductRef, lot: LotRef | None, today: date):
    """A new lot or more of one; a (field, message) pair when the row cannot be received."""
    assert line.expiry is not None  # a delivery's lines all have one
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
    if lot.status == LotStatus.RECALLED:
        return "lot", f"Lot {lot.lot_number} of {product.name} is recalled; no stock can be added to it."
    if lot.on_hand + line.quantity >= MAX_ON_HAND:
        return "quantity", "Too large: the lot would hold more than one lot can."
    return Change(line.row_number, MovementKind.RECEIVE, product, lot.lot_number, lot.expiry, lot.on_hand,
                  line.quantity, lot.id)


def _count_change(line: StockLine, product: ProductRef, lot: LotRef | None, _today: date,
                  record: CountRecord | None = None):
    """The difference between the count and the lot's quantity at the count moment; None when they agree.

    Without a record, or for a lot the record does not list, the count moment is now.
    """
    if lot is None:
        return "lot", (f"{product.name} has no lot {line.lot}; a stocktake counts lots already in stock "
                       "(import new lots as a delivery).")
    if line.expiry is not None and line.expiry != lot.expiry:
        return "expiry", (f"Lot {lot.lot_number} of {product.name} expires {lot.expiry.isoformat()}, "
                          f"not {line.expiry.isoformat()}; a stocktake does not change expiry dates.")
    if line.quantity >= MAX_ON_HAND:
        return "quantity", "Too large for one lot."
    then = record.quantities.get(lot.id) if record is not None else None
    recorded = then is not None
    if then is None:
        then = lot.on_hand
    difference = line.quantity - then
    if difference == 0:
        return None
    if recorded and lot.counted_at is not None and lot.counted_at >= record.counted_at:  # type: ignore[union-attr]
        return "quantity", (f"Lot {lot.lot_number} of {product.name} was counted again on "
                            f"{local_text(lot.counted_at)}, after this workbook was made: this older "
                            "count would be applied twice. Export the stock workbook again for a new count.")
    if lot.on_hand + difference < 0:
        gone = then - lot.on_hand
        return "quantity", (f"Counted {counted_text(line, product)} of lot {lot.lot_number} of "
                            f"{product.name}, but {fmt_quantity(gone)} {product.unit} left it after the count "
                            f"({fmt_quantity(then)} at the count, {fmt_quantity(lot.on_hand)} now): it would go "
                            "below zero. Count this lot again.")
    return Change(line.row_number, MovementKind.ADJUST, product, lot.lot_number, lot.expiry, lot.on_hand,
                  difference, lot.id)


def _product_problems(sheet: ParsedSheet, line_errors: list[CellError], catalogue: Catalogue, delivery: bool):
    """The product problems of rows the lines left out for another cell's sake."""
    identity = [name for name in ("product", "gtin") if name in sheet.columns]
    flagged = {(error.row, error.column) for error in line_errors}
    index_of = _index_of(sheet)
    for row in sorted({error.row for error in line_errors}):
        index = index_of.get(row)
        if index is None or any((row, sheet.column_label(name)) in flagged for name in identity):
            continue
        try:
            gtin, name = to_gtin(_cell(sheet, "gtin", index)), to_text(_cell(sheet, "product", index), NAME_LENGTH)
        except CellProblem:
            continue
        if gtin or name:
            product, problem = catalogue.resolve(gtin, name)
            if problem is not None:
                yield row, *problem
            elif delivery and product is not None and product.retired:
                yield row, "gtin" if gtin else "product", RETIRED.format(product.name)


def _cell_errors(sheet: ParsedSheet, problems: list[tuple[int, str, str]]) -> list[CellError]:
    index_of = _index_of(sheet)
    if "quantity" not in sheet.columns:  # counted in units: a quantity's problem is named on its sealed units
        problems = [(row, "sealed" if name == "quantity" else name, message) for row, name, message in problems]
    return [
        CellError(sheet.sheet_name, row, sheet.column_label(name), shown(_cell(sheet, name, index_of[row])), message)
        for row, name, message in problems
    ]


def _index_of(sheet: ParsedSheet) -> dict[int, int]:
    """Each row number read → its index in the sheet's columns."""
    return dict(zip(sheet.row_numbers, range(len(sheet.row_numbers)), strict=True))


def _cell(sheet: ParsedSheet, name: str, index: int) -> object:
    """A row's cell under a field, None without such a column."""
    column = sheet.values.get(name)
    return None if column is None else column[index]
