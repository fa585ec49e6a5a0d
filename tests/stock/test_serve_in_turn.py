"""Serving sessions in turn from a running stock: each drawn from what the earlier ones left."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D
from itertools import islice, repeat

from hypothesis import given
from hypothesis import strategies as st

from formulary.stock.fefo import Draw, DrawRule, LotStock, Need, SkippedLot, plan_draw, serve_in_turn

ON = date(2026, 6, 15)
HA, VIT = 1, 2


def lot(lot_id, expiry, on_hand="10", status="available"):
    return LotStock(lot_id, f"L{lot_id}", expiry, date(2026, 1, 1), D(on_hand), status)


def need(product_id, amount, on=ON, **rule):
    return Need(product_id, D(amount), DrawRule(on, **rule))


def test_each_session_draws_from_what_the_earlier_ones_left_in_fefo_order():
    lots = {HA: [lot(1, date(2027, 1, 1), "3"), lot(2, date(2026, 9, 1), "2")]}
    turns = list(serve_in_turn([[need(HA, "1.5")]] * 3, lots))
    assert [t.served for t in turns] == [True, True, True]
    assert [t.plans[0].draws for t in turns] == [
        (Draw(2, "L2", D("1.5"), D(0)),),
        (Draw(2, "L2", D("0.5"), D(0)), Draw(1, "L1", D("1"), D(0))),
        (Draw(1, "L1", D("1.5"), D(0)),),
    ]


def test_a_short_session_draws_nothing_so_later_ones_are_not_short_as_well():
    lots = {HA: [lot(1, date(2027, 1, 1), "2")], VIT: [lot(2, date(2027, 1, 1), "1")]}
    sessions = [[need(HA, "1"), need(VIT, "2")], [need(HA, "2"), need(VIT, "1")]]
    first, second = serve_in_turn(sessions, lots)
    assert not first.served and [p.covered for p in first.plans] == [True, False]
    assert first.plans[1].shortage == D("1")
    assert second.served  # the first session's HA plan was not drawn: 2 mL are still there


def test_every_session_follows_its_own_day():
    lots = {HA: [lot(1, ON + timedelta(days=10), "4"), lot(2, ON + timedelta(days=100), "1")]}
    sessions = [[need(HA, "1", ON)], [need(HA, "1", ON + timedelta(days=14))], [need(HA, "1", ON + timedelta(days=28))]]
    turns = list(serve_in_turn(sessions, lots))
    assert [t.served for t in turns] == [True, True, False]
    assert turns[1].plans[0].skipped == (SkippedLot(1, "L1", "expired"),)
    assert turns[1].plans[0].draws == (Draw(2, "L2", D("1"), D(0)),)


def test_the_waste_of_opened_single_use_units_leaves_the_stock_too():
    lots = {HA: [lot(1, date(2027, 1, 1), "4")]}
    turns = list(serve_in_turn(repeat([need(HA, "1.5", single_use=True, unit_size=D("2"))], 3), lots))
    assert [t.served for t in turns] == [True, True, False]  # each session opens a whole 2 mL unit
    assert turns[0].plans[0].draws == (Draw(1, "L1", D("1.5"), D("0.5")),)


def test_a_product_without_lots_is_a_full_shortage_and_no_need_is_always_served():
    (turn,) = serve_in_turn([[need(VIT, "1")]], {HA: [lot(1, date(2027, 1, 1))]})
    assert not turn.served and turn.plans[0].shortage == D("1")
    assert [t.served for t in serve_in_turn([[], []], {})] == [True, True]


def test_it_is_lazy_and_leaves_the_lots_given_unchanged():
    given_lots = (lot(1, date(2027, 1, 1), "5"),)
    endless = serve_in_turn(repeat([need(HA, "1")]), {HA: given_lots})
    assert [t.served for t in islice(endless, 7)] == [True] * 5 + [False] * 2
    assert given_lots == (lot(1, date(2027, 1, 1), "5"),)


# --- the same as drawing session after session by hand -----------------------------------

DAY = st.dates(min_value=date(2026, 6, 1), max_value=date(2026, 9, 30))
AMOUNT = st.integers(min_value=1, max_value=800).map(lambda n: D(n) / 100)


@st.composite
def lots_of_two_products(draw):
    rows = draw(st.lists(st.tuples(st.sampled_from([HA, VIT]), DAY, AMOUNT,
                                   st.sampled_from(["available"] * 4 + ["quarantined"])), max_size=6))
    return [(pid, LotStock(i, f"L{i}", expiry, date(2026, 1, 1), qty, status))
            for i, (pid, expiry, qty, status) in enumerate(rows)]


@given(
    lots=lots_of_two_products(),
    sessions=st.lists(st.tuples(DAY, AMOUNT, AMOUNT), max_size=8),
    unit_size=st.none() | st.sampled_from([D("0.5"), D("2")]),
    margin=st.integers(min_value=0, max_value=30),
)
def test_serving_in_turn_matches_replanning_each_session_on_what_is_left(lots, sessions, unit_size, margin):
    def rules(on):
        return (DrawRule(on, margin, unit_size is not None, unit_size), DrawRule(on, margin))

    by_product = {pid: [x for p, x in lots if p == pid] for pid in (HA, VIT)}
    needs = [[Need(HA, ha, rules(on)[0]), Need(VIT, vit, rules(on)[1])] for on, ha, vit in sessions]
    turns = list(serve_in_turn(needs, by_product))

    left = {x.lot_id: x.on_hand for _pid, x in lots}
    for (on, ha, vit), turn in zip(sessions, turns, strict=True):
        current = {pid: [replace(x, on_hand=left[x.lot_id]) for x in by_product[pid]] for pid in (HA, VIT)}
        plans = (plan_draw(current[HA], ha, rules(on)[0]), plan_draw(current[VIT], vit, rules(on)[1]))
        assert turn.plans == plans
        assert turn.served == all(plan.covered for plan in plans)
        if turn.served:
            for plan in plans:
                for d in plan.draws:
                    left[d.lot_id] -= d.taken
