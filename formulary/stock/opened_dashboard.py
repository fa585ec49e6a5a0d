"""The dashboard's opened-vial panels: vials to discard, and what waste cost over the last 90 days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from formulary.extensions import db
from formulary.stock.models import Lot, StockMovement
from formulary.stock.opened import OpenedRow, opened_units
from formulary.stock.opened_models import OpenedUnit
from formulary.vocabulary import MovementKind

WASTE_DAYS = 90
TOP = 8
CENTS = Decimal("0.01")
ZERO = Decimal(0)


@dataclass(frozen=True)
class WasteCost:
    """What opened-vial lapses and single-use remainders cost over a period (at the lots' unit cost)."""

    since: date
    lapsed_quantity: Decimal
    lapsed_value: Decimal
    remainder_quantity: Decimal
    remainder_value: Decimal

    @property
    def total_value(self) -> Decimal:
        """Both together."""
        return self.lapsed_value + self.remainder_value


@dataclass(frozen=True)
class OpenedPanels:
    """Opened vials to discard (the first few, and how many), and the waste cost."""

    to_discard: list[OpenedRow]
    to_discard_count: int
    waste: WasteCost


def waste_cost(today: date, *, product_id: int | None = None, days: int = WASTE_DAYS) -> WasteCost:
    """Opened vials discarded and single-use remainders wasted since `days` ago, with their value.

    Single-use remainders are the waste movements a session made (the rest of a unit it opened);
    lapses are opened units discarded with what they still held. The days before today never
    change (the ledger is append-only and stamped when written), so each process keeps their sum
    for the day and adds today's, read live: the figure is the stock's as it is now.
    """
    since = today - timedelta(days=days)
    start = datetime.combine(since, time.min, tzinfo=UTC)
    midnight = datetime.combine(today, time.min, tzinfo=UTC)
    key = (str(db.engine.url), today, days, product_id)
    past = _PAST.get(key)
    if past is None:
        past = _sums(start, midnight, product_id)
        if len(_PAST) > 512:
            _PAST.clear()
        _PAST[key] = past
    now = _sums(midnight, None, product_id)
    total = [a + b for a, b in zip(past, now, strict=True)]
    return WasteCost(since, total[0], total[1].quantize(CENTS), total[2], total[3].quantize(CENTS))


_PAST: dict[tuple, tuple[Decimal, Decimal, Decimal, Decimal]] = {}


def _sums(start: datetime, end: datetime | None, product_id: int | None) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(lapsed quantity, its value, single-use remainders, their value) between two moments."""
    lapsed = (
        select(func.coalesce(func.sum(OpenedUnit.discarded_content), 0),
               func.coalesce(func.sum(OpenedUnit.discarded_content * Lot.unit_cost), 0))
        .join(Lot, Lot.id == OpenedUnit.lot_id)
        .where(OpenedUnit.discarded_at >= start)
    )
    # Row by row over the partial index (no GROUP BY: SQLite would then walk the lot_id index instead).
    remainders = (
        select(func.coalesce(func.sum(-StockMovement.quantity), 0),
               func.coalesce(func.sum(-StockMovement.quantity * Lot.unit_cost), 0))
        .join(Lot, Lot.id == StockMovement.lot_id)
        .where(StockMovement.kind == MovementKind.WASTE, StockMovement.session_id.is_not(None),
               StockMovement.at >= start)
    )
    if end is not None:
        lapsed = lapsed.where(OpenedUnit.discarded_at < end)
        remainders = remainders.where(StockMovement.at < end)
    if product_id is not None:
        lapsed = lapsed.where(Lot.product_id == product_id)
        remainders = remainders.where(Lot.product_id == product_id)
    lapsed_quantity, lapsed_value = db.session.execute(lapsed).one()
    rest_quantity, rest_value = db.session.execute(remainders).one()
    return tuple(Decimal(str(v)) for v in (lapsed_quantity, lapsed_value, rest_quantity, rest_value))  # type: ignore[return-value]


def opened_panels(today: date) -> OpenedPanels:
    """The dashboard's opened-vial panels for the day."""
    lapsed = opened_units(today, lapsed=True, stored_use_by_before=today, limit=TOP)
    count = db.session.scalar(select(func.count()).select_from(OpenedUnit).where(
        OpenedUnit.content_left > 0, OpenedUnit.use_by < today)) or 0
    return OpenedPanels(lapsed, count, waste_cost(today))


def lapsed_reason(row: OpenedRow) -> str:
    """The reason a one-click discard records."""
    return f"lapsed: opened {row.opened_on:%Y-%m-%d}, use by {row.use_by:%Y-%m-%d}"


__all__ = ["OpenedPanels", "WasteCost", "lapsed_reason", "opened_panels", "waste_cost"]
