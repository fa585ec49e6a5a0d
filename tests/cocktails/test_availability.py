"""Availability agrees with FEFO: sessions possible, the limiting product, and a series in date."""

from datetime import date, timedelta
from decimal import Decimal

from formulary.cocktails.availability import plan_series, sessions_possible
from formulary.cocktails.lines import RecipeLine, RecipeStock
from formulary.cocktails.queries import recipe_lines
from formulary.cocktails.stock import component_stocks, session_cost
from formulary.stock.fefo import DrawRule, LotStock, plan_draw

DAY = date(2026, 12, 1)


def lot(lot_id, on_hand, expiry=date(2027, 6, 30), status="available", received=date(2026, 1, 1)):
    return LotStock(lot_id, f"L{lot_id}", expiry, received, Decimal(on_hand), status)


def component(pid, amount, lots, single_use=False, unit_size="1", margin=0):
    line = RecipeLine(pid, f"Product {pid}", "mL", Decimal(amount), single_use, Decimal(unit_size), margin)
    return line, tuple(lots)


def recipe(*components):
    """The recipe's lines with their products' lots, as component_stocks loads them."""
    return RecipeStock(tuple(line for line, _lots in components), {line.product_id: lots for line, lots in components})


def test_sessions_possible_and_which_product_runs_out_first():
    ha = component(1, "2", [lot(1, "10"), lot(2, "4")])            # 14 mL → 7 sessions
    vit = component(2, "0.5", [lot(3, "2"), lot(4, "1", expiry=DAY - timedelta(days=1))])  # 2 usable → 4
    result = sessions_possible(recipe(ha, vit), DAY)
    assert (result.sessions_possible, result.limiting_product_id, result.capped) == (4, 2, False)


def test_single_use_vials_count_whole_units_per_session():
    # 1.5 mL from 2 mL single-use vials: each session opens one vial, wasting 0.5 mL.
    ha = component(1, "1.5", [lot(1, "10")], single_use=True, unit_size="2")
    assert sessions_possible(recipe(ha), DAY).sessions_possible == 5


def test_quarantined_recalled_and_margin_lots_are_not_counted():
    lots = [lot(1, "4", status="quarantined"), lot(2, "4", status="recalled"), lot(3, "4", expiry=DAY + timedelta(days=10))]
    assert sessions_possible(recipe(component(1, "1", lots, margin=30)), DAY).sessions_possible == 0
    assert sessions_possible(recipe(component(1, "1", lots, margin=0)), DAY).sessions_possible == 4


def test_count_matches_repeated_fefo_draws_on_the_same_stock():
    lots = [lot(1, "3"), lot(2, "2.5", expiry=date(2027, 1, 31)), lot(3, "5", expiry=date(2028, 1, 31))]
    counted = sessions_possible(recipe(component(1, "1.2", lots)), DAY).sessions_possible
    remaining, served = {lt.lot_id: lt.on_hand for lt in lots}, 0
    while True:
        current = [LotStock(lt.lot_id, lt.lot_number, lt.expiry, lt.received_on, remaining[lt.lot_id], lt.status) for lt in lots]
        plan = plan_draw(current, Decimal("1.2"), DrawRule(DAY))
        if not plan.covered:
            break
        for draw in plan.draws:
            remaining[draw.lot_id] -= draw.taken
        served += 1
    assert counted == served == 8


def test_a_series_flags_the_session_whose_stock_will_have_expired():
    ha = component(1, "2", [lot(1, "4", expiry=DAY + timedelta(days=20)), lot(2, "2", expiry=DAY + timedelta(days=200))])
    series = plan_series(recipe(ha), DAY, sessions=4, interval_days=14)
    assert [(s.number, s.covered) for s in series] == [(1, True), (2, True), (3, True), (4, False)]
    assert series[2].on == DAY + timedelta(days=28)
    assert "not enough Product 1 in date on" in series[3].problem


def test_availability_from_the_database_matches_the_lots(make_product, make_lot, make_cocktail):
    ha = make_product("HA 1% 2 mL", unit_size="2", single_use=True)
    make_lot(ha, quantity="6", unit_cost="10", expiry=date.today() + timedelta(days=100))
    make_lot(ha, quantity="4", unit_cost="12", expiry=date.today() + timedelta(days=200), status="recalled")
    cocktail = make_cocktail("HA only", [(ha, "1.5")])
    stocks = component_stocks(cocktail.current)
    assert sessions_possible(stocks, date.today()).sessions_possible == 3
    total, _parts = session_cost(stocks, date.today())
    assert total == Decimal("20.00")  # one 2 mL vial opened per session at 10 per mL


def test_the_recipe_line_loader_agrees_with_a_loaded_version(make_product, make_cocktail):
    ha = make_product("HA 1% 2 mL", unit_size="2", single_use=True)
    vit = make_product("Vitamin C 10 mL", unit_size="10", single_use=False, expiry_margin_days=30)
    version = make_cocktail("Glow", [(vit, "0.5"), (ha, "1.5")]).current
    lines = recipe_lines([version.id])[version.id]
    assert lines == component_stocks(version).lines
    assert [(line.product_name, line.amount, line.margin_days) for line in lines] == [
        ("Vitamin C 10 mL", Decimal("0.5"), 30), ("HA 1% 2 mL", Decimal("1.5"), 0)]
    assert recipe_lines([]) == {}
