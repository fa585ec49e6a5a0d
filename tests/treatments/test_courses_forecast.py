"""The course's stock forecast, pure: bookings served in turn by FEFO, only the watched ones reported."""

from datetime import date, timedelta
from decimal import Decimal

from formulary.cocktails.availability import Booking, forecast_bookings, plan_series
from formulary.cocktails.lines import RecipeLine, RecipeStock
from formulary.stock.fefo import LotStock

DAY = date(2027, 1, 4)
SERUM = RecipeLine(1, "Serum 2 mL", "mL", Decimal(2), False, Decimal(2), 0)
CREAM = RecipeLine(2, "Cream", "g", Decimal(1), False, Decimal(1), 0)


def lot(lot_id: int, on_hand: str, expires_in: int) -> LotStock:
    return LotStock(lot_id, f"L{lot_id}", DAY + timedelta(days=expires_in), DAY - timedelta(days=30),
                    Decimal(on_hand), "available")


def test_other_bookings_before_a_course_session_take_their_share_first():
    lots = {1: (lot(1, "6", 100),), 2: (lot(2, "10", 100),)}
    bookings = [Booking(DAY, (SERUM,), watched=False), Booking(DAY, (SERUM,), watched=False),
                Booking(DAY + timedelta(days=7), (SERUM, CREAM)), Booking(DAY + timedelta(days=14), (SERUM, CREAM))]
    seen = forecast_bookings(bookings, lots)
    assert [(s.number, s.covered, s.short_product_ids) for s in seen] == [(1, True, ()), (2, False, (1,))]
    assert seen[1].problem == f"not enough Serum 2 mL in date on {DAY + timedelta(days=14):%Y-%m-%d}"


def test_a_short_booking_draws_nothing_so_later_ones_are_not_made_short_by_it():
    lots = {1: (lot(1, "2", 100),), 2: ()}  # the cream is out: the other booking cannot be served
    bookings = [Booking(DAY, (SERUM, CREAM), watched=False), Booking(DAY + timedelta(days=1), (SERUM,))]
    assert [s.covered for s in forecast_bookings(bookings, lots)] == [True]


def test_a_lot_expiring_before_a_late_session_does_not_serve_it():
    lots = {1: (lot(1, "10", 10),)}
    seen = forecast_bookings([Booking(DAY, (SERUM,)), Booking(DAY + timedelta(days=20), (SERUM,))], lots)
    assert [s.covered for s in seen] == [True, False] and "expired" in (seen[1].problem or "")


def test_the_cocktails_series_setting_is_the_same_forecast():
    stock = RecipeStock((SERUM,), {1: (lot(1, "5", 100),)})
    assert [s.covered for s in plan_series(stock, DAY, 3, 14)] == [True, True, False]
