"""What to order of one product, and why: booked sessions and recent use, served in turn by FEFO. Pure.

Plain values in and out, the day passed in. Booked sessions are served in date order from the lots on
hand by `stock.fefo.serve_in_turn`, with a forecast of recent use beyond the bookings spread over the
period as weekly needs, so lots that expire (or pass their margin) before a need are skipped exactly
as a draw would skip them. What the stock cannot serve, plus the reorder level kept at the end, less
the stock still in date then, is rounded up to packs and to the minimum order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from statistics import median

from formulary.quantity import fmt_quantity
from formulary.stock.fefo import DrawRule, LotStock, Need, serve_in_turn, usable_lots

ZERO = Decimal(0)
MILLI = Decimal("0.001")
CENTI = Decimal("0.01")
TENTH = Decimal("0.1")
SHELF_LIFE_LOTS = 5  # the typical shelf life is the median over a product's latest lots


@dataclass(frozen=True)
class ProductFacts:
    """What the suggestion needs to know of a product: its FEFO settings, its packs and its reorder level."""

    product_id: int
    name: str
    unit: str
    single_use: bool
    unit_size: Decimal
    margin_days: int
    pack_size: Decimal | None = None  # in the stock unit; none: one unit (vial, ampoule) per pack
    minimum_packs: int | None = None
    reorder_level: Decimal | None = None

    @property
    def pack(self) -> Decimal:
        """How much of the stock unit one pack brings."""
        return self.pack_size if self.pack_size else self.unit_size

    @property
    def least_packs(self) -> int:
        """The fewest packs the supplier sells."""
        return max(self.minimum_packs or 1, 1)

    def rule(self, on: date) -> DrawRule:
        """The FEFO rule a booked session's draw of this product follows on the day."""
        return DrawRule.for_product(on, margin_days=self.margin_days, single_use=self.single_use,
                                    unit_size=self.unit_size)

    def forecast_rule(self, on: date) -> DrawRule:
        """The rule of forecast use: the same dates and statuses, but an average rate, not whole units."""
        return DrawRule.for_product(on, margin_days=self.margin_days, single_use=False, unit_size=None)


@dataclass(frozen=True)
class Window:
    """The period an order must cover: the supplier's lead time plus the review period (or days asked for)."""

    today: date
    lead_days: int
    review_days: int
    horizon_days: int | None = None

    def __post_init__(self) -> None:
        for name in ("lead_days", "review_days"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative (got {getattr(self, name)})")
        if self.horizon_days is not None and self.horizon_days < 1:
            raise ValueError(f"horizon_days must be at least 1 (got {self.horizon_days})")

    @property
    def days(self) -> int:
        """How many days the order must cover."""
        return self.horizon_days if self.horizon_days is not None else self.lead_days + self.review_days

    @property
    def end(self) -> date:
        """The last day covered."""
        return self.today + timedelta(days=self.days)

    @property
    def arrival(self) -> date:
        """When an order sent today should arrive."""
        return self.today + timedelta(days=self.lead_days)

    def words(self) -> str:
        """The period in plain words."""
        if self.horizon_days is not None:
            return f"the next {_days(self.horizon_days)}"
        return f"{_days(self.lead_days)} lead + {_days(self.review_days)} review"


@dataclass(frozen=True)
class RecentUse:
    """What was administered and wasted in sessions over the last weeks."""

    total: Decimal
    weeks: int

    @property
    def per_week(self) -> Decimal:
        """The average use a week."""
        return (self.total / self.weeks).quantize(CENTI, rounding=ROUND_HALF_UP) if self.weeks > 0 else ZERO


@dataclass(frozen=True)
class SuggestedLine:
    """One product of the suggested order: the figures behind it, the packs, and why in plain words."""

    product_id: int
    product_name: str
    unit: str
    on_hand_usable: Decimal  # what FEFO may draw today
    booked_sessions: int
    booked_need: Decimal
    forecast: Decimal  # recent use over the period
    needed: Decimal  # booked plus forecast use beyond the bookings, plus the reorder level kept
    expires_unused: Decimal  # usable today, but out of date before any need can use it
    to_order: Decimal  # before rounding to packs
    pack_size: Decimal
    suggested_packs: int
    suggested_quantity: Decimal
    short_before_arrival: int  # booked sessions before the delivery can arrive that stock cannot serve
    likely_to_expire: Decimal  # of the suggested quantity, at the estimated shelf life
    shelf_life_days: int | None
    reason: str
    warning: str | None


def typical_shelf_life(lots: Sequence[tuple[date, date]]) -> int | None:
    """The median days from receipt to expiry over the latest lots (received on, expiry), or None without lots."""
    latest = sorted(lots, reverse=True)[:SHELF_LIFE_LOTS]
    if not latest:
        return None
    return int(median((expiry - received).days for received, expiry in latest))


def _days(count: int) -> str:
    return f"{count} day{'s' if count != 1 else ''}"


def _q(value: Decimal, unit: str) -> str:
    return f"{fmt_quantity(value.quantize(MILLI, rounding=ROUND_HALF_UP))} {unit}"


def _forecast_needs(product: ProductFacts, window: Window, extra: Decimal) -> list[tuple[date, int, Need]]:
    """The forecast use beyond bookings as one need a week, each on its week's last day (it must still be in date)."""
    needs: list[tuple[date, int, Need]] = []
    if extra <= ZERO or window.days == 0:
        return needs
    per_day = extra / window.days
    start = 0
    while start < window.days:
        length = min(7, window.days - start)
        day = window.today + timedelta(days=start + length)
        amount = (per_day * length).quantize(MILLI, rounding=ROUND_CEILING)
        if amount > ZERO:
            needs.append((day, 1, Need(product.product_id, amount, product.forecast_rule(day))))
        start += length
    return needs


def _whole_units(product: ProductFacts, amount: Decimal) -> Decimal:
    """What a session's need takes from stock: whole single-use units."""
    if not product.single_use:
        return amount
    return (amount / product.unit_size).to_integral_value(rounding=ROUND_CEILING) * product.unit_size


def suggest_line(product: ProductFacts, lots: Sequence[LotStock], booked: Sequence[tuple[date, Decimal]],
                 use: RecentUse, window: Window, shelf_life_days: int | None = None) -> SuggestedLine:
    """What to order of one product so that the period's sessions are served, and why.

    `booked` holds one (day, amount) per booked session in the period. The forecast counts only the
    use beyond the bookings: recent use already contains sessions like the booked ones, so adding
    both would order twice for the same patients.
    """
    unit = product.unit
    usable_now = sum((lot.on_hand for lot in usable_lots(lots, product.rule(window.today))), ZERO)
    in_period = sorted((day, amount) for day, amount in booked if window.today <= day <= window.end)
    booked_need = sum((amount for _day, amount in in_period), ZERO)
    # To a tenth: a forecast is an estimate, and three decimals would claim a precision it has not.
    forecast = (use.per_week * window.days / 7).quantize(TENTH, rounding=ROUND_HALF_UP)
    extra = max(forecast - booked_need, ZERO)
    keep = product.reorder_level or ZERO

    turns = sorted(
        [(day, 0, Need(product.product_id, amount, product.rule(day))) for day, amount in in_period]
        + _forecast_needs(product, window, extra),
        key=lambda item: (item[0], item[1]),
    )
    uncovered, short_early = ZERO, 0
    drawn: defaultdict[int, Decimal] = defaultdict(lambda: ZERO)
    served = serve_in_turn(([need] for _day, _kind, need in turns), {product.product_id: lots})
    for (day, kind, need), turn in zip(turns, served, strict=True):
        if turn.served:
            for draw in turn.plans[0].draws:
                drawn[draw.lot_id] += draw.taken
        else:
            uncovered += _whole_units(product, need.amount) if kind == 0 else need.amount
            if kind == 0 and day < window.arrival:
                short_early += 1
    in_date_at_end = sum((lot.on_hand - drawn[lot.lot_id]
                          for lot in usable_lots(lots, product.rule(window.end))), ZERO)
    used = sum(drawn.values(), ZERO)
    expires_unused = max(usable_now - used - in_date_at_end, ZERO)

    to_order = max(uncovered + keep - in_date_at_end, ZERO)
    packs = int((to_order / product.pack).to_integral_value(rounding=ROUND_CEILING)) if to_order > ZERO else 0
    raised = 0 < packs < product.least_packs
    packs = max(packs, product.least_packs) if packs else 0
    quantity = packs * product.pack

    likely_to_expire, warning = ZERO, None
    if packs and shelf_life_days is not None:
        last_use = window.arrival + timedelta(days=shelf_life_days - product.margin_days)
        rate = (booked_need + extra) / window.days if window.days else ZERO
        usable_days = max((last_use - window.arrival).days, 0)
        likely_to_expire = max(quantity - rate * usable_days, ZERO).quantize(MILLI, rounding=ROUND_HALF_UP)
        if likely_to_expire > ZERO:
            warning = (f"About {_q(likely_to_expire, unit)} of this order would likely expire before it is used: "
                       f"an estimate, since the delivery's expiry is unknown; its recent lots kept "
                       f"{_days(shelf_life_days)} from receipt to expiry.")

    parts = []
    if in_period:
        count = len(in_period)
        parts.append(f"{count} booked session{'s' if count != 1 else ''} need{'s' if count == 1 else ''} "
                     f"{_q(booked_need, unit)} by {in_period[-1][0]:%Y-%m-%d}")
    else:
        parts.append(f"no booked sessions until {window.end:%Y-%m-%d}")
    if use.weeks and use.total <= ZERO:
        parts.append(f"no use in the last {use.weeks} week{'s' if use.weeks != 1 else ''}")
    elif use.weeks:
        beyond = f", {_q(extra, unit)} more than booked" if extra > ZERO and in_period else ""
        parts.append(f"recent use {_q(use.per_week, unit)}/week over the last {use.weeks} week"
                     f"{'s' if use.weeks != 1 else ''}: {_q(forecast, unit)} over {window.words()}{beyond}")
    else:
        parts.append("no recent use to forecast from")
    if keep:
        parts.append(f"keeps the reorder level of {_q(keep, unit)}")
    stock = f"{_q(usable_now, unit)} usable now"
    if expires_unused > ZERO:
        stock += f", {_q(expires_unused, unit)} of it expires before it can be used"
    parts.append(stock)
    if short_early:
        parts.append(f"{short_early} booked session{'s' if short_early != 1 else ''} before the delivery can "
                     f"arrive ({window.arrival:%Y-%m-%d}) cannot be served from stock")
    if packs:
        order = f"{packs} pack{'s' if packs != 1 else ''} of {_q(product.pack, unit)}"
        parts.append(order + (f" (the minimum order is {product.least_packs})" if raised else ""))
    else:
        parts.append("nothing to order")
    if packs and shelf_life_days is None:
        parts.append("no earlier lots to estimate how long a delivery keeps")

    return SuggestedLine(
        product_id=product.product_id, product_name=product.name, unit=unit, on_hand_usable=usable_now,
        booked_sessions=len(in_period), booked_need=booked_need, forecast=forecast,
        needed=booked_need + extra + keep, expires_unused=expires_unused, to_order=to_order,
        pack_size=product.pack, suggested_packs=packs, suggested_quantity=quantity,
        short_before_arrival=short_early, likely_to_expire=likely_to_expire, shelf_life_days=shelf_life_days,
        reason="; ".join(parts), warning=warning,
    )
