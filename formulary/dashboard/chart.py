"""The geometry of the dashboard's expiry chart: SVG coordinates computed here, drawn by the template."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from formulary.stock.dashboard import MonthExpiry

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 16, 16, 28, 44
BAR_GAP = 2


@dataclass(frozen=True)
class Bar:
    """One rectangle of the chart."""

    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class MonthColumn:
    """One month: its two bars (units, value), its label position and its figures."""

    label: str
    label_x: float
    units: Bar
    value: Bar
    month: MonthExpiry


@dataclass(frozen=True)
class ExpiryChart:
    """Everything the template needs to draw the chart."""

    width: int
    height: int
    baseline: float
    left: float
    right: float
    columns: list[MonthColumn]
    max_units: Decimal
    max_value: Decimal

    @property
    def empty(self) -> bool:
        """Nothing expires in the months shown."""
        return self.max_units == 0 and self.max_value == 0


def _height(amount: Decimal, largest: Decimal, room: float) -> float:
    if largest <= 0 or amount <= 0:
        return 0.0
    return max(round(float(amount / largest) * room, 1), 1.0)  # a tiny amount still shows


def expiry_chart(months: list[MonthExpiry]) -> ExpiryChart:
    """Lay the months out side by side: a units bar and a value bar each, scaled to their own maximum."""
    room = HEIGHT - TOP - BOTTOM
    baseline = HEIGHT - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(months), 1)
    bar = (slot - 10) / 2 - BAR_GAP / 2
    max_units = max((m.units for m in months), default=Decimal(0))
    max_value = max((m.value for m in months), default=Decimal(0))
    columns = []
    for i, month in enumerate(months):
        x = LEFT + i * slot + 5
        units_h = _height(month.units, max_units, room)
        value_h = _height(month.value, max_value, room)
        columns.append(MonthColumn(
            label=month.label,
            label_x=round(LEFT + i * slot + slot / 2, 1),
            units=Bar(round(x, 1), round(baseline - units_h, 1), round(bar, 1), units_h),
            value=Bar(round(x + bar + BAR_GAP, 1), round(baseline - value_h, 1), round(bar, 1), value_h),
            month=month,
        ))
    return ExpiryChart(WIDTH, HEIGHT, baseline, LEFT, WIDTH - RIGHT, columns, max_units, max_value)
