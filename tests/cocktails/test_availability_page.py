"""The availability on the cocktail page (and the API) agrees with drawing FEFO session after session."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from formulary.extensions import db
from formulary.stock.fefo import DrawRule, LotStock, plan_draw
from formulary.stock.models import Lot
from tests.cocktails.helpers import text

DAY = date.today() + timedelta(days=5)


def fefo_sessions(components, days: list[date]) -> list[bool]:
    """Draw one session per day with plan_draw, each from what the earlier ones left: covered or not."""
    remaining = {}
    for product, _amount in components:
        for lot in db.session.scalars(select(Lot).where(Lot.product_id == product.id)):
            remaining[lot.id] = (lot, lot.on_hand)
    served = []
    for day in days:
        plans = []
        for product, amount in components:
            lots = [LotStock(lot.id, lot.lot_number, lot.expiry, lot.received_on, left, lot.status)
                    for lot, left in remaining.values() if lot.product_id == product.id]
            rule = DrawRule.for_product(day, margin_days=product.expiry_margin_days, single_use=product.single_use,
                                        unit_size=product.unit_size)
            plans.append(plan_draw(lots, Decimal(amount), rule))
        if not all(plan.covered for plan in plans):
            served.append(False)
            continue
        for plan in plans:
            for draw in plan.draws:
                lot, left = remaining[draw.lot_id]
                remaining[draw.lot_id] = (lot, left - draw.taken)
        served.append(True)
    return served


@pytest.fixture
def stocked(make_product, make_lot, make_cocktail):
    """HA in 2 mL single-use vials and a 10 mL multi-dose vitamin with a 30-day margin, lots of every kind."""
    ha = make_product("HA 1% 2 mL", unit_size="2", single_use=True)
    vit = make_product("Vitamin C 10 mL", unit_size="10", single_use=False, opened_shelf_life_days=28,
                       expiry_margin_days=30, category="vitamin", composition=[("ascorbic acid", "active")])
    make_lot(ha, lot_number="HA-SOON", quantity="4", expiry=DAY + timedelta(days=10))
    make_lot(ha, lot_number="HA-LATE", quantity="4", expiry=DAY + timedelta(days=200))
    make_lot(ha, lot_number="HA-Q", quantity="10", status="quarantined")
    make_lot(ha, lot_number="HA-OLD", quantity="6", expiry=DAY - timedelta(days=1))
    make_lot(vit, lot_number="C-MARGIN", quantity="5", expiry=DAY + timedelta(days=20))  # inside the margin
    make_lot(vit, lot_number="C-GOOD", quantity="2.5", expiry=DAY + timedelta(days=300))
    make_lot(vit, lot_number="C-RECALL", quantity="9", status="recalled")
    components = [(ha, "1.5"), (vit, "0.5")]
    cocktail = make_cocktail("Glow", components, series_sessions=4, series_interval_days=7)
    db.session.commit()
    return cocktail, components


def shown(page_html: str) -> str:
    return re.search(r'id="sessions-possible">([^<]+)<', page_html).group(1)


def test_sessions_possible_on_the_page_match_repeated_fefo_draws(client, login_as, stocked):
    cocktail, components = stocked
    login_as("practitioner")
    response = client.get(f"/cocktails/{cocktail.id}?on={DAY.isoformat()}")
    expected = fefo_sessions(components, [DAY] * 50).index(False)
    assert expected == 4  # 8 usable mL of HA, one 2 mL vial a session; the vitamin would last 5
    assert shown(response.get_data(as_text=True)) == str(expected)
    page = text(response)
    assert f"sessions possible on {DAY:%Y-%m-%d}" in page
    assert "Runs out first: HA 1% 2 mL" in page


def test_the_series_on_the_page_matches_fefo_on_each_sessions_day(client, login_as, stocked):
    cocktail, components = stocked
    login_as("manager")
    response = client.get(f"/cocktails/{cocktail.id}?on={DAY.isoformat()}&sessions=6&every=7")
    rows = re.findall(r"<td>(\d+)</td><td class=\"text-nowrap\">([\d-]+)</td>\s*<td>(.*?)</td>",
                      response.get_data(as_text=True), re.S)
    days = [DAY + timedelta(days=7 * n) for n in range(6)]
    assert [date.fromisoformat(day) for _n, day, _cell in rows] == days
    covered = fefo_sessions(components, days)
    assert [">in date<" in cell for _n, _day, cell in rows] == covered
    # HA-SOON serves sessions 1 and 2 and then expires; HA-LATE serves 3 and 4, and then nothing is left.
    assert covered == [True, True, True, True, False, False]
    assert "not enough HA 1% 2 mL in date on" in text(response)


def test_the_series_defaults_to_the_suggested_one(client, login_as, stocked):
    cocktail, _components = stocked
    login_as("manager")
    page = text(client.get(f"/cocktails/{cocktail.id}"))
    assert f"Series of 4 from {date.today():%Y-%m-%d}, every 7 days" in page


def test_the_api_gives_the_same_count(client, api_token, stocked):
    cocktail, components = stocked
    _user, token = api_token("practitioner")
    body = client.get(f"/api/v1/cocktails/{cocktail.id}/availability?date={DAY.isoformat()}",
                      headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["sessions_possible"] == fefo_sessions(components, [DAY] * 50).index(False)
    assert body["limiting_product_id"] == components[0][0].id


def test_plenty_of_stock_reads_200_or_more(client, login_as, make_product, make_lot, make_cocktail):
    ha = make_product("HA bulk 10 mL", unit_size="10", single_use=False)
    make_lot(ha, quantity="5000")
    cocktail = make_cocktail("Plenty", [(ha, "1")])
    db.session.commit()
    login_as("manager")
    response = client.get(f"/cocktails/{cocktail.id}")
    assert shown(response.get_data(as_text=True)) == "200 or more"
    assert "Runs out first" not in text(response)


def test_a_bad_date_or_series_is_named_and_today_is_used(client, login_as, stocked):
    cocktail, _components = stocked
    login_as("manager")
    page = text(client.get(f"/cocktails/{cocktail.id}?on=2027-02-30&sessions=0&every=x"))
    assert "'2027-02-30' is not a date: write it YYYY-MM-DD." in page
    assert "Sessions must be a whole number from 1 to 52 (got '0')." in page
    assert "Days between sessions must be a whole number from 1 to 365 (got 'x')." in page
    assert f"sessions possible on {date.today():%Y-%m-%d}" in page
