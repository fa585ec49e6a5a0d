"""The dashboard's opened-vial panels: vials to discard, and what waste cost over the last 90 days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache

from sqlalchemy import Select, bindparam, func, literal_column, select, true

from formulary.db import UTCDateTime, utcnow
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


def waste_cost(today: date, *, product_id: int | None = None, days: int = WASTE_DAYS,
               now: datetime | None = None) -> WasteCost:
    """Opened vials discarded and single-use remainders wasted since `days` ago, with their value.

    Single-use remainders are the waste movements a session made (the rest of a unit it opened);
    lapses are opened units discarded with what they still held. The ledger is append-only and each
    row stamped when written, so what was recorded before yesterday (UTC) never changes: each
    process keeps that sum for the day and adds what came since, read live. The figure is the
    ledger's as it is now; a day of margin leaves no transaction still able to add to the kept part.
    """
    since = today - timedelta(days=days)
    start = datetime.combine(since, time.min, tzinfo=UTC)
    cut = max(datetime.combine((now or utcnow()).astimezone(UTC).date() - timedelta(days=1), time.min, tzinfo=UTC),
              start)
    key = (str(db.engine.url), start, cut, product_id)
    past = _PAST.get(key)
    if past is None:
        past = _sums(start, cut, product_id) if cut > start else (ZERO,) * 4
        if len(_PAST) > 512:
            _PAST.clear()
        _PAST[key] = past
    recent = _sums(cut, OPEN_END, product_id)
    total = [a + b for a, b in zip(past, recent, strict=True)]
    return WasteCost(since, total[0], total[1].quantize(CENTS), total[2], total[3].quantize(CENTS))


_PAST: dict[tuple, tuple[Decimal, ...]] = {}
OPEN_END = datetime(9999, 1, 1, tzinfo=UTC)  # no movement is stamped later


@cache
def _statement(for_product: bool) -> Select:
    """Both sums in one statement, built once: lapses and single-use remainders between two moments."""
    start, end = bindparam("start", type_=UTCDateTime), bindparam("end", type_=UTCDateTime)
    lapsed = (
        select(func.coalesce(func.sum(OpenedUnit.discarded_content), 0).label("lapsed"),
               func.coalesce(func.sum(OpenedUnit.discarded_content * Lot.unit_cost), 0).label("lapsed_value"))
        .join(Lot, Lot.id == OpenedUnit.lot_id)
        .where(OpenedUnit.discarded_at >= start, OpenedUnit.discarded_at < end)
    )
    # Row by row over the partial index (no GROUP BY: SQLite would then walk the lot_id index instead);
    # the kind written inline, so that PostgreSQL's generic plan may use that index too.
    rests = (
        select(func.coalesce(func.sum(-StockMovement.quantity), 0).label("rests"),
               func.coalesce(func.sum(-StockMovement.quantity * Lot.unit_cost), 0).label("rests_value"))
        .join(Lot, Lot.id == StockMovement.lot_id)
        .where(StockMovement.kind == literal_column(f"'{MovementKind.WASTE.value}'"),
               StockMovement.session_id.is_not(None), StockMovement.at >= start, StockMovement.at < end)
    )
    if for_product:
        lapsed = lapsed.where(Lot.product_id == bindparam("product_id"))
        rests = rests.where(Lot.product_id == bindparam("product_id"))
    lapsed_sums, rest_sums = lapsed.subquery(), rests.subquery()
    return select(lapsed_sums, rest_sums).join_from(lapsed_sums, rest_sums, true())  # one row each: one row


def _sums(start: datetime, end: datetime, product_id: int | None) -> tuple[Decimal, ...]:
    """(lapsed quantity, its value, single-use remainders, their value) between two moments."""
    params = {"start": start, "end": end, "product_id": product_id}
    row = db.session.execute(_statement(product_id is not None), params).one()
    return tuple(Decimal(str(v)) for v in row)


def opened_panels(today: date) -> OpenedPanels:
    """The dashboard's opened-vial panels for the day."""
    lapsed = opened_units(today, lapsed=True, stored_use_by_before=today, limit=TOP)
    count = len(lapsed)
    if count == TOP:  # there may be more than the few listed: count them
        count = db.session.scalar(select(func.count()).select_from(OpenedUnit).where(
            OpenedUnit.content_left > 0, OpenedUnit.use_by < today)) or 0
    return OpenedPanels(lapsed, count, waste_cost(today))


def lapsed_reason(row: OpenedRow) -> str:
    """The reason a one-click discard records."""
    return f"lapsed: opened {row.opened_on:%Y-%m-%d}, use by {row.use_by:%Y-%m-%d}"


__all__ = ["OpenedPanels", "WasteCost", "lapsed_reason", "opened_panels", "waste_cost"]
