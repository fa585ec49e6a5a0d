"""The dashboard's stock figures, as plain functions of a day, and the page that shows them."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event

from formulary.dashboard.chart import expiry_chart
from formulary.extensions import db
from formulary.stock import ledger
from formulary.stock.dashboard import (
    below_reorder,
    expired_lots,
    expiring_lots,
    expiry_by_month,
    held_lots,
    stock_dashboard,
    value_by_category,
)

T = date(2030, 6, 15)
D = timedelta


@pytest.fixture
def clinic(make_product, make_lot):
    """Lots at known dates around T, one for each panel, and a few that belong in none."""
    ha = make_product("HA 1% 2 mL", category="hyaluronic acid", unit_size="2", reorder_level="5")
    vit = make_product("Vitamin C 5 mL", category="vitamin", unit_size="5", reorder_level="20",
                       composition=[("ascorbic acid", "active")])
    amino = make_product("Amino blend", category="amino acid", unit_size="2",
                         composition=[("glycine", "active")])
    make_product("Zinc 2 mL", category="mineral", reorder_level="1", composition=[("zinc", "active")])
    retired = make_product("Old serum", reorder_level="10", composition=[("glycerol", "active")])
    retired.retired = True
    lots = {
        "EXPIRED": make_lot(ha, lot_number="EXPIRED", quantity="4", expiry=T - D(5), unit_cost="10"),
        "SOON10": make_lot(ha, lot_number="SOON10", quantity="6", expiry=T + D(10), unit_cost="10"),
        "LATER60": make_lot(ha, lot_number="LATER60", quantity="8", expiry=T + D(60), unit_cost="10"),
        "HELD": make_lot(vit, lot_number="HELD", quantity="10", expiry=T + D(100), unit_cost="2",
                         status="quarantined"),
        "BAD": make_lot(vit, lot_number="BAD", quantity="5", expiry=T + D(20), unit_cost="2", status="recalled"),
        "GONE": make_lot(amino, lot_number="GONE", quantity="2", expiry=T - D(1), unit_cost="7"),
        "NOCOST": make_lot(amino, lot_number="NOCOST", quantity="3", expiry=T + D(200)),
    }
    ledger.waste(lots["GONE"], "2", actor=None, reason="used up")  # expired, but empty: no alert
    db.session.flush()
    return lots


def numbers(panel):
    return [lot.lot_number for lot in panel.rows]


def test_each_panel_holds_its_lots(clinic):
    assert (expired_lots(T).count, numbers(expired_lots(T))) == (1, ["EXPIRED"])
    assert (expiring_lots(T, 30).count, numbers(expiring_lots(T, 30))) == (1, ["SOON10"])
    assert numbers(expiring_lots(T, 60)) == ["SOON10", "LATER60"]  # the window is a parameter
    assert numbers(expiring_lots(T, 9)) == []
    assert numbers(held_lots("quarantined")) == ["HELD"]
    assert numbers(held_lots("recalled")) == ["BAD"]
    # Two days on, the lot of 10 days is 8 days away; the expired one is still expired.
    assert numbers(expiring_lots(T + D(2), 30)) == ["SOON10"]
    # On its expiry day a lot is expiring, the day after it is expired.
    assert numbers(expiring_lots(T + D(10), 0)) == ["SOON10"]
    assert numbers(expired_lots(T + D(11))) == ["EXPIRED", "SOON10"]


def test_products_under_reorder_level_count_only_usable_stock(clinic):
    panel = below_reorder(T)
    rows = {row.product_name: (row.on_hand, row.reorder_level) for row in panel.rows}
    # Vitamin C: 15 mL on hand, but quarantined and recalled, so 0 usable; Zinc has no lot at all.
    assert rows == {"Vitamin C 5 mL": (Decimal(0), Decimal(20)), "Zinc 2 mL": (Decimal(0), Decimal(1))}
    assert panel.count == 2
    # HA holds 6 + 8 usable mL against a level of 5; once SOON10 and LATER60 have expired it is under.
    assert "HA 1% 2 mL" in [row.product_name for row in below_reorder(T + D(61)).rows]


def test_stock_value_by_category(clinic):
    values = {v.category: (v.value, v.lots, v.lots_without_cost) for v in value_by_category()}
    assert values == {
        "hyaluronic acid": (Decimal("180.00"), 3, 0),  # (4 + 6 + 8) × 10
        "vitamin": (Decimal("30.00"), 2, 0),  # (10 + 5) × 2, quarantined and recalled still on hand
        "amino acid": (Decimal("0.00"), 1, 1),  # NOCOST has no unit cost; GONE is empty
    }
    assert [v.category for v in value_by_category()][0] == "hyaluronic acid"  # largest first


def test_expiry_per_month_for_the_next_twelve_months(clinic):
    months = expiry_by_month(T)
    assert [m.label for m in months] == ["2030-06", "2030-07", "2030-08", "2030-09", "2030-10", "2030-11",
                                         "2030-12", "2031-01", "2031-02", "2031-03", "2031-04", "2031-05"]
    figures = {m.label: (m.units, m.value) for m in months if m.units or m.value}
    assert figures == {
        "2030-06": (Decimal("3.0"), Decimal("60.00")),  # SOON10: 6 mL in 2 mL units
        "2030-08": (Decimal("4.0"), Decimal("80.00")),  # LATER60
        "2030-09": (Decimal("2.0"), Decimal("20.00")),  # HELD: 10 mL in 5 mL units; BAD (recalled) left out
        "2031-01": (Decimal("1.5"), Decimal("0.00")),  # NOCOST, T + 200 days, no unit cost
    }


def test_month_buckets_add_up_the_days(make_product, make_lot):
    product = make_product("HA", unit_size="1")
    for day, quantity in ((1, "1"), (15, "2.5"), (30, "3")):
        make_lot(product, quantity=quantity, expiry=date(2030, 11, day), unit_cost="1.10")
    make_lot(product, quantity="9", expiry=date(2031, 6, 1))  # the 13th month: outside the chart
    months = {m.label: (m.units, m.value) for m in expiry_by_month(T)}
    assert months["2030-11"] == (Decimal("6.5"), Decimal("7.15"))
    assert "2031-06" not in months and sum(units for units, _ in months.values()) == Decimal("6.5")


def test_panels_show_the_first_few_and_count_them_all(make_product, make_lot):
    product = make_product("HA")
    for day in range(7, 0, -1):
        make_lot(product, lot_number=f"S{day}", expiry=T + D(day))
    panel = expiring_lots(T, 30)
    assert panel.count == 7
    assert numbers(panel) == ["S1", "S2", "S3", "S4", "S5"]


def test_the_lot_panels_share_one_query_and_keep_their_own_counts(make_product, make_lot):
    product = make_product("HA")
    for day in range(1, 8):
        make_lot(product, lot_number=f"E{day}", quantity=str(day), expiry=T - D(day))
    make_lot(product, lot_number="HELD", status="quarantined", expiry=T + D(90))
    board = stock_dashboard(T, 30)
    assert (board.expired.count, numbers(board.expired)) == (7, ["E7", "E6", "E5", "E4", "E3"])
    assert (board.quarantined.count, numbers(board.quarantined)) == (1, ["HELD"])
    assert (board.expiring.count, board.expiring.rows, board.recalled.count, board.recalled.rows) == (0, [], 0, [])
    first = board.expired.rows[0]
    assert (first.product_name, first.on_hand, first.unit, first.expiry) == ("HA", Decimal(7), "mL", T - D(7))


def test_an_empty_clinic_has_empty_panels():
    board = stock_dashboard(T, 30)
    assert [p.count for p in (board.expired, board.expiring, board.below_reorder, board.quarantined,
                              board.recalled)] == [0] * 5
    assert board.values == [] and board.total_value == 0
    assert len(board.months) == 12 and expiry_chart(board.months).empty


def count_statements(fn):
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return len([s for s in statements if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))])


def test_the_dashboard_costs_a_handful_of_queries_whatever_the_stock(clinic, make_product, make_lot):
    few = count_statements(lambda: stock_dashboard(T, 30))
    product = make_product("Many")
    for i in range(40):
        make_lot(product, expiry=T + D(i * 9), unit_cost="1")
    assert count_statements(lambda: stock_dashboard(T, 30)) == few <= 3


def test_the_page_shows_every_panel_with_links_to_its_lots(client, login_as, make_product, make_lot):
    today = date.today()
    ha = make_product("HA 1% 2 mL", reorder_level="50")
    make_lot(ha, lot_number="PAST", expiry=today - D(3), received_on=today - D(300), unit_cost="5")
    make_lot(ha, lot_number="SOON", expiry=today + D(10), received_on=today - D(10), unit_cost="5")
    make_lot(ha, lot_number="HELD", status="quarantined", expiry=today + D(90), received_on=today)
    make_lot(ha, lot_number="BAD", status="recalled", expiry=today + D(90), received_on=today)
    db.session.commit()
    login_as("practitioner")
    html = client.get("/").get_data(as_text=True)
    for link in ('href="/stock?status=expired"', 'href="/stock?status=expiring&amp;within=30"',
                 'href="/stock?status=quarantined"', 'href="/stock?status=recalled"',
                 f'href="/stock?product_id={ha.id}"', 'href="/stock?category=hyaluronic+acid"'):
        assert link in html, link
    for section, lot_number in (("expired", "PAST"), ("expiring", "SOON"), ("quarantined", "HELD"),
                                ("recalled", "BAD")):
        body = html[html.index(f'id="{section}"'):]
        assert lot_number in body[:body.index("</section>")], section
    assert "Under reorder level" in html and "HA 1% 2 mL" in html
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert '<title id="chart-title">Stock expiring per month' in svg and '<desc id="chart-desc">' in svg
    assert "style=" not in svg and "<rect" in svg
    assert f"{today:%Y-%m}" in svg
    assert not re.search(r"\sstyle=", html)  # the Content-Security-Policy forbids inline styles


def test_the_page_says_so_when_all_is_well(client, login_as):
    login_as("manager")
    html = client.get("/").get_data(as_text=True)
    assert "No expired stock." in html and "No lot is quarantined." in html
    assert "Every product is at or above its reorder level." in html
    assert "Nothing expires in the next 12 months" in html and "<svg" not in html
