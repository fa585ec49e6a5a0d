"""How many sessions the stock can serve, and whether a planned series stays in date.

Pure functions over plain values; sessions are drawn in turn by formulary.stock.fefo.serve_in_turn,
under the same rule that administering a session uses.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import repeat

from formulary.cocktails.lines import RecipeLine, RecipeStock
from formulary.stock.fefo import DrawPlan, Turn, serve_in_turn

# Counting stops here: "200 or more" is all a clinic needs to know.
SESSION_CAP = 200


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


def _first_short(stock: RecipeStock, turn: Turn) -> tuple[RecipeLine, DrawPlan]:
    """The first line of a session that the stock did not cover, and its plan."""
    return next((line, plan) for line, plan in zip(stock.lines, turn.plans, strict=True) if not plan.covered)


def sessions_possible(stock: RecipeStock, on: date, cap: int = SESSION_CAP) -> Availability:
    """Draw session after session by FEFO on day `on` until a component runs short."""
    for served, turn in enumerate(serve_in_turn(repeat(stock.needs(on), cap), stock.lots)):
        if not turn.served:
            short, _plan = _first_short(stock, turn)
            return Availability(on, served, False, short.product_id, short.product_name)
    return Availability(on, cap, True, None, None)


def plan_series(stock: RecipeStock, start: date, sessions: int, interval_days: int) -> list[SeriesSession]:
    """Each session of a series (every `interval_days` from `start`), drawn from what the earlier ones left."""
    days = [start + timedelta(days=interval_days * n) for n in range(sessions)]
    result = []
    turns = serve_in_turn((stock.needs(on) for on in days), stock.lots)
    for number, (on, turn) in enumerate(zip(days, turns, strict=True), start=1):
        problem = None
        if not turn.served:
            short, plan = _first_short(stock, turn)
            reasons = sorted({s.reason for s in plan.skipped})
            why = f" (other lots {', '.join(reasons)} by then)" if reasons else ""
            problem = f"not enough {short.product_name} in date on {on:%Y-%m-%d}{why}"
        result.append(SeriesSession(number, on, turn.served, problem))
    return result
