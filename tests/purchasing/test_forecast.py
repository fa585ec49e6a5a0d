"""The suggested order of one product, without a database: booked demand, forecast, expiry, packs, minimum order."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from formulary.purchasing.forecast import ProductFacts, RecentUse, Window, suggest_line, typical_shelf_life
from formulary.stock.fefo import LotStock

TODAY = date(2027, 1, 4)
WINDOW = Window(TODAY, lead_days=21, review_days=7)  # covers to 2027-02-01, arrives 2027-01-25
NO_USE = RecentUse(D(0), 0)


def product(**changes):
    facts = dict(product_id=1, name="Vitamin C 5 mL", unit="mL", single_use=False, unit_size=D("5"),
                 margin_days=0, pack_size=D("5"), minimum_packs=None, reorder_level=None)
    return ProductFacts(**{**facts, **changes})


def lot(lot_id, on_hand, expiry=date(2028, 1, 1), status="available"):
    return LotStock(lot_id, f"L{lot_id}", expiry, date(2026, 6, 1), D(on_hand), status)


def days(n):
    return TODAY + timedelta(days=n)


# (what it shows, product changes, lots, booked (day, amount), recent use, packs, quantity, words in the reason)
CASES = [
    ("stock covers the bookings", {}, [lot(1, "10")], [(days(3), D("2.5")), (days(9), D("2.5"))], NO_USE,
     0, "0", ["2 booked sessions need 5 mL by 2027-01-13", "10 mL usable now", "nothing to order"]),
    ("booked demand beyond stock, rounded up to packs", {}, [lot(1, "4")],
     [(days(2), D("2.5")), (days(5), D("2.5")), (days(12), D("2.5"))], NO_USE,
     1, "5", ["3 booked sessions need 7.5 mL by 2027-01-16", "4 mL usable now", "1 pack of 5 mL"]),
    ("a booking after the period does not count", {}, [], [(days(40), D("3"))], NO_USE,
     0, "0", ["no booked sessions until 2027-02-01", "nothing to order"]),
    ("forecast from recent use over lead + review", {}, [lot(1, "1")], [], RecentUse(D("16"), 8),
     2, "10", ["recent use 2 mL/week over the last 8 weeks: 8 mL over 21 days lead + 7 days review",
               "1 mL usable now", "2 packs of 5 mL"]),
    ("bookings already inside the forecast are not ordered twice", {}, [], [(days(3), D("6"))],
     RecentUse(D("16"), 8), 2, "10", ["1 booked session needs 6 mL", "8 mL over 21 days lead + 7 days review",
                                      "2 mL more than booked", "2 packs of 5 mL"]),
    ("stock that expires before the session is not counted", {}, [lot(1, "10", expiry=days(5))],
     [(days(10), D("3"))], NO_USE, 1, "5", ["10 mL usable now, 10 mL of it expires before it can be used",
                                             "1 pack of 5 mL"]),
    ("the expiry margin takes a lot out earlier", {"margin_days": 7}, [lot(1, "10", expiry=days(14))],
     [(days(10), D("3"))], NO_USE, 1, "5", ["expires before it can be used", "1 pack"]),
    ("quarantined stock is not usable", {}, [lot(1, "10", status="quarantined")], [(days(1), D("3"))], NO_USE,
     1, "5", ["0 mL usable now", "1 pack of 5 mL"]),
    ("single-use units are drawn whole", {"single_use": True, "unit_size": D("2"), "pack_size": D("10")}, [],
     [(days(1), D("1.5")), (days(2), D("1.5"))], NO_USE, 1, "10", ["need 3 mL", "1 pack of 10 mL"]),
    ("no pack size: one unit a pack", {"pack_size": None, "unit_size": D("2")}, [], [(days(1), D("3"))], NO_USE,
     2, "4", ["2 packs of 2 mL"]),
    ("raised to the minimum order", {"minimum_packs": 3}, [], [(days(1), D("1"))], NO_USE,
     3, "15", ["3 packs of 5 mL (the minimum order is 3)"]),
    ("the reorder level is kept at the end", {"reorder_level": D("4")}, [lot(1, "3")], [], NO_USE,
     1, "5", ["keeps the reorder level of 4 mL", "1 pack of 5 mL"]),
    ("a short session before the delivery can arrive is named", {}, [], [(days(2), D("1"))], NO_USE,
     1, "5", ["1 booked session before the delivery can arrive (2027-01-25) cannot be served from stock"]),
]


@pytest.mark.parametrize(("case", "changes", "lots", "booked", "use", "packs", "quantity", "words"), CASES,
                         ids=[case[0] for case in CASES])
def test_suggested_line(case, changes, lots, booked, use, packs, quantity, words):
    line = suggest_line(product(**changes), lots, booked, use, WINDOW)
    assert (line.suggested_packs, line.suggested_quantity) == (packs, D(quantity)), line.reason
    for phrase in words:
        assert phrase in line.reason


def test_needed_and_on_hand_usable():
    line = suggest_line(product(reorder_level=D("1")), [lot(1, "4"), lot(2, "3", expiry=days(-1))],
                        [(days(2), D("2.5"))], RecentUse(D("8"), 4), WINDOW)
    # booked 2.5 + forecast beyond it (2/week × 4 weeks = 8, so 5.5 more) + 1 kept
    assert line.needed == D("9")
    assert line.on_hand_usable == D("4")  # the lot that expired yesterday is not usable
    assert line.to_order == D("5")  # 8 used + 1 kept - 4 in stock
    assert line.suggested_packs == 1


def test_warns_when_the_order_would_likely_expire_before_use():
    # 1 mL a week of use, but the minimum order is 10 packs of 5 mL, and lots keep 60 days.
    line = suggest_line(product(minimum_packs=10), [], [], RecentUse(D("4"), 4), WINDOW, shelf_life_days=60)
    assert line.suggested_packs == 10
    assert line.warning is not None and "would likely expire before it is used" in line.warning
    assert "an estimate" in line.warning and "60 days" in line.warning
    # 1/7 mL a day for the 60 days the delivery keeps: about 8.6 mL used, the rest lost
    assert line.likely_to_expire == D("41.429")


def test_no_warning_when_the_order_is_used_in_time():
    line = suggest_line(product(), [], [], RecentUse(D("40"), 4), WINDOW, shelf_life_days=365)
    assert line.suggested_packs == 8 and line.warning is None


def test_no_shelf_life_is_said():
    line = suggest_line(product(), [], [(days(1), D("1"))], NO_USE, WINDOW)
    assert "no earlier lots to estimate how long a delivery keeps" in line.reason


def test_horizon_asked_replaces_lead_and_review():
    line = suggest_line(product(), [], [], RecentUse(D("14"), 2), Window(TODAY, 21, 7, horizon_days=14))
    assert "14 mL over the next 14 days" in line.reason and line.suggested_packs == 3


@pytest.mark.parametrize(("lots", "expected"), [
    ([], None),
    ([(date(2026, 1, 1), date(2026, 12, 27))], 360),
    # the median of the latest five: the oldest lot (kept 10 days) is not among them
    ([(date(2025, 1, d), date(2025, 1, d) + timedelta(days=k)) for d, k in
      [(1, 10), (2, 300), (3, 320), (4, 330), (5, 340), (6, 350)]], 330),
])
def test_typical_shelf_life(lots, expected):
    assert typical_shelf_life(lots) == expected


def test_window_refuses_a_negative_lead_time():
    with pytest.raises(ValueError, match="lead_days cannot be negative"):
        Window(TODAY, -1, 7)


def test_no_use_in_the_weeks_looked_at_is_said_plainly():
    line = suggest_line(product(), [], [(days(1), D("1"))], RecentUse(D(0), 8), WINDOW)
    assert "no use in the last 8 weeks" in line.reason and "/week" not in line.reason


amounts = st.decimals(min_value=D("0.1"), max_value=D("50"), places=1)


@given(
    pack=st.one_of(st.none(), amounts), minimum=st.one_of(st.none(), st.integers(1, 5)),
    single_use=st.booleans(), keep=st.one_of(st.none(), amounts),
    lots=st.lists(st.tuples(amounts, st.integers(-10, 90), st.sampled_from(["available", "quarantined"])),
                  max_size=4),
    booked=st.lists(st.tuples(st.integers(0, 40), amounts), max_size=6),
    used=st.decimals(min_value=D(0), max_value=D(100), places=1), weeks=st.integers(0, 8),
)
def test_the_order_always_covers_what_stock_cannot_in_whole_packs(pack, minimum, single_use, keep, lots, booked,
                                                                    used, weeks):
    facts = product(pack_size=pack, minimum_packs=minimum, single_use=single_use, unit_size=D("2"),
                    reorder_level=keep)
    stock = [lot(i, q, expiry=days(e), status=s) for i, (q, e, s) in enumerate(lots, start=1)]
    line = suggest_line(facts, stock, [(days(d), a) for d, a in booked], RecentUse(used, weeks), WINDOW)
    assert line.suggested_packs >= 0 and line.to_order >= 0 and line.expires_unused >= 0
    assert line.suggested_quantity == line.suggested_packs * facts.pack
    assert line.suggested_quantity >= line.to_order  # rounding only ever adds
    if line.suggested_packs:
        assert line.suggested_packs >= facts.least_packs
        assert (line.suggested_packs - 1) * facts.pack < line.to_order or line.suggested_packs == facts.least_packs
    else:
        assert line.to_order == 0 and "nothing to order" in line.reason
