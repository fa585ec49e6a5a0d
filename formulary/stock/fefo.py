"""FEFO — first expired, first out: which lots a draw of stock takes, and how much.

Pure: plain values in and out, the day passed in. `DrawRule` is what a draw of one product must
respect on a day; `fefo_lots` sorts and sorts out the lots; `plan_draw` plans one draw; and
`serve_in_turn` serves session after session from a running stock. Every rule of the order (which
lot first) and of use (which lot may be drawn) lives here and nowhere else.

A multi-dose lot holds sealed units and opened units (`OpenedStock`): the first draw from a sealed
unit opens it, and an opened unit may be drawn until its in-use expiry (the earlier of the lot's
expiry and the day it was opened plus the product's opened shelf life). FEFO takes the opened units
first, then the sealed stock by expiry; a lapsed opened unit is never drawn.
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
class OpenedStock:
    """An opened unit of a multi-dose lot: what is left in it and its in-use expiry (use by)."""

    unit_id: int
    content_left: Decimal
    use_by: date

    def lapsed_on(self, on: date) -> bool:
        """Whether the unit is past its in-use expiry on the day (usable up to and including use_by)."""
        return self.use_by < on


@dataclass(frozen=True, slots=True)
class LotStock:
    """What FEFO needs to know of a lot: its dates, its status, its quantity on hand and its opened units."""

    lot_id: int
    lot_number: str
    expiry: date
    received_on: date
    on_hand: Decimal
    status: str  # a LotStatus; expired follows from the date
    opened: tuple[OpenedStock, ...] = ()  # on_hand = sealed content + the opened units' content left

    @property
    def opened_content(self) -> Decimal:
        """What the opened units still hold."""
        return sum((unit.content_left for unit in self.opened), ZERO)

    @property
    def sealed(self) -> Decimal:
        """The content still in sealed units (never below zero, even if a count left less than opened)."""
        return max(self.on_hand - self.opened_content, ZERO)

    def usable_content(self, on: date) -> Decimal:
        """What a draw on the day may take: the sealed content and the opened units not lapsed."""
        return self.sealed + sum((u.content_left for u in self.opened if not u.lapsed_on(on)), ZERO)


def in_use_expiry(lot_expiry: date, opened_on: date, opened_shelf_life_days: int | None) -> date:
    """An opened unit's use-by: the earlier of the lot's expiry and opened + shelf life; it never extends."""
    if opened_shelf_life_days is None:
        return lot_expiry
    return min(lot_expiry, opened_on + timedelta(days=opened_shelf_life_days))


@dataclass(frozen=True, slots=True)
class DrawRule:
    """What a draw of one product must respect: the day, the expiry margin, whole single-use units, usable statuses."""

    on: date
    margin_days: int = 0
    single_use: bool = False
    unit_size: Decimal | None = None  # the size of a single-use unit; a multi-dose product's plays no part
    statuses: frozenset[str] = USABLE_STATUSES  # the lot statuses a draw may take from
    # A multi-dose product's unit content and opened shelf life: a draw from sealed stock opens units.
    unit_content: Decimal | None = None
    opened_shelf_life_days: int | None = None
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
    def for_product(cls, on: date, *, margin_days: int, single_use: bool, unit_size: Decimal | None,
                    opened_shelf_life_days: int | None = None) -> DrawRule:
        """The rule of a product with these settings on the day: the one way a draw rule is set up."""
        if single_use:
            return cls(on, margin_days, True, unit_size)
        content = unit_size if unit_size is not None and unit_size > ZERO else None
        return cls(on, margin_days, False, None, unit_content=content, opened_shelf_life_days=opened_shelf_life_days)

    @property
    def opens_units(self) -> bool:
        """Whether a draw under the rule opens multi-dose units (and so keeps them as opened units)."""
        return self.unit_content is not None

    def use_by_if_opened(self, lot_expiry: date) -> date:
        """The in-use expiry of a unit of a lot opened on the rule's day."""
        return in_use_expiry(lot_expiry, self.on, self.opened_shelf_life_days)

    def on_day(self, on: date) -> DrawRule:
        """The same product's rule on another day."""
        return replace(self, on=on)


@dataclass(frozen=True, slots=True)
class Draw:
    """The amount taken from one lot: administered to the patient, and wasted.

    From an opened unit, `unit_id` names it. From sealed stock of a multi-dose lot the draw opens
    units: `opened_left` is what the last unit opened still holds (zero when it was used up).
    """

    lot_id: int
    lot_number: str
    administered: Decimal
    wasted: Decimal
    unit_id: int | None = None
    opened_left: Decimal = ZERO

    @property
    def taken(self) -> Decimal:
        """Everything that leaves the lot: administered plus wasted."""
        return self.administered + self.wasted


@dataclass(frozen=True, slots=True)
class SkippedLot:
    """A lot with stock on hand that FEFO may not use on the day, and why."""

    lot_id: int
    lot_number: str
    reason: str  # "expired" | "quarantined" | "recalled" | "lapsed" (only lapsed opened units left)


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
    lapsed: Decimal = ZERO  # content in opened units past their use-by, which the draw may not take

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

    @property
    def short_for_lapse(self) -> bool:
        """Not covered, though the lapsed opened units would have covered it: they wait to be discarded."""
        return not self.covered and self.lapsed >= self.shortage


def last_day_of_use(expiry: date, margin_days: int) -> date:
    """The last day a lot may be used: its expiry minus the product's margin."""
    if margin_days < 0:
        raise ValueError(f"The expiry margin cannot be negative (got {margin_days} days)")
    return expiry - timedelta(days=margin_days)


LAPSED = "lapsed"


def lot_unusable_reason(lot: LotStock, rule: DrawRule) -> str | None:
    """Why the rule keeps a lot out of use ("recalled", "quarantined", "expired", "lapsed"), or None.

    "lapsed": the lot itself is usable, but all it holds is in opened units past their use-by.
    """
    if lot.status not in KNOWN_STATUSES:
        # An unknown status must never let a lot through.
        raise ValueError(f"Lot {lot.lot_number} has an unknown status {lot.status!r}")
    if lot.status not in rule.statuses:
        return lot.status  # recalled or quarantined: out of use whatever the date
    if lot.expiry < rule.earliest_expiry:
        return LotDisplayStatus.EXPIRED
    if lot.opened and lot.usable_content(rule.on) <= ZERO:
        return LAPSED
    return None


def opened_unit_reason(lot: LotStock, unit: OpenedStock, rule: DrawRule) -> str | None:
    """Why an opened unit may not be drawn on the rule's day (its lot's reason, or "lapsed"), or None."""
    reason = lot_unusable_reason(lot, rule)
    if reason is not None and reason != LAPSED:
        return reason
    return LAPSED if unit.lapsed_on(rule.on) else None


@dataclass(frozen=True, slots=True)
class Source:
    """Where a draw may take from: an opened unit of a lot, or a lot's sealed stock (unit None)."""

    lot: LotStock
    unit: OpenedStock | None
    available: Decimal


def _fefo_key(source: Source) -> tuple[int, date, date, date, int, int]:
    """The FEFO order: opened units first (earliest use-by first), then sealed stock by earliest expiry;
    then earliest received, then the lowest lot id and unit id."""
    lot, unit = source.lot, source.unit
    if unit is not None:
        return (0, unit.use_by, lot.expiry, lot.received_on, lot.lot_id, unit.unit_id)
    return (1, lot.expiry, lot.expiry, lot.received_on, lot.lot_id, 0)


def _sources(lot: LotStock) -> list[Source]:
    """A lot's opened units with content, and its sealed stock when there is any."""
    sources = [Source(lot, unit, unit.content_left) for unit in lot.opened if unit.content_left > ZERO]
    if lot.sealed > ZERO:
        sources.append(Source(lot, None, lot.sealed))
    return sources


def _lot_key(lot: LotStock) -> tuple[int, date, date, date, int, int]:
    """A lot's place in the FEFO order: that of the first thing FEFO would take from it."""
    if not lot.opened:  # the common case: sealed stock only
        return (1, lot.expiry, lot.expiry, lot.received_on, lot.lot_id, 0)
    return min((_fefo_key(s) for s in _sources(lot)), default=(1, lot.expiry, lot.expiry, lot.received_on,
                                                                lot.lot_id, 0))


def _fefo_order(lots: Iterable[LotStock]) -> list[LotStock]:
    """The lots with stock on hand, in the order FEFO takes them (usable or not)."""
    return sorted((lot for lot in lots if lot.on_hand > ZERO), key=_lot_key)


def draw_sources(lots: Iterable[LotStock], rule: DrawRule) -> list[Source]:
    """Everything a draw under the rule may take from, in the order FEFO takes it (lapsed units left out)."""
    sources = [
        source for lot in lots if lot.on_hand > ZERO and lot_unusable_reason(lot, rule) is None
        for source in _sources(lot)
        if source.unit is None or not source.unit.lapsed_on(rule.on)
    ]
    return sorted(sources, key=_fefo_key)


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
    lots = tuple(lots)
    found = fefo_lots(lots, rule)
    draws: list[Draw] = []
    remaining = needed
    # Without opened units, a lot's one source is its sealed stock, already in FEFO order: no second sort.
    opened = any(lot.opened for lot in lots)
    sources = draw_sources(found.usable, rule) if opened else [Source(lot, None, lot.on_hand) for lot in found.usable]
    for source in sources:
        if remaining <= ZERO:
            break
        lot = source.lot
        if source.unit is not None:
            taken = min(source.available, remaining)
            draws.append(Draw(lot.lot_id, lot.lot_number, taken, ZERO, unit_id=source.unit.unit_id))
            remaining -= taken
            continue
        if rule.single_use:
            assert rule.unit_size is not None  # DrawRule refuses a single-use rule without one
            # An opened single-use unit is used up, so whole units leave the lot.
            units = (remaining / rule.unit_size).to_integral_value(rounding=ROUND_CEILING)
            taken = min(source.available, units * rule.unit_size)
        else:
            taken = min(source.available, remaining)
        administered = min(taken, remaining)
        draws.append(Draw(lot.lot_id, lot.lot_number, administered, taken - administered,
                          opened_left=_left_in_last_opened(taken, source.available, rule)))
        remaining -= administered
    lapsed = _lapsed_content(lots, rule) if opened else ZERO
    return DrawPlan(needed=needed, draws=tuple(draws), skipped=found.skipped, lapsed=lapsed)


def _lapsed_content(lots: Iterable[LotStock], rule: DrawRule) -> Decimal:
    """The content in opened units of usable lots that lapsed by the rule's day."""
    return sum((
        unit.content_left for lot in lots if lot.opened and lot.on_hand > ZERO
        for unit in lot.opened
        if unit.lapsed_on(rule.on) and opened_unit_reason(lot, unit, rule) == LAPSED
    ), ZERO)


def _left_in_last_opened(taken: Decimal, sealed: Decimal, rule: DrawRule) -> Decimal:
    """What the last multi-dose unit a draw of `taken` from sealed stock opens still holds."""
    if not rule.opens_units or taken <= ZERO:
        return ZERO
    assert rule.unit_content is not None
    units = (taken / rule.unit_content).to_integral_value(rounding=ROUND_CEILING)
    # A count may have left a part unit among the sealed ones: never more than the sealed stock.
    return min(units * rule.unit_content, sealed) - taken


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
                    _take(stock[need.product_id], draw, need.rule)
        yield turn


def _take(lots: dict[int, LotStock], draw: Draw, rule: DrawRule) -> None:
    """Take a draw from a product's running stock; a lot it empties leaves the stock.

    A draw from an opened unit lowers what the unit holds; a draw that opens a unit leaves it
    opened on the rule's day, so that a later session takes it first (and sees it lapse).
    """
    lot = lots.get(draw.lot_id)
    if lot is None:
        return  # emptied by another need of the same session: nothing is left to take
    if lot.on_hand <= draw.taken:
        del lots[draw.lot_id]
        return
    opened = lot.opened
    if draw.unit_id is not None:
        opened = tuple(replace(u, content_left=u.content_left - draw.taken) if u.unit_id == draw.unit_id else u
                       for u in opened)
        opened = tuple(u for u in opened if u.content_left > ZERO)
    elif draw.opened_left > ZERO:
        # A planned unit has no id yet: a negative one, unique in this running stock.
        new_id = min((u.unit_id for u in opened), default=0) - 1
        opened = (*opened, OpenedStock(min(new_id, -1), draw.opened_left, rule.use_by_if_opened(lot.expiry)))
    lots[draw.lot_id] = replace(lot, on_hand=lot.on_hand - draw.taken, opened=opened)


# --- a bound that spares the replay -------------------------------------------------------


def most_taken(need: Need) -> Decimal:
    """The most sealed stock one draw can take: whole units rounded up, plus one more unit where the draw
    crosses from one lot to the next (and, for a multi-dose vial, where the opened one lapsed)."""
    size = need.rule.unit_size if need.rule.single_use else need.rule.unit_content
    if size is None:
        return need.amount
    return (need.amount / size).to_integral_value(rounding=ROUND_CEILING) * size + size


def unsure_products(sessions: Iterable[Sequence[Need]], sealed: Mapping[int, Decimal]) -> set[int]:
    """The products that might run short, without replaying the draws; the others surely serve every session.

    `sealed` is, by product, the sealed stock of the lots usable on every day of the sessions. If
    the most all the sessions could take of a product fits in it, no plan of that product can fall
    short, whatever FEFO takes from which lot. A session short of another product draws nothing,
    which only leaves more: so replaying the unsure products alone (serve_in_turn) finds exactly
    the sessions a full replay finds short, with the same shortages.
    """
    wanted: dict[int, Decimal] = {}
    for needs in sessions:
        for need in needs:
            wanted[need.product_id] = wanted.get(need.product_id, ZERO) + most_taken(need)
    return {product_id for product_id, total in wanted.items() if total > sealed.get(product_id, ZERO)}
