"""The dashboard's expiry chart: the value expiring each month on one scale, with titled axes and round ticks.

It used to draw units and value side by side, each scaled to its own largest month with no axis, so
bars of different heights could mean the same amount. Now one series (value at unit cost, in the
clinic's currency) is drawn on one labelled scale; the units stay in each bar's tooltip and the table.
"""

from __future__ import annotations

from decimal import Decimal

from formulary.quantity import fmt_quantity
from formulary.reports.charts import BarChart, bar_chart
from formulary.reports.money import currency, format_money
from formulary.stock.expiry_months import MonthExpiry


def expiry_chart(months: list[MonthExpiry]) -> BarChart:
    """The value of the stock expiring in each month, bars on one scale starting at zero."""
    units = {month.label: month.units for month in months}

    def describe(label: str, value: Decimal) -> str:
        return f"{label}: {format_money(value)}, {fmt_quantity(units[label])} units"

    chart = bar_chart("Stock expiring per month", [m.label for m in months], [m.value for m in months],
                      x_title="Month of expiry", y_title=f"Value at unit cost ({currency()})", describe=describe)
    if chart.empty and any(m.units for m in months):
        # Stock expires but none of it has a unit cost: say so by units rather than show nothing.
        chart = bar_chart("Stock expiring per month", [m.label for m in months], [m.units for m in months],
                          x_title="Month of expiry", y_title="Units (vials, ampoules, syringes)",
                          describe=lambda label, value: f"{label}: {fmt_quantity(value)} units")
    return chart
