"""Server-drawn bar charts: one series, one scale, labelled axes with round ticks; SVG coordinates computed here.

The template (templates/reports/_chart.html) only draws what this module placed: no script, no CDN,
nothing inline that the Content-Security-Policy would refuse.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 78, 16, 16, 64
MAX_X_LABELS = 10  # more categories than this: every n-th one is labelled (a label needs ~60 px)


@dataclass(frozen=True)
class ChartBar:
    """One bar: where it stands, and what it says on hover."""

    x: float
    y: float
    width: float
    height: float
    label: str
    tooltip: str


@dataclass(frozen=True)
class Tick:
    """A gridline of the value axis, or a category label of the other axis."""

    at: float
    text: str


@dataclass(frozen=True)
class BarChart:
    """A bar chart ready to draw: its frame, bars, axis ticks and axis titles."""

    title: str
    x_title: str
    y_title: str
    width: int
    height: int
    left: float
    right: float
    top: float
    baseline: float
    bars: list[ChartBar]
    y_ticks: list[Tick]
    x_labels: list[Tick]
    largest: Decimal

    @property
    def empty(self) -> bool:
        """No bar has a value: the page shows an empty state instead."""
        return self.largest <= 0

    @property
    def x_title_y(self) -> float:
        return self.height - 8

    @property
    def y_title_x(self) -> float:
        return 14

    @property
    def middle_y(self) -> float:
        return round((self.top + self.baseline) / 2, 1)

    @property
    def middle_x(self) -> float:
        return round((self.left + self.right) / 2, 1)


def nice_step(largest: float, ticks: int = 5) -> float:
    """A round step (1, 2, 2.5 or 5 × 10ⁿ) that divides 0…largest into about `ticks` intervals."""
    if largest <= 0:
        return 1.0
    raw = largest / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _tick_text(value: float, step: float) -> str:
    decimals = 0 if step >= 1 else max(0, -math.floor(math.log10(step)) + (1 if step * 10 % 1 else 0))
    return f"{value:,.{decimals}f}"


def bar_chart(title: str, labels: Sequence[str], values: Sequence[Decimal], *, x_title: str, y_title: str,
              describe: Callable[[str, Decimal], str]) -> BarChart:
    """Bars for labelled values on one scale from zero to a round top, with ticks on the value axis."""
    largest = max((Decimal(v) for v in values), default=Decimal(0))
    step = nice_step(float(largest))
    top_value = step * max(1, math.ceil(float(largest) / step)) if largest > 0 else step * 5
    room = HEIGHT - TOP - BOTTOM
    baseline = HEIGHT - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    width = max(slot * 0.7, 1.0)
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    bars, x_labels = [], []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = 0.0 if value <= 0 else max(round(float(value) / top_value * room, 1), 1.0)  # tiny still shows
        middle = LEFT + i * slot + slot / 2
        bars.append(ChartBar(round(middle - width / 2, 1), round(baseline - height, 1), round(width, 1), height,
                             label, describe(label, Decimal(value))))
        if i % every == 0:
            x_labels.append(Tick(round(middle, 1), label))
    count = round(top_value / step)
    y_ticks = [Tick(round(baseline - k * step / top_value * room, 1), _tick_text(k * step, step))
               for k in range(count + 1)]
    return BarChart(title, x_title, y_title, WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, TOP, baseline, bars, y_ticks,
                    x_labels, largest)
