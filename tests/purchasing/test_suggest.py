"""The suggested order read from the database: bookings, recent use, lots and the supplier's lead time."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

from formulary.extensions import db
from formulary.purchasing.suggest import suggested_order
from formulary.stock.ledger import move
from formulary.vocabulary import MovementKind

TODAY = date.today()


def test_booked_sessions_of_the_supplier_products_are_ordered(make_supplier, make_product, make_lot,
                                                              make_cocktail, book):
    supplier = make_supplier(lead_time_days=14)
    other = make_supplier()
    vial = make_product("Vitamin C 5 mL", single_use=False, unit_size="5", supplier_id=supplier.id, pack_size="5")
    make_product("Other supplier's", supplier_id=other.id)
    make_lot(vial, quantity="4", received_on=TODAY - timedelta(days=300), expiry=TODAY + timedelta(days=60))
    cocktail = make_cocktail("Glow", [(vial, "2.5")])
    for days in (2, 5, 12):
        book(cocktail, TODAY + timedelta(days=days))
    book(cocktail, TODAY + timedelta(days=60))  # after lead + review: not counted

    [line] = suggested_order(TODAY, supplier_id=supplier.id)
    assert line.product_id == vial.id
    assert (line.booked_sessions, line.booked_need, line.on_hand_usable) == (3, D("7.5"), D("4"))
    assert (line.suggested_packs, line.suggested_quantity) == (1, D("5"))
    assert f"3 booked sessions need 7.5 mL by {TODAY + timedelta(days=12):%Y-%m-%d}" in line.reason
    # the lot kept 360 days from receipt to expiry: the delivery's shelf life is estimated from it
    assert line.shelf_life_days == 360


def test_recent_session_use_is_forecast_and_other_waste_is_not(make_supplier, make_product, make_lot):
    supplier = make_supplier(lead_time_days=21)
    vial = make_product("HA 2 mL", supplier_id=supplier.id, pack_size="10",
                        single_use=False, unit_size="2")
    lot = make_lot(vial, quantity="100", received_on=TODAY - timedelta(days=200), expiry=TODAY + timedelta(days=5))
    for weeks_ago in range(1, 5):
        movement = move(lot, MovementKind.ADMINISTER, D("-4"), actor=None)
        movement.at = datetime.now(UTC) - timedelta(weeks=weeks_ago)
    move(lot, MovementKind.WASTE, D("-50"), actor=None, reason="broken")  # not demand
    db.session.flush()

    [line] = suggested_order(TODAY, supplier_id=supplier.id, history_weeks=8)
    # 16 mL over 8 weeks: 2 mL/week, 8 mL over 21 + 7 days; the lot expires in 5 days
    assert "recent use 2 mL/week over the last 8 weeks: 8 mL over 21 days lead + 7 days review" in line.reason
    assert line.suggested_packs == 1
    assert "expires before it can be used" in line.reason


def test_no_products_no_lines(make_supplier):
    assert suggested_order(TODAY, supplier_id=make_supplier().id) == []
