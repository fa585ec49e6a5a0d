"""How many sessions the stock can serve, and whether a planned series stays in date.

Pure functions over plain values; every draw goes through formulary.stock.fefo.plan_draw,
the same rule that administering a session uses.
"""

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from formulary.stock.fefo import LotStock, plan_draw

# Counting stops here: "200 or more" is all a clinic needs to know.
SESSION_CAP = 200


@dataclass(frozen=True)
class ComponentStock:
    """One component of a cocktail version with the lots of its product."""

    product_id: int
    product_name: str
    amount: Decimal
    unit: str
    single_use: bool
    unit_size: Decimal
    margin_days: int
    lots: tuple[LotStock, ...]


@dataclass(frozen=True)
class Availability:
    """Sessions the stock can serve on a day, and the product that runs out first."""

    on: date
    sessions_possible: int
    capped: bool
    limiting_product_id: int | None
    limiting_product_name: str | None


@dataclass(frozen=True)
class SeriesSession:
    """One session of a planned series: whether its stock is there and in date."""

    number: int
    on: date
    covered: bool
    problem: str | None


def _draw_one_session(components, stock: dict[int, dict[int, Decimal]], on: date):
    """Draw one session from `stock` (lot id → on hand, per product); the first short component or None."""
    plans = []
    for component in components:
        lots = [replace(lot, on_hand=stock[component.product_id][lot.lot_id]) for lot in component.lots]
        plan = plan_draw(
            lots, component.amount, on, margin_days=component.margin_days,
            single_use=component.single_use, unit_size=component.unit_size if component.single_use else None,
        )
        if not plan.covered:
            return component, plan
        plans.append((component, plan))
    for component, plan in plans:
        for draw in plan.draws:
            stock[component.product_id][draw.lot_id] -= draw.taken
    return None, None


def _stock(components) -> dict[int, dict[int, Decimal]]:
    return {c.product_id: {lot.lot_id: lot.on_hand for lot in c.lots} for c in components}


def sessions_possible(components: list[ComponentStock], on: date, cap: int = SESSION_CAP) -> Availability:
    """Draw session after session by FEFO on day `on` until a component runs short."""
    stock = _stock(components)
    for served in range(cap):
        short, _plan = _draw_one_session(components, stock, on)
        if short is not None:
            return Availability(on, served, False, short.product_id, short.product_name)
    return Availability(on, cap, True, None, None)


def plan_series(
    components: list[ComponentStock], start: date, sessions: int, interval_days: int
) -> list[SeriesSession]:
    """Each session of a series (every `interval_days` from `start`), drawn from what the earlier ones left."""
    stock = _stock(components)
    result = []
    for number in range(1, sessions + 1):
        on = start + timedelta(days=interval_days * (number - 1))
        short, plan = _draw_one_session(components, stock, on)
        problem = None
        if short is not None:
            reasons = sorted({s.reason for s in plan.skipped})
            why = f" (other lots {', '.join(reasons)} by then)" if reasons else ""
            problem = f"not enough {short.product_name} in date on {on:%Y-%m-%d}{why}"
        result.append(SeriesSession(number, on, short is None, problem))
    return result
