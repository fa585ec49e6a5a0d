"""What an import would do: each row's change to a lot, the totals, and the content hash of the lines."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from formulary.quantity import count_size
from formulary.spreadsheets.errors import CellError
from formulary.spreadsheets.lines import StockLine, column

if TYPE_CHECKING:
    from collections.abc import Sequence

    from formulary.spreadsheets.stocktake import CountOutcome

ZERO = Decimal(0)
NEW_LOT = "new-lot"  # a change that makes a lot; more of a lot, or a count, is a MovementKind


class ProductRef(NamedTuple):
    """What a change and its checks need of a product."""

    id: int
    name: str
    unit: str
    retired: bool
    unit_size: Decimal = Decimal(1)  # what one sealed unit holds, in the stock unit
    package: str = "vial"  # what a sealed unit is on the shelf

    @property
    def count_size(self) -> Decimal:
        """What one sealed unit counted stands for in the stock unit."""
        return count_size(self.unit, self.unit_size, self.package)


class Change(NamedTuple):
    """What one row does to one lot: a new lot, more of a lot, or a stocktake difference."""

    row: int
    kind: str  # NEW_LOT, MovementKind.RECEIVE or MovementKind.ADJUST
    product: ProductRef
    lot: str
    expiry: date
    on_hand: Decimal  # before
    quantity: Decimal  # signed: what the row adds or removes
    lot_id: int | None = None  # None for a new lot
    received: date | None = None
    supplier: str = ""
    unit_cost: Decimal | None = None

    @property
    def after(self) -> Decimal:
        return self.on_hand + self.quantity

    @property
    def product_id(self) -> int:
        return self.product.id

    @property
    def unit(self) -> str:
        return self.product.unit


@dataclass
class ImportPlan:
    """The outcome of validation: the changes and the totals, or the errors (then nothing is written)."""

    mode: str
    rows: int
    changes: Sequence[Change]  # a list, or Rows for a delivery of new lots only
    unchanged: int
    errors: list[CellError]
    ignored_columns: list[str] = field(default_factory=list)
    content_hash: str = ""
    lots_created: int = 0
    lots_changed: int = 0
    quantity_in: Decimal = ZERO
    quantity_out: Decimal = ZERO
    # A stocktake's moment, the lots moved since it and those not counted (None for a delivery).
    counted: CountOutcome | None = None

    def count(self) -> None:
        """The totals, a column at a time."""
        created = column(self.changes, "kind").count(NEW_LOT)
        quantities = column(self.changes, "quantity")
        self.lots_created, self.lots_changed = created, len(quantities) - created
        self.quantity_in = sum(filter(ZERO.__lt__, quantities), ZERO)
        self.quantity_out = -sum(filter(ZERO.__gt__, quantities), ZERO)

    def changes_digest(self) -> str:
        """A short fingerprint of what would change, lot by lot: a preview and its confirmation compare it."""
        text = "\n".join(f"{c.kind}\t{c.product.id}\t{c.lot}\t{c.lot_id}\t{c.on_hand:f}\t{c.quantity:f}"
                         for c in self.changes)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def by_unit(self) -> dict[str, tuple[Decimal, Decimal]]:
        """Quantity in and out per stock unit: adding mL to vials means nothing."""
        totals: dict[str, list[Decimal]] = {}
        # A column at a time: no Change is built per row for a total.
        for product, quantity in zip(column(self.changes, "product"), column(self.changes, "quantity"), strict=True):
            pair = totals.setdefault(product.unit, [ZERO, ZERO])
            pair[quantity < 0] += abs(quantity)
        return {unit: (added, removed) for unit, (added, removed) in sorted(totals.items())}


def content_hash(mode: str, lines: Sequence[StockLine], product_ids: list[int]) -> str:
    """SHA-256 of the goods a file lists, not of its bytes: re-saved or reordered, a file hashes the same.

    Each line as (product id, lot, expiry, quantity), sorted: the same goods, whatever the
    product is named by (GTIN or name), the row order, or a corrected price or supplier.
    `product_ids` gives each line's product.
    """
    ids = {product_id: str(product_id) for product_id in set(product_ids)}
    columns = [list(map(ids.__getitem__, product_ids)), column(lines, "lot")]
    for name in ("expiry", "quantity"):
        values = column(lines, name)
        text = {value: "" if value is None else str(value) for value in set(values)}  # each distinct once
        columns.append(list(map(text.__getitem__, values)))
    keys = sorted(map("\t".join, zip(*columns, strict=True)))
    return hashlib.sha256("\n".join([mode, *keys]).encode()).hexdigest()
