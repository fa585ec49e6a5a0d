"""FEFO — first expired, first out: which lots a draw of stock takes, and how much."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal

ZERO = Decimal(0)
STATUSES = ("available", "quarantined", "recalled")


@dataclass(frozen=True)
class LotStock:
    """What FEFO needs to know of a lot: its dates, its status and its quantity on hand."""

    lot_id: int
    lot_number: str
    expiry: date
    received_on: date
    on_hand: Decimal
    status: str  # "available" | "quarantined" | "recalled"; expired follows from the date


@dataclass(frozen=True)
class Draw:
    """The amount taken from one lot: administered to the patient, and wasted."""

    lot_id: int
    lot_number: str
    administered: Decimal
    wasted: Decimal

    @property
    def taken(self) -> Decimal:
        """Everything that leaves the lot: administered plus wasted."""
        return self.administered + self.wasted


@dataclass(frozen=True)
class SkippedLot:
    """A lot with stock on hand that FEFO may not use on the day, and why."""

    lot_id: int
    lot_number: str
    reason: str  # "expired" | "quarantined" | "recalled"


@dataclass(frozen=True)
class DrawPlan:
    """The draws that meet a need in FEFO order, the lots skipped, and any shortage."""

    needed: Decimal
    draws: tuple[Draw, ...]
    skipped: tuple[SkippedLot, ...]

    @property
    def administered(self) -> Decimal:
        """Total that goes into the patient."""
        return sum((d.administered for d in self.draws), ZERO)

    @property
    def wasted(self) -> Decimal:
        """Total left over in opened single-use units."""
        return sum((d.wasted for d in self.draws), ZERO)

    @property
    def shortage(self) -> Decimal:
        """How much of the need usable stock does not cover (zero when covered)."""
        return max(self.needed - self.administered, ZERO)

    @property
    def covered(self) -> bool:
        """Whether usable stock meets the whole need."""
        return self.shortage == ZERO


def last_day_of_use(expiry: date, margin_days: int) -> date:
    """The last day a lot may be used: its expiry minus the product's margin."""
    if margin_days < 0:
        raise ValueError(f"The expiry margin cannot be negative (got {margin_days} days)")
    return expiry - timedelta(days=margin_days)


def lot_unusable_reason(lot: LotStock, on: date, margin_days: int) -> str | None:
    """Why a lot may not be used on the day ("recalled", "quarantined", "expired"), or None."""
    if lot.status not in STATUSES:
        # An unknown status must never let a lot through.
        raise ValueError(f"Lot {lot.lot_number} has an unknown status {lot.status!r}")
    if lot.status != "available":
        return lot.status  # recalled or quarantined: out of use whatever the date
    if on > last_day_of_use(lot.expiry, margin_days):
        return "expired"
    return None


def _fefo_key(lot: LotStock) -> tuple[date, date, int]:
    return (lot.expiry, lot.received_on, lot.lot_id)


def usable_lots(lots: Iterable[LotStock], on: date, margin_days: int) -> tuple[LotStock, ...]:
    """The lots with stock that may be used on the day, in the order FEFO takes them."""
    return tuple(
        sorted(
            (
                lot
                for lot in lots
                if lot.on_hand > ZERO and lot_unusable_reason(lot, on, margin_days) is None
            ),
            key=_fefo_key,
        )
    )


def plan_draw(
    lots: Iterable[LotStock],
    needed: Decimal,
    on: date,
    *,
    margin_days: int = 0,
    single_use: bool = False,
    unit_size: Decimal | None = None,
) -> DrawPlan:
    """Plan a draw of `needed` from the lots by FEFO; a shortage is reported, never raised."""
    if needed <= ZERO:
        raise ValueError(f"The amount needed must be positive (got {needed})")
    if single_use and (unit_size is None or unit_size <= ZERO):
        raise ValueError("A single-use product needs a positive unit size")

    in_stock = sorted((lot for lot in lots if lot.on_hand > ZERO), key=_fefo_key)
    skipped: list[SkippedLot] = []
    draws: list[Draw] = []
    remaining = needed
    for lot in in_stock:
        reason = lot_unusable_reason(lot, on, margin_days)
        if reason is not None:
            skipped.append(SkippedLot(lot.lot_id, lot.lot_number, reason))
            continue
        if remaining <= ZERO:
            continue  # keep looping: unusable lots further on are still reported
        if single_use:
            assert unit_size is not None
            # An opened single-use unit is used up, so whole units leave the lot.
            units = (remaining / unit_size).to_integral_value(rounding=ROUND_CEILING)
            taken = min(lot.on_hand, units * unit_size)
        else:
            taken = min(lot.on_hand, remaining)
        administered = min(taken, remaining)
        draws.append(Draw(lot.lot_id, lot.lot_number, administered, taken - administered))
        remaining -= administered
    return DrawPlan(needed=needed, draws=tuple(draws), skipped=tuple(skipped))
