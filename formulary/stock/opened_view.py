"""A lot's stock shown apart: sealed units, and the content of its opened units."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from formulary.stock.models import Lot
from formulary.stock.opened import OpenedRow, opened_units

ZERO = Decimal(0)


@dataclass(frozen=True)
class LotContents:
    """How a lot's on-hand sits: sealed content (in units) and opened units, tying out to on-hand."""

    on_hand: Decimal
    unit_size: Decimal
    sealed_content: Decimal
    opened: list[OpenedRow]

    @property
    def sealed_units(self) -> Decimal:
        """Sealed units (vials, ampoules) on the shelf: sealed content ÷ content per unit."""
        return (self.sealed_content / self.unit_size).quantize(Decimal("0.001")).normalize() + 0

    @property
    def whole_units(self) -> Decimal:
        """Sealed units a counter finds whole on the shelf."""
        return Decimal(int(self.sealed_content // self.unit_size)) if self.unit_size > 0 else ZERO

    @property
    def loose_content(self) -> Decimal:
        """Content outside whole sealed units and outside any opened unit on record (a part-vial counted
        at a stocktake, or what a partial waste left)."""
        return self.sealed_content - self.whole_units * self.unit_size

    @property
    def opened_content(self) -> Decimal:
        """What the opened units hold."""
        return sum((unit.content_left for unit in self.opened), ZERO)

    @property
    def ties_out(self) -> bool:
        """Whether sealed units × content + opened content left make exactly the ledger's on-hand."""
        return self.sealed_units * self.unit_size + self.opened_content == self.on_hand


def lot_contents(lot: Lot, today: date) -> LotContents:
    """The lot's sealed units and opened units as they are now."""
    opened = opened_units(today, lot_id=lot.id) if lot.opened_content else []
    sealed = max(lot.on_hand - lot.opened_content, ZERO)
    return LotContents(lot.on_hand, lot.product.unit_size, sealed, opened)
