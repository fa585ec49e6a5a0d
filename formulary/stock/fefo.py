"""FEFO — first expired, first out: which lots a draw of stock takes, and how much.

Pure: plain values in and out, the day passed in. `DrawRule` is what a draw of one product must
respect on a day; `fefo_lots` sorts and sorts out the lots; `plan_draw` plans one draw; and
`serve_in_turn` serves session after session from a running stock. Every rule of the order (which
lot first) and of use (which lot may be drawn) lives here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from functools import cached_property

from formulary.vocabulary import LotDisplayStatus, LotStatus

ZERO = Decimal(0)
KNOWN_STATUSES: frozenset[str] = frozenset(LotStatus)
USABLE_STATUSES: frozenset[str] = frozenset({LotStatus.AVAILABLE})


@dataclass(frozen=True, slots=True)
class LotStock:
    """What FEFO needs to know of a lot: its dates, its status and its quantity on hand."""

    lot_id: int
    lot_number: str
    expiry: date
    received_on: date
    on_hand: Decimal
    status: str  # a LotStatus; expired follows from the date


@dataclass(frozen=True, slots=True)
class DrawRule:
    """What a draw of one product must respect: the day, the expiry margin, whole single-use units, usable statuses."""

    on: date
    margin_days: int = 0
    single_use: bool = False
    unit_size: Decimal | None = None  # the size of a single-use unit; a multi-dose product's plays no part
    statuses: frozenset[str] = USABLE_STATUSES  # the lot statuses a draw may take from
    # The earliest expiry a lot may have to be drawn on the day: the day plus the margin. The same
    # as `on <= last_day_of_use(expiry, margin)`, worked out once per rule, not once per lot.
    earliest_expiry: date = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.margin_days < 0:
            raise ValueError(f"The expiry margin cannot be negative (got {self.margin_days} days)")
        if self.single_use and (self.unit_size is None or self.unit_size <= ZERO):
            raise ValueError("A single-use product needs a positive unit size")
        if not self.statuses <= KNOWN_STATUSES:
            raise ValueError(f"Unknown lot status(es) {sorted(self.statuses - KNOWN_STATUSES)}")
        object.__setattr__(self, "earliest_expiry", self.on + timedelta(days=self.margin_days))

    @classmethod
    def for_product(cls, on: date, *, margin_days: int, single_use: bool, unit_size: Decimal | None) -> DrawRule:
        """The rule of a product with these settings on the day: the one way a draw rule is set up."""
        return cls(on, margin_days, single_use, unit_size if single_use else None)

    def on_day(self, on: date) -> DrawRule:
        """The same product's rule on another day."""
        return replace(self, on=on)


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class SkippedLot:
    """A lot with stock on hand that FEFO may not use on the day, and why."""

    lot_id: int
    lot_number: str
    reason: str  # "expired" | "quarantined" | "recalled"


@dataclass(frozen=True, slots=True)
class FefoLots:
    """The lots with stock on hand in FEFO order: those a draw may use, and those it skips with why."""

    usable: tuple[LotStock, ...]
    skipped: tuple[SkippedLot, ...]


@dataclass(frozen=True, slots=True)
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


def lot_unusable_reason(lot: LotStock, rule: DrawRule) -> str | None:
    """Why the rule keeps a lot out of use ("recalled", "quarantined", "expired"), or None."""
    if lot.status not in KNOWN_STATUSES:
        # An unknown status must never let a lot through.
        raise ValueError(f"Lot {lot.lot_number} has an unknown status {lot.status!r}")
    if lot.status not in rule.statuses:
        return lot.status  # recalled or quarantined: out of use whatever the date
    if lot.expiry < rule.earliest_expiry:
        return LotDisplayStatus.EXPIRED
    return None


def _fefo_key(lot: LotStock) -> tuple[date, date, int]:
    """The FEFO order: earliest expiry first, then earliest received, then the lowest id."""
    return (lot.expiry, lot.received_on, lot.lot_id)


def _fefo_order(lots: Iterable[LotStock]) -> list[LotStock]:
    """The lots with stock on hand, in the order FEFO takes them (usable or not)."""
    return sorted((lot for lot in lots if lot.on_hand > ZERO), key=_fefo_key)


def fefo_lots(lots: Iterable[LotStock], rule: DrawRule) -> FefoLots:
    """The lots with stock on hand in FEFO order, split into those the rule lets a draw use and those it skips."""
    usable: list[LotStock] = []
    skipped: list[SkippedLot] = []
    for lot in _fefo_order(lots):
        reason = lot_unusable_reason(lot, rule)
        if reason is None:
            usable.append(lot)
        else:
            skipped.append(SkippedLot(lot.lot_id, lot.lot_number, reason))
    return FefoLots(tuple(usable), tuple(skipped))


def usable_lots(lots: Iterable[LotStock], rule: DrawRule) -> tuple[LotStock, ...]:
    """The lots with stock that the rule lets a draw use, in the order FEFO takes them."""
    return fefo_lots(lots, rule).usable


def plan_draw(lots: Iterable[LotStock], needed: Decimal, rule: DrawRule) -> DrawPlan:
    """Plan a draw of `needed` from the lots by FEFO under the rule; a shortage is reported, never raised."""
    if needed <= ZERO:
        raise ValueError(f"The amount needed must be positive (got {needed})")
    found = fefo_lots(lots, rule)
    draws: list[Draw] = []
    remaining = needed
    for lot in found.usable:
        if remaining <= ZERO:
            break
        if rule.single_use:
            assert rule.unit_size is not None  # DrawRule refuses a single-use rule without one
            # An opened single-use unit is used up, so whole units leave the lot.
            units = (remaining / rule.unit_size).to_integral_value(rounding=ROUND_CEILING)
            taken = min(lot.on_hand, units * rule.unit_size)
        else:
            taken = min(lot.on_hand, remaining)
        administered = min(taken, remaining)
        draws.append(Draw(lot.lot_id, lot.lot_number, administered, taken - administered))
        remaining -= administered
    return DrawPlan(needed=needed, draws=tuple(draws), skipped=found.skipped)


# --- serving sessions in turn -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Need:
    """An amount of one product that a session needs, and the rule its draw follows."""

    product_id: int
    amount: Decimal
    rule: DrawRule


@dataclass(frozen=True)
class Turn:
    """One session served in turn: a plan per need, in the needs' order; drawn only when all are covered."""

    plans: tuple[DrawPlan, ...]

    @cached_property
    def served(self) -> bool:
        """Whether the stock covered every need (and so was drawn)."""
        return all(plan.covered for plan in self.plans)


def serve_in_turn(
    sessions: Iterable[Sequence[Need]], lots: Mapping[int, Iterable[LotStock]]
) -> Iterator[Turn]:
    """Serve each session's needs in turn from a running stock (the product's lots by product id).

    Each session is planned on what the earlier ones left; a session that is not fully covered
    draws nothing, so it does not make later ones look short as well. Lazy: a caller that stops
    at the first short session plans no further. The lots given are not changed.
    """
    # Each product's lots by id: a draw replaces only the lots it takes from, and a lot it
    # empties leaves the stock, so later plans do not look at it again.
    stock = {pid: {lot.lot_id: lot for lot in product_lots} for pid, product_lots in lots.items()}
    for needs in sessions:
        turn = Turn(tuple(plan_draw(stock.get(n.product_id, {}).values(), n.amount, n.rule) for n in needs))
        if turn.served:
            for need, plan in zip(needs, turn.plans, strict=True):
                for draw in plan.draws:
                    _take(stock[need.product_id], draw)
        yield turn


def _take(lots: dict[int, LotStock], draw: Draw) -> None:
    """Take a draw from a product's running stock; a lot it empties leaves the stock."""
    lot = lots.get(draw.lot_id)
    if lot is None:
        return  # emptied by another need of the same session: nothing is left to take
    if lot.on_hand > draw.taken:
        lots[draw.lot_id] = replace(lot, on_hand=lot.on_hand - draw.taken)
    else:
        del lots[draw.lot_id]
