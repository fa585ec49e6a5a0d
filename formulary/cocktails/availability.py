"""How many sessions the stock can serve, and whether a planned series stays in date.

Pure functions over plain values; sessions are drawn in turn by formulary.stock.fefo.serve_in_turn,
under the same rule that administering a session uses.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import repeat

from formulary.cocktails.lines import RecipeLine, RecipeStock
from formulary.stock.fefo import DrawPlan, LotStock, Need, Turn, serve_in_turn

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
    short_product_ids: tuple[int, ...] = ()  # every product it runs short of, in recipe order


@dataclass(frozen=True)
class Booking:
    """A session served in turn: its day and recipe; `watched` when the caller wants its forecast."""

    on: date
    lines: tuple[RecipeLine, ...]
    watched: bool = True


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
    return forecast_bookings([Booking(on, stock.lines) for on in days], stock.lots)


def forecast_bookings(bookings: Sequence[Booking], lots: Mapping[int, Sequence[LotStock]]) -> list[SeriesSession]:
    """Serve the bookings in the order given (by day, then as booked) from the lots of every product they use;
    the forecast of each watched one, numbered in turn: a course's sessions among the clinic's other bookings.
    """
    result: list[SeriesSession] = []
    turns = serve_in_turn((booking_needs(b) for b in bookings), lots)
    for booking, turn in zip(bookings, turns, strict=True):
        if not booking.watched:
            continue
        problem: str | None = None
        short: tuple[int, ...] = ()
        if not turn.served:
            line, plan = next((ln, p) for ln, p in zip(booking.lines, turn.plans, strict=True) if not p.covered)
            reasons = sorted({s.reason for s in plan.skipped})
            why = f" (other lots {', '.join(reasons)} by then)" if reasons else ""
            problem = f"not enough {line.product_name} in date on {booking.on:%Y-%m-%d}{why}"
            short = tuple(dict.fromkeys(
                ln.product_id for ln, p in zip(booking.lines, turn.plans, strict=True) if not p.covered))
        result.append(SeriesSession(len(result) + 1, booking.on, turn.served, problem, short))
    return result


def booking_needs(booking: Booking) -> list[Need]:
    """What the booked session needs of each product on its day."""
    return [line.need(booking.on) for line in booking.lines]
