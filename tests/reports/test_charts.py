"""Charts: one series on one scale from zero to a round top, ticks and axis titles; the dashboard's mended."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from formulary.dashboard.chart import expiry_chart
from formulary.extensions import db
from formulary.reports.charts import bar_chart, nice_step
from formulary.stock.dashboard import MonthExpiry


@pytest.mark.parametrize(("largest", "step"), [(0, 1), (7, 2), (10, 2), (48, 10), (130, 50), (120, 25), (0.34, 0.1),
                                                (9_999, 2_000)])
def test_ticks_are_round(largest, step):
    assert nice_step(largest) == pytest.approx(step)


def test_bars_share_one_scale_and_the_axis_reaches_above_the_largest():
    chart = bar_chart("t", ["a", "b", "c"], [Decimal(10), Decimal(40), Decimal(0)], x_title="X", y_title="Y",
                      describe=lambda label, value: f"{label} {value}")
    a, b, c = chart.bars
    assert b.height == pytest.approx(4 * a.height, rel=0.02) and c.height == 0
    assert [t.text for t in chart.y_ticks] == ["0", "10", "20", "30", "40"]
    assert chart.y_ticks[0].at == chart.baseline and b.y == pytest.approx(chart.y_ticks[-1].at)


def test_the_dashboards_expiry_chart_has_one_scale_and_axes():
    months = [MonthExpiry(date(2030, m, 1), Decimal(units), Decimal(value))
              for m, units, value in ((1, "100", "10.00"), (2, "1", "40.00"), (3, "0", "0"))]
    chart = expiry_chart(months)
    jan, feb, _ = chart.bars
    # 100 cheap units must not tower over 1 dear one: the bars are the value, on one scale
    assert feb.height == pytest.approx(4 * jan.height, rel=0.02)
    assert chart.y_title == "Value at unit cost (EUR)" and chart.x_title == "Month of expiry"
    assert jan.tooltip == "2030-01: €10.00, 100 units"


def test_the_dashboard_page_draws_the_axes(client, login_as, make_product, make_lot):
    product = make_product("HA")
    make_lot(product, quantity="6", expiry=date.today() + timedelta(days=40), unit_cost="2.5")
    db.session.commit()
    login_as("manager")
    html = client.get("/").get_data(as_text=True)
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert re.findall(r'class="axis-title">([^<]+)<', svg) == ["Month of expiry", "Value at unit cost (EUR)"]
    assert 'class="y-axis"' in svg and ">15<" in svg  # 15.00 EUR expiring: ticks up to a round 15 or more
