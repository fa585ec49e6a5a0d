"""The FEFO rule: order, margins, unusable lots, shortages and single-use waste."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from formulary.stock.fefo import (
    Draw,
    DrawRule,
    LotStock,
    SkippedLot,
    last_day_of_use,
    lot_unusable_reason,
    plan_draw,
    usable_lots,
)

ON = date(2026, 6, 15)
RULE = DrawRule(ON)  # a multi-dose product with no margin


def lot(lot_id, expiry, on_hand="10", *, received_on=date(2026, 1, 1), status="available"):
    return LotStock(lot_id, f"L{lot_id}", expiry, received_on, D(on_hand), status)


def test_takes_earliest_expiry_first():
    lots = [
        lot(1, date(2027, 5, 1), received_on=date(2026, 1, 1)),
        lot(2, date(2026, 9, 1), received_on=date(2026, 5, 1)),  # received last, expires first
        lot(3, date(2026, 12, 1), received_on=date(2026, 3, 1)),
    ]
    plan = plan_draw(lots, D("15"), RULE)
    assert plan.draws == (Draw(2, "L2", D("10"), D(0)), Draw(3, "L3", D("5"), D(0)))
    assert plan.covered and plan.shortage == 0 and plan.skipped == ()


def test_same_expiry_takes_earliest_receipt_then_lowest_id():
    expiry = date(2026, 9, 1)
    lots = [
        lot(5, expiry, "1", received_on=date(2026, 3, 1)),
        lot(4, expiry, "1", received_on=date(2026, 2, 1)),
        lot(3, expiry, "1", received_on=date(2026, 3, 1)),
    ]
    assert [d.lot_id for d in plan_draw(lots, D("3"), RULE).draws] == [4, 3, 5]
    assert [x.lot_id for x in usable_lots(lots, RULE)] == [4, 3, 5]


def test_multi_dose_takes_exactly_what_is_needed():
    plan = plan_draw([lot(1, date(2027, 1, 1), "5")], D("0.75"), RULE)
    assert plan.draws == (Draw(1, "L1", D("0.75"), D(0)),)
    assert plan.administered == D("0.75") and plan.wasted == 0


@pytest.mark.parametrize(
    ("expiry", "margin", "on", "expired"),
    [
        (date(2026, 6, 15), 0, date(2026, 6, 15), False),  # usable on the expiry date itself
        (date(2026, 6, 15), 0, date(2026, 6, 16), True),
        (date(2026, 6, 30), 15, date(2026, 6, 15), False),  # last day of use
        (date(2026, 6, 30), 15, date(2026, 6, 16), True),  # the day after
        (date(2026, 3, 31), 30, date(2026, 3, 1), False),
        (date(2026, 3, 31), 30, date(2026, 3, 2), True),
    ],
)
def test_margin_is_honoured(expiry, margin, on, expired):
    assert (on > last_day_of_use(expiry, margin)) is expired
    assert lot_unusable_reason(lot(1, expiry), DrawRule(on, margin)) == ("expired" if expired else None)


@pytest.mark.parametrize(
    ("status", "expiry", "reason"),
    [
        ("available", date(2026, 7, 1), None),
        ("available", date(2026, 6, 14), "expired"),
        ("quarantined", date(2026, 7, 1), "quarantined"),
        ("quarantined", date(2026, 6, 14), "quarantined"),
        ("recalled", date(2026, 7, 1), "recalled"),
        ("recalled", date(2026, 6, 14), "recalled"),  # recalled wins over everything
    ],
)
def test_unusable_reason(status, expiry, reason):
    assert lot_unusable_reason(lot(1, expiry, status=status), RULE) == reason


def test_unknown_status_is_refused():
    with pytest.raises(ValueError, match="unknown status"):
        lot_unusable_reason(lot(1, date(2027, 1, 1), status="expired"), RULE)


def test_unusable_lots_are_skipped_and_reported_empty_ones_ignored():
    lots = [
        lot(1, date(2026, 6, 1)),  # expired
        lot(2, date(2026, 7, 1), status="quarantined"),
        lot(3, date(2026, 8, 1), status="recalled"),
        lot(4, date(2026, 6, 20), "0"),  # empty: neither drawn nor reported
        lot(5, date(2026, 6, 10), "0", status="recalled"),  # empty too
        lot(6, date(2026, 12, 1)),
    ]
    plan = plan_draw(lots, D("2"), RULE)
    assert plan.draws == (Draw(6, "L6", D("2"), D(0)),)
    assert plan.skipped == (
        SkippedLot(1, "L1", "expired"),
        SkippedLot(2, "L2", "quarantined"),
        SkippedLot(3, "L3", "recalled"),
    )
    assert [x.lot_id for x in usable_lots(lots, RULE)] == [6]


def test_shortage_is_reported_with_partial_draws():
    lots = [
        lot(1, date(2026, 8, 1), "1.5"),
        lot(2, date(2026, 9, 1), "0.5"),
        lot(3, ON, "9", status="recalled"),
    ]
    plan = plan_draw(lots, D("3"), RULE)
    assert [d.taken for d in plan.draws] == [D("1.5"), D("0.5")]
    assert plan.administered == D("2") and plan.shortage == D("1") and not plan.covered
    assert plan.skipped == (SkippedLot(3, "L3", "recalled"),)


def test_nothing_usable_is_a_full_shortage():
    plan = plan_draw([lot(1, date(2026, 1, 1))], D("2"), RULE)
    assert plan.draws == () and plan.shortage == D("2")
    assert plan.skipped == (SkippedLot(1, "L1", "expired"),)


@pytest.mark.parametrize(
    ("needed", "lots", "expected"),
    [
        # 1.5 mL from 2 mL vials: the opened vial's rest is waste.
        ("1.5", [("4",)], [("1.5", "0.5")]),
        # 3 mL from a lot of one 2 mL vial and another lot: two vials opened.
        ("3", [("2",), ("10",)], [("2", "0"), ("1", "1")]),
        # 3 mL from one lot: two whole vials leave it.
        ("3", [("10",)], [("3", "1")]),
        # exact multiple: no waste.
        ("4", [("10",)], [("4", "0")]),
        # a lot holding a partial unit gives what it has.
        ("1.5", [("0.5",), ("4",)], [("0.5", "0"), ("1", "1")]),
        # not enough: every usable unit is taken and administered.
        ("7", [("2",), ("2",)], [("2", "0"), ("2", "0")]),
    ],
)
def test_single_use_takes_whole_units(needed, lots, expected):
    stock = [
        lot(i, date(2026, 7, 1) + timedelta(days=i), on_hand) for i, (on_hand,) in enumerate(lots)
    ]
    plan = plan_draw(stock, D(needed), DrawRule(ON, single_use=True, unit_size=D("2")))
    assert [(d.administered, d.wasted) for d in plan.draws] == [(D(a), D(w)) for a, w in expected]


@pytest.mark.parametrize(
    ("needed", "kwargs"),
    [
        (D(0), {}),
        (D("-1"), {}),
        (D(1), {"single_use": True}),
        (D(1), {"single_use": True, "unit_size": D(0)}),
        (D(1), {"single_use": True, "unit_size": D("-2")}),
    ],
)
def test_bad_requests_raise(needed, kwargs):
    with pytest.raises(ValueError):
        plan_draw([lot(1, date(2027, 1, 1))], needed, DrawRule(ON, **kwargs))


def test_negative_margin_raises():
    with pytest.raises(ValueError, match="margin"):
        last_day_of_use(date(2027, 1, 1), -1)
    with pytest.raises(ValueError, match="margin"):
        DrawRule(ON, margin_days=-1)


def test_unknown_usable_status_is_refused():
    with pytest.raises(ValueError, match="Unknown lot status"):
        DrawRule(ON, statuses=frozenset({"available", "expired"}))


def test_a_multi_dose_rule_keeps_the_unit_content_for_opening_units_not_for_waste():
    multi = DrawRule.for_product(ON, margin_days=5, single_use=False, unit_size=D("10"), opened_shelf_life_days=28)
    assert multi == DrawRule(ON, 5, unit_content=D("10"), opened_shelf_life_days=28)
    assert multi.unit_size is None and multi.opens_units
    single = DrawRule.for_product(ON, margin_days=0, single_use=True, unit_size=D("2"))
    assert single == DrawRule(ON, 0, True, D("2"))
    assert single.on_day(date(2026, 7, 1)) == DrawRule(date(2026, 7, 1), 0, True, D("2"))


# --- invariants over random stock ------------------------------------------------------

DAY = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31))
AMOUNT = st.integers(min_value=0, max_value=2000).map(lambda n: D(n) / 100)


@st.composite
def stock(draw):
    rows = draw(
        st.lists(
            st.tuples(
                DAY, DAY, AMOUNT, st.sampled_from(["available"] * 3 + ["quarantined", "recalled"])
            ),
            max_size=8,
        )
    )
    return [
        LotStock(i, f"L{i}", exp, rec, qty, status)
        for i, (exp, rec, qty, status) in enumerate(rows)
    ]


@given(
    lots=stock(),
    needed=st.integers(min_value=1, max_value=5000).map(lambda n: D(n) / 100),
    on=DAY,
    margin=st.integers(min_value=0, max_value=60),
    unit_size=st.none() | st.sampled_from([D("0.5"), D("1"), D("2"), D("2.5"), D("5")]),
)
def test_fefo_invariants(lots, needed, on, margin, unit_size):
    single_use = unit_size is not None
    rule = DrawRule(on, margin, single_use, unit_size)
    plan = plan_draw(lots, needed, rule)
    by_id = {x.lot_id: x for x in lots}
    usable = usable_lots(lots, rule)

    # Never a draw from an expired, quarantined, recalled or empty lot; never more than on hand.
    for d in plan.draws:
        assert lot_unusable_reason(by_id[d.lot_id], rule) is None
        assert D(0) < d.administered and D(0) <= d.wasted
        assert d.taken <= by_id[d.lot_id].on_hand
        assert d.wasted < unit_size if single_use else d.wasted == 0

    # FEFO order, checked against the rule itself: no lot drawn while a usable lot that
    # expires earlier (or the same day, received earlier) still has stock left.
    left = {x.lot_id: x.on_hand for x in usable}
    for d in plan.draws:
        left[d.lot_id] -= d.taken
    for d in plan.draws:
        drawn_lot = by_id[d.lot_id]
        for x in usable:
            if left[x.lot_id] > 0 and x.lot_id != d.lot_id:
                assert (x.expiry, x.received_on) >= (drawn_lot.expiry, drawn_lot.received_on)

    # The drawn lots are a prefix of the usable lots, each but the last emptied.
    drawn = [d.lot_id for d in plan.draws]
    assert drawn == [x.lot_id for x in usable[: len(drawn)]]
    assert all(d.taken == by_id[d.lot_id].on_hand for d in plan.draws[:-1])

    total = sum((x.on_hand for x in usable), D(0))
    if plan.covered:
        assert plan.administered == needed and plan.shortage == 0
    else:
        assert plan.administered == total and plan.shortage == needed - total > 0
        assert len(drawn) == len(usable)

    # Every unusable lot with stock is reported, with its reason.
    assert {(s.lot_id, s.reason) for s in plan.skipped} == {
        (x.lot_id, lot_unusable_reason(x, rule))
        for x in lots
        if x.on_hand > 0 and lot_unusable_reason(x, rule) is not None
    }
