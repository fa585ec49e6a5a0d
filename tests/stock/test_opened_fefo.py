"""FEFO with opened units: opened first, then sealed by expiry; a lapsed unit is never drawn. No fixtures."""

from datetime import date, timedelta
from decimal import Decimal as D

from formulary.stock.fefo import (
    LAPSED,
    DrawRule,
    LotStock,
    Need,
    OpenedStock,
    in_use_expiry,
    lot_unusable_reason,
    plan_draw,
    serve_in_turn,
)

ON = date(2026, 12, 6)
VIAL = D("5")


def rule(on=ON, days=28):
    return DrawRule.for_product(on, margin_days=0, single_use=False, unit_size=VIAL, opened_shelf_life_days=days)


def lot(lot_id, expiry, on_hand, opened=(), status="available"):
    return LotStock(lot_id, f"L{lot_id}", expiry, date(2026, 1, 1), D(on_hand), status, tuple(opened))


def test_in_use_expiry_is_the_earlier_of_the_lot_expiry_and_opened_plus_shelf_life():
    assert in_use_expiry(date(2027, 6, 1), ON, 28) == ON + timedelta(days=28)
    assert in_use_expiry(date(2026, 12, 20), ON, 28) == date(2026, 12, 20)  # never later than the lot
    assert in_use_expiry(date(2027, 6, 1), ON, None) == date(2027, 6, 1)


def test_the_first_draw_from_a_sealed_vial_opens_it_and_says_what_is_left():
    plan = plan_draw([lot(1, date(2027, 6, 1), "15")], D("2"), rule())
    (draw,) = plan.draws
    assert (draw.administered, draw.unit_id, draw.opened_left) == (D("2"), None, D("3"))


def test_opened_units_come_first_even_from_a_later_expiring_lot():
    early_sealed = lot(1, date(2027, 1, 1), "10")
    late_opened = lot(2, date(2027, 9, 1), "8", [OpenedStock(7, D("3"), ON + timedelta(days=10))])
    plan = plan_draw([early_sealed, late_opened], D("4"), rule())
    assert [(d.lot_id, d.unit_id, d.administered) for d in plan.draws] == [(2, 7, D("3")), (1, None, D("1"))]
    assert plan.draws[1].opened_left == D("4")


def test_a_lapsed_unit_is_never_drawn_and_sealed_stock_serves_instead():
    stock = lot(1, date(2027, 6, 1), "13", [OpenedStock(7, D("3"), ON - timedelta(days=1))])
    plan = plan_draw([stock], D("2"), rule())
    assert [(d.unit_id, d.administered) for d in plan.draws] == [(None, D("2"))]
    assert plan.covered and plan.lapsed == D("3")


def test_only_a_lapsed_unit_left_is_short_for_the_lapse():
    stock = lot(1, date(2027, 6, 1), "3", [OpenedStock(7, D("3"), ON - timedelta(days=1))])
    assert lot_unusable_reason(stock, rule()) == LAPSED
    plan = plan_draw([stock], D("2"), rule())
    assert not plan.covered and plan.short_for_lapse and plan.draws == ()
    assert [s.reason for s in plan.skipped] == [LAPSED]


def test_a_unit_is_usable_on_its_use_by_day_and_lapsed_the_day_after():
    unit = OpenedStock(7, D("3"), ON)
    stock = lot(1, date(2027, 6, 1), "3", [unit])
    assert plan_draw([stock], D("1"), rule(ON)).covered
    assert not plan_draw([stock], D("1"), rule(ON + timedelta(days=1))).covered


def test_a_quarantined_lot_keeps_its_opened_unit_out_of_use():
    stock = lot(1, date(2027, 6, 1), "3", [OpenedStock(7, D("3"), ON + timedelta(days=5))], status="quarantined")
    assert not plan_draw([stock], D("1"), rule()).covered


def test_sessions_in_turn_share_the_vial_the_first_opened_and_a_later_one_sees_it_lapse():
    stock = {1: (lot(1, date(2027, 6, 1), "10"),)}
    same_day = [Need(1, D("1"), rule(ON)), ]
    later = [Need(1, D("1"), rule(ON + timedelta(days=35)))]
    turns = list(serve_in_turn([same_day, same_day, later], stock))
    assert turns[0].plans[0].draws[0].opened_left == D("4")
    assert turns[1].plans[0].draws[0].unit_id is not None  # the vial the first session opened
    late = turns[2].plans[0]
    assert late.covered and late.draws[0].unit_id is None and late.lapsed == D("3")  # a new vial


def test_single_use_units_keep_todays_rule_the_rest_is_waste():
    single = DrawRule.for_product(ON, margin_days=0, single_use=True, unit_size=D("2"))
    plan = plan_draw([lot(1, date(2027, 6, 1), "10")], D("1.5"), single)
    (draw,) = plan.draws
    assert (draw.administered, draw.wasted, draw.opened_left) == (D("1.5"), D("0.5"), D("0"))


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from formulary.stock.fefo import unsure_products  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(
    lots=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 30), st.booleans()), min_size=0, max_size=5),
    sessions=st.lists(st.tuples(st.integers(0, 20), st.sampled_from(["0.5", "1", "1.5", "2", "4.5"])),
                      min_size=1, max_size=12),
    single_use=st.booleans(),
)
def test_the_bound_never_says_served_when_the_replay_finds_a_short_session(lots, sessions, single_use):
    size = D("2")
    stock = tuple(
        LotStock(i, f"L{i}", ON + timedelta(days=expiry), date(2026, 1, 1), D(units) * size, "available",
                 (OpenedStock(100 + i, D("1"), ON + timedelta(days=expiry // 3)),) if opened and units else ())
        for i, (expiry, units, opened) in enumerate(lots)
    )
    def make_rule(day):
        return DrawRule.for_product(ON + timedelta(days=day), margin_days=0, single_use=single_use, unit_size=size,
                                    opened_shelf_life_days=7)

    needs = [[Need(1, D(amount), make_rule(day))] for day, amount in sorted(sessions)]
    last = max(day for day, _ in sessions)
    sealed = {1: sum((lot.sealed for lot in stock if lot.expiry >= ON + timedelta(days=last)), D(0))}
    if not unsure_products(needs, sealed):
        assert all(turn.served for turn in serve_in_turn(needs, {1: stock}))
