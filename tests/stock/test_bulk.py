"""The ledger in bulk: new lots with a receive movement each, a lot number taken refused (both databases)."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from formulary.db import utcnow
from formulary.extensions import db
from formulary.stock import bulk, ledger
from formulary.stock.models import Lot, StockImport, StockMovement


def new_import(user) -> StockImport:
    stock_import = StockImport(at=utcnow(), user_id=user.id, mode="delivery", file_name="delivery.xlsx",
                               sha256="0" * 64, rows=3)
    db.session.add(stock_import)
    db.session.flush()
    return stock_import


def columns(product, numbers, *, quantity="2.5", unit_cost=None) -> dict[str, list]:
    count = len(numbers)
    return {"product_id": [product.id] * count, "lot_number": list(numbers),
            "expiry": [date(2031, 1, 31 - index) for index in range(count)],
            "on_hand": [Decimal(quantity)] * count, "received_on": [date(2026, 12, 1)] * count,
            "supplier": ["Meso\tSupply\\ \"A\"\n"] * count, "unit_cost": [unit_cost] * count}


def test_new_lots_hold_their_quantity_and_each_has_its_receive_movement(make_product, make_user):
    user, product = make_user("manager"), make_product("Hyaluronic serum 2 mL")
    stock_import = new_import(user)
    done = []
    bulk.receive_lots(columns(product, ["B-1", "B-2", "B-3"], unit_cost=Decimal("4.1250")), stock_import,
                      "delivery import", done.append)
    assert sum(done) == 3
    lots = db.session.scalars(select(Lot).where(Lot.product_id == product.id).order_by(Lot.lot_number)).all()
    assert [(lot.lot_number, lot.on_hand, lot.status, lot.unit_cost, lot.supplier) for lot in lots] == [
        (number, Decimal("2.5"), "available", Decimal("4.1250"), "Meso\tSupply\\ \"A\"\n")
        for number in ("B-1", "B-2", "B-3")]
    assert {lot.expiry for lot in lots} == {date(2031, 1, 31), date(2031, 1, 30), date(2031, 1, 29)}
    for lot in lots:
        [movement] = lot.movements
        assert (movement.kind, movement.quantity, movement.on_hand_after, movement.user_id, movement.import_id,
                movement.reason) == ("receive", Decimal("2.5"), Decimal("2.5"), user.id, stock_import.id,
                                     "delivery import")
        assert movement.at == lot.created_at == stock_import.at


def test_lots_received_afterwards_one_at_a_time_take_other_ids(make_product, make_user):
    user, product = make_user("manager"), make_product("Hyaluronic serum 2 mL")
    bulk.receive_lots(columns(product, ["C-1", "C-2"]), new_import(user), "delivery import")
    later = ledger.receive(product, lot_number="C-3", expiry=date(2031, 5, 31), quantity="1",
                           received_on=date(2026, 12, 2), actor=user)
    ids = db.session.scalars(select(Lot.id).where(Lot.product_id == product.id)).all()
    assert len(set(ids)) == 3 and later.id == max(ids)


def test_a_lot_number_taken_refuses_the_whole_import(make_product, make_user):
    user, product = make_user("manager"), make_product("Hyaluronic serum 2 mL")
    ledger.receive(product, lot_number="D-2", expiry=date(2031, 5, 31), quantity="1",
                   received_on=date(2026, 12, 2), actor=user)
    db.session.commit()
    before = (db.session.scalar(select(func.count()).select_from(Lot)),
              db.session.scalar(select(func.count()).select_from(StockMovement)))
    stock_import = new_import(user)
    with pytest.raises(bulk.LotTaken), db.session.begin_nested():
        bulk.receive_lots(columns(product, ["D-1", "D-2", "D-3"]), stock_import, "delivery import")
    after = (db.session.scalar(select(func.count()).select_from(Lot)),
             db.session.scalar(select(func.count()).select_from(StockMovement)))
    assert after == before
