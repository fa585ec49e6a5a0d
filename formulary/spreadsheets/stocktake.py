"""A stocktake against the moment of its count: the record checked, the lots moved since and those not counted.

The lines' differences themselves are made by validation (counted − quantity then); this
module says what else the count found: which counted lots moved after the count moment
(sessions given while people counted), which lots the count should have covered and did not
(never zeroed unless the manager asks, lot by lot or all at once), and how many rows named
lots the record does not list (read as counted now).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import select

from formulary.catalogue.models import Product
from formulary.clinic_time import local_text
from formulary.extensions import db
from formulary.quantity import fmt_quantity
from formulary.spreadsheets.count_record import CountRecord
from formulary.spreadsheets.errors import WorkbookRefused
from formulary.spreadsheets.identity import database_identifier
from formulary.spreadsheets.lines import StockLine
from formulary.spreadsheets.plan import Change, ImportPlan, ProductRef
from formulary.spreadsheets.validation import Catalogue
from formulary.stock.models import Lot
from formulary.vocabulary import MovementKind

CLOCK_SKEW = timedelta(minutes=1)  # app servers' clocks may differ a little; a future moment beyond is refused
IDS_PER_QUERY = 5_000
NOT_COUNTED_ROW = 0  # a zeroed lot has no row in the file


class ZeroRefused(WorkbookRefused):
    """A lot named to be zeroed is not one the count left out: nothing is imported."""


class MovedLot(NamedTuple):
    """A counted lot whose quantity moved between the count moment and the import."""

    lot_id: int
    lot_number: str
    product: str
    unit: str
    then: Decimal
    now: Decimal


class NotCountedLot(NamedTuple):
    """A lot the count covered (listed in the record, or of a product the file names) that no row counts."""

    lot_id: int
    lot_number: str
    product: ProductRef
    expiry: object
    on_hand: Decimal


@dataclass
class CountOutcome:
    """What a stocktake found besides its differences."""

    counted_at: datetime | None  # the record's count moment; None: no record, counted now
    scope: str
    counted: list[int]  # the lots the file counts, by id
    moved: list[MovedLot]
    not_counted: list[NotCountedLot]
    unrecorded: int = 0  # rows naming lots the record does not list: counted now
    zeroed: list[int] = field(default_factory=list)


def check_record(record: CountRecord, now: datetime) -> None:
    """Refuse a record from another database, or one whose count moment is in the future."""
    ours = database_identifier(create=False)
    if record.database != ours:
        raise WorkbookRefused(
            f"This workbook was exported from another formulary database (its count record names database "
            f"{record.database[:8]}…, this one is {(ours or 'not yet identified')[:8]}…): a stocktake counts "
            "against the quantities of the database that made the workbook. Export the stock workbook from "
            "this formulary and count on that."
        )
    if record.counted_at > now + CLOCK_SKEW:
        raise WorkbookRefused(
            f"This workbook's count moment, {local_text(record.counted_at)}, is in the future (it is now "
            f"{local_text(now)}): its count record was edited. Export the stock workbook again."
        )


def count_outcome(lines: Sequence[StockLine], catalogue: Catalogue, record: CountRecord | None) -> CountOutcome:
    """The lots counted, moved since the count and not counted, for a stocktake whose lines are all fine."""
    counted: dict[int, tuple] = {}
    for line, (product, _problem) in zip(lines, catalogue.products(lines), strict=True):
        lot = catalogue.lots.get((product.id, line.lot)) if product is not None else None
        if lot is not None:
            counted[lot.id] = (lot, product)
    quantities = record.quantities if record is not None else {}
    moved = [
        MovedLot(lot.id, lot.lot_number, product.name, product.unit, quantities[lot.id], lot.on_hand)
        for lot, product in counted.values()
        if lot.id in quantities and quantities[lot.id] != lot.on_hand
    ]
    unrecorded = sum(lot_id not in quantities for lot_id in counted) if record is not None else 0
    if record is not None:
        missing = _lots_by_id([lot_id for lot_id in quantities if lot_id not in counted])
    else:  # typed by hand: the lots in stock of the products it names
        named = {product.id for _lot, product in counted.values()}
        missing = _lots_in_stock(named, set(counted))
    return CountOutcome(record.counted_at if record else None, record.scope if record else "", list(counted),
                        moved, missing, unrecorded)


def add_zeroing(plan: ImportPlan, outcome: CountOutcome, zero: str | Collection[int] | None) -> None:
    """Zero the not-counted lots the manager named ("all", or their ids): a change each, to nothing on hand.

    Refuses (WorkbookRefused) an id that is not one of the lots this count did not cover.
    """
    if not zero:
        return
    by_id = {lot.lot_id: lot for lot in outcome.not_counted}
    chosen: set[int] = set(by_id) if isinstance(zero, str) else set(zero)  # a string here is "all"
    strangers = sorted(chosen.difference(by_id))
    if strangers:
        raise ZeroRefused(
            f"Lot #{strangers[0]} is not one of the lots this count left out"
            f"{' (nor are ' + ', '.join(f'#{i}' for i in strangers[1:6]) + ')' if len(strangers) > 1 else ''}; "
            "only a lot not counted can be zeroed."
        )
    changes = list(plan.changes)
    for lot_id in sorted(chosen):
        lot = by_id[lot_id]
        if lot.on_hand > 0:
            changes.append(Change(NOT_COUNTED_ROW, MovementKind.ADJUST, lot.product, lot.lot_number,
                                  lot.expiry, lot.on_hand, -lot.on_hand, lot.lot_id))  # type: ignore[arg-type]
            outcome.zeroed.append(lot_id)
    plan.changes = changes
    plan.count()


def describe(outcome: CountOutcome) -> str:
    """A line for the audit trail."""
    moment = f"counted at {outcome.counted_at:%Y-%m-%d %H:%M} UTC" if outcome.counted_at else "counted now"
    return (f"{moment}; {len(outcome.moved)} moved since the count, {len(outcome.not_counted)} not counted, "
            f"{len(outcome.zeroed)} zeroed")


def moved_text(lot: MovedLot) -> str:
    """"5 → 3 mL": a moved lot, as the preview and the command line show it."""
    return f"{fmt_quantity(lot.then)} → {fmt_quantity(lot.now)} {lot.unit}"


def _select_lots():
    return (select(Lot.id, Lot.lot_number, Lot.expiry, Lot.on_hand, Product.id, Product.name, Product.unit,
                   Product.retired, Product.unit_size, Product.package)
            .join(Product, Product.id == Lot.product_id))


def _lots_by_id(ids: list[int]) -> list[NotCountedLot]:
    found: list[NotCountedLot] = []
    for start in range(0, len(ids), IDS_PER_QUERY):
        query = _select_lots().where(Lot.id.in_(ids[start : start + IDS_PER_QUERY]))
        found.extend(_not_counted(row) for row in db.session.execute(query))
    found.sort(key=lambda lot: (lot.product.name, lot.lot_number))
    return found


def _lots_in_stock(product_ids: set[int], counted: set[int]) -> list[NotCountedLot]:
    if not product_ids:
        return []
    query = (_select_lots().where(Lot.product_id.in_(sorted(product_ids)), Lot.on_hand > 0)
             .order_by(Product.name, Lot.lot_number))
    return [_not_counted(row) for row in db.session.execute(query) if row[0] not in counted]


def _not_counted(row) -> NotCountedLot:
    lot_id, lot_number, expiry, on_hand, product_id, name, unit, retired, unit_size, package = row
    return NotCountedLot(lot_id, lot_number, ProductRef(product_id, name, unit, bool(retired), unit_size, package),
                         expiry, on_hand)
