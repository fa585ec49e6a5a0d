"""The ledger service: every change a movement, never below zero, errors that name the value."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from formulary.extensions import db
from formulary.stock import ledger
from formulary.stock.errors import DuplicateLot, InsufficientStock, InvalidStockInput
from formulary.stock.models import Lot, StockMovement


def ledger_sum(lot):
    return db.session.scalar(select(func.sum(StockMovement.quantity)).where(StockMovement.lot_id == lot.id))


def counts():
    return (db.session.scalar(select(func.count()).select_from(Lot)),
            db.session.scalar(select(func.count()).select_from(StockMovement)))


def test_receive_creates_the_lot_and_its_first_movement(make_product, make_user):
    user = make_user("manager")
    product = make_product("Hyaluronic Acid 1% 2 mL")
    lot = ledger.receive(product, lot_number=" 24A117 ", expiry=date(2027, 3, 31), quantity="10",
                         received_on=date(2026, 11, 1), actor=user, supplier="MesoSupply", unit_cost="4.5")
    assert (lot.lot_number, lot.on_hand, lot.status) == ("24A117", Decimal("10"), "available")
    [movement] = lot.movements
    assert (movement.kind, movement.quantity, movement.on_hand_after, movement.user_id) == (
        "receive", Decimal("10"), Decimal("10"), user.id)
    assert lot.value == Decimal("45.00")


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"quantity": "0"}, InvalidStockInput, r"more than zero \(got 0\)"),
        ({"quantity": "-2"}, InvalidStockInput, r"more than zero \(got -2\)"),
        ({"expiry": date(2026, 10, 1)}, InvalidStockInput, "Expiry 2026-10-01 is before the receipt date 2026-11-01"),
        ({"lot_number": "  "}, InvalidStockInput, "A lot number is required"),
        ({"unit_cost": "-1"}, InvalidStockInput, "unit cost cannot be negative"),
    ],
)
def test_bad_receipts_are_refused_naming_the_value_and_change_nothing(make_product, fields, error, message):
    product = make_product()
    before = counts()
    values = {"lot_number": "A1", "expiry": date(2027, 1, 31), "quantity": "5",
              "received_on": date(2026, 11, 1), "actor": None, **fields}
    with pytest.raises(error, match=message):
        ledger.receive(product, **values)
    assert counts() == before


def test_duplicate_lot_number_for_the_product_is_refused(make_product, make_lot):
    product = make_product("Vitamin C 20% 5 mL")
    make_lot(product, lot_number="VC-1", expiry=date(2027, 5, 31))
    before = counts()
    with pytest.raises(DuplicateLot, match="Vitamin C 20% 5 mL already has a lot VC-1 \\(expires 2027-05-31\\)"):
        ledger.receive(product, lot_number="VC-1", expiry=date(2027, 6, 30), quantity="1",
                       received_on=date(2026, 11, 1), actor=None)
    assert counts() == before
    # The same lot number under another product is a different lot.
    other = make_product("Glutathione 600 mg")
    assert ledger.receive(other, lot_number="VC-1", expiry=date(2027, 6, 30), quantity="1",
                          received_on=date(2026, 11, 1), actor=None).id


def test_waste_more_than_on_hand_is_refused_and_nothing_moves(make_product, make_lot):
    lot = make_lot(make_product("Lidocaine 2% 2 mL", unit_size="2"), quantity="3")
    with pytest.raises(InsufficientStock, match="4 mL needed from lot .* only 3 mL available"):
        ledger.waste(lot, "4", actor=None, reason="dropped")
    db.session.expire_all()
    assert db.session.get(Lot, lot.id).on_hand == Decimal("3")
    assert ledger_sum(lot) == Decimal("3")


def test_waste_return_adjust_keep_the_ledger_equal_to_on_hand(make_product, make_lot):
    lot = make_lot(make_product(), quantity="10")
    ledger.waste(lot, "1.5", actor=None, reason="vial cracked")
    ledger.return_to_supplier(lot, "2", actor=None, reason="wrong strength delivered")
    movement = ledger.adjust(lot, "6", actor=None, reason="stocktake")
    assert movement.quantity == Decimal("-0.5")
    assert ledger.adjust(lot, "6", actor=None, reason="stocktake again") is None
    ledger.receive_more(lot, "4", actor=None)
    assert lot.on_hand == ledger_sum(lot) == Decimal("10")
    assert [m.kind for m in lot.movements] == ["receive", "waste", "return", "adjust", "receive"]


def test_waste_needs_a_reason(make_product, make_lot):
    lot = make_lot(make_product())
    with pytest.raises(InvalidStockInput, match="Give a reason"):
        ledger.waste(lot, "1", actor=None, reason=" ")


def test_status_changes_are_in_the_history_and_a_recall_is_final(make_product, make_lot):
    lot = make_lot(make_product())
    ledger.set_status(lot, "quarantined", actor=None, reason="cloudy solution")
    ledger.set_status(lot, "available", actor=None, reason="supplier confirmed fine")
    ledger.set_status(lot, "recalled", actor=None, reason="manufacturer recall notice")
    assert [m.kind for m in lot.movements] == ["receive", "quarantine", "release", "recall"]
    with pytest.raises(InvalidStockInput, match="cannot be undone"):
        ledger.set_status(lot, "available", actor=None, reason="oops")
    assert lot.status == "recalled"


def test_the_database_itself_refuses_negative_stock(make_product, make_lot):
    lot = make_lot(make_product(), quantity="1")
    nested = db.session.begin_nested()
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE lot SET on_hand = -1 WHERE id = :id"), {"id": lot.id})
    nested.rollback()
