"""The sums per product the dashboard shares: lots overdue for a count by storage place, with their oldest
count or receipt."""

from datetime import UTC, date, datetime, timedelta

from formulary.stock.counting import mark_counted
from formulary.stock.ledger import waste
from formulary.stock.product_sums import product_sums

NOW = datetime.now(UTC)
TODAY = NOW.date()


def days_ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def test_counts_overdue_by_place_with_the_oldest_count_or_receipt(make_product, make_lot):
    fridge = make_product("Serum", storage="Fridge")
    cupboard = make_product("Ampoules", storage="Cupboard")
    shelf = make_product("Vials", storage="Shelf")
    counted_long_ago = make_lot(fridge, lot_number="A", received_on=days_ago(400))
    counted_lately = make_lot(fridge, lot_number="B", received_on=days_ago(400))
    make_lot(cupboard, lot_number="C1", received_on=days_ago(400))  # never counted
    make_lot(cupboard, lot_number="C2", received_on=days_ago(380))  # never counted
    make_lot(cupboard, lot_number="NEW", received_on=days_ago(10))  # seen when it came in: not overdue
    shelf_counted = make_lot(shelf, lot_number="F", received_on=days_ago(500))
    make_lot(shelf, lot_number="G", received_on=days_ago(300))  # never counted
    waste(make_lot(shelf, lot_number="GONE", quantity="1", received_on=days_ago(900)), "1", actor=None,
          reason="used up")  # no stock left: not to count
    mark_counted([counted_long_ago.id], NOW - timedelta(days=200), None)
    mark_counted([counted_lately.id, shelf_counted.id], NOW - timedelta(days=10), None)
    overdue = product_sums(TODAY, 90, now=NOW).overdue
    assert (overdue.days, overdue.lots, overdue.never) == (90, 4, 3)
    assert [(place.storage, place.lots, place.oldest) for place in overdue.places] == [
        ("Cupboard", 2, days_ago(400)),  # never counted: the receipt is when a lot was last seen
        ("Fridge", 1, (NOW - timedelta(days=200)).date()),  # A's count; B was counted lately
        ("Shelf", 1, days_ago(300)),  # G's receipt: F, counted lately, is not overdue
    ]
