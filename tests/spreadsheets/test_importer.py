"""Importing: deliveries and stocktakes checked whole, applied in one go, recorded, and never half-written."""

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from formulary.audit.models import AuditEvent
from formulary.catalogue.products import set_retired
from formulary.extensions import db
from formulary.spreadsheets.importer import (
    AlreadyImported,
    ImportConflict,
    apply_import,
    prepare_import,
)
from formulary.stock.models import Lot, StockImport, StockMovement
from tests.spreadsheets.workbooks import xlsx

TODAY = date(2026, 5, 4)
HEADER = ["Product", "GTIN", "Lot", "Expiry", "Qty", "Unit cost", "Supplier", "Received"]
GTIN = "09506000134352"


def prepare(data, mode="delivery", name="delivery.xlsx", **kwargs):
    options = {"today": TODAY, "date_order": "DMY", "max_rows": 100_000} | kwargs
    return prepare_import(data, name, mode, **options)


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def lot_of(product, number):
    return db.session.scalar(select(Lot).where(Lot.product_id == product.id, Lot.lot_number == number))


@pytest.fixture
def serum(make_product):
    return make_product("Hyaluronic serum 2 mL", gtin=GTIN)


@pytest.fixture
def vitamin(make_product):
    return make_product("Vitamin C 20% 5 mL", category="vitamin", composition=[("ascorbic acid", "active")])


def test_a_delivery_of_new_lots_and_more_of_an_existing_one(serum, vitamin, make_lot, make_user):
    make_lot(serum, quantity="4", lot_number="HA-1", expiry=date(2027, 6, 30))
    manager = make_user("manager")
    data = xlsx([
        HEADER,
        [None, GTIN, "HA-1", date(2027, 6, 30), 6, None, None, None],
        ["vitamin c 20 % 5 ml", None, "VC-9", "2027-03", 10, 2.5, "MesoSupply", date(2026, 5, 1)],
        ["Hyaluronic serum 2 mL", None, "HA-2", date(2028, 1, 31), "1,5", None, "+Meso@Supply", None],
    ])
    prepared = prepare(data)
    plan = prepared.plan
    assert plan.errors == []
    assert [(c.row, c.kind, c.lot, c.on_hand, c.quantity) for c in plan.changes] == [
        (2, "receive", "HA-1", D(4), D(6)),
        (3, "new-lot", "VC-9", D(0), D(10)),
        (4, "new-lot", "HA-2", D(0), D("1.5")),
    ]
    assert (plan.lots_created, plan.lots_changed, plan.quantity_in, plan.quantity_out) == (2, 1, D("17.5"), 0)
    assert count(Lot) == 1  # a preview writes nothing

    stock_import = apply_import(prepared, actor=manager)
    db.session.commit()
    assert lot_of(serum, "HA-1").on_hand == D(10)
    new = lot_of(vitamin, "VC-9")
    assert (new.expiry, new.received_on, new.on_hand, new.unit_cost, new.supplier) == (
        date(2027, 3, 31), date(2026, 5, 1), D(10), D("2.5"), "MesoSupply")
    ha2 = lot_of(serum, "HA-2")
    assert ha2.received_on == TODAY and ha2.supplier == "+Meso@Supply"  # text, exactly as typed
    movements = db.session.scalars(select(StockMovement).where(StockMovement.import_id == stock_import.id)).all()
    assert sorted((m.lot.lot_number, m.kind, m.quantity, m.on_hand_after) for m in movements) == [
        ("HA-1", "receive", D(6), D(10)), ("HA-2", "receive", D("1.5"), D("1.5")), ("VC-9", "receive", D(10), D(10)),
    ]
    assert all(m.user_id == manager.id for m in movements)
    assert (stock_import.rows, stock_import.lots_created, stock_import.lots_changed) == (3, 2, 1)
    assert (stock_import.quantity_in, stock_import.quantity_out, stock_import.forced) == (D("17.5"), 0, False)
    assert stock_import.file_name == "delivery.xlsx" and len(stock_import.sha256) == 64
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "stock.import"))
    assert event.record_id == stock_import.id and event.username == manager.username
    assert event.detail == "delivery: 3 rows, 2 lots created, 1 changed, +17.5 / -0"


def test_the_same_delivery_again_is_refused_unless_forced_even_resaved_or_reordered(serum, make_user):
    rows = [["Hyaluronic serum 2 mL", None, "HA-1", date(2027, 6, 30), 5, None, None, None],
            [None, GTIN, "HA-2", date(2027, 7, 31), 3, None, None, None]]
    first = prepare(xlsx([HEADER, *rows]))
    apply_import(first, actor=None)
    db.session.commit()

    # Re-saved with the rows the other way round and the product named differently: the same delivery.
    again = prepare(xlsx([HEADER, rows[1], [None, GTIN, *rows[0][2:]]]), name="copy.xlsx")
    assert again.plan.errors == [] and again.previous is not None
    assert again.plan.content_hash == first.plan.content_hash
    assert again.file_sha256 != first.file_sha256
    with pytest.raises(AlreadyImported, match="already imported on .* file delivery.xlsx"):
        apply_import(again, actor=None)
    db.session.rollback()
    assert lot_of(serum, "HA-1").on_hand == D(5)

    forced = apply_import(again, actor=None, force=True)
    db.session.commit()
    assert forced.forced and lot_of(serum, "HA-1").on_hand == D(10)
    assert count(StockImport) == 2


def test_a_stocktake_turns_differences_into_adjust_movements(serum, make_lot):
    a = make_lot(serum, quantity="10", lot_number="A", expiry=date(2027, 1, 31))
    b = make_lot(serum, quantity="5", lot_number="B", expiry=date(2027, 2, 28))
    c = make_lot(serum, quantity="2.5", lot_number="C", expiry=date(2027, 3, 31))
    header = ["Product", "Lot", "Expiry", "On hand"]
    prepared = prepare(xlsx([
        header,
        ["Hyaluronic serum 2 mL", "A", date(2027, 1, 31), 8],
        ["Hyaluronic serum 2 mL", "B", None, 5],
        ["Hyaluronic serum 2 mL", "C", "31/03/2027", 4],
    ]), mode="stocktake")
    plan = prepared.plan
    assert plan.errors == [] and plan.unchanged == 1
    assert [(c.lot, c.on_hand, c.after, c.quantity) for c in plan.changes] == [
        ("A", D(10), D(8), D(-2)), ("C", D("2.5"), D(4), D("1.5"))]
    assert (plan.quantity_in, plan.quantity_out) == (D("1.5"), D(2))
    apply_import(prepared, actor=None)
    db.session.commit()
    for lot in (a, b, c):
        db.session.refresh(lot)
    assert (a.on_hand, b.on_hand, c.on_hand) == (D(8), D(5), D(4))
    kinds = db.session.execute(select(StockMovement.kind, StockMovement.quantity)
                               .where(StockMovement.import_id.is_not(None))).all()
    assert sorted(kinds) == [("adjust", D(-2)), ("adjust", D("1.5"))]


def test_every_error_is_listed_and_nothing_is_written(serum, vitamin, make_lot, make_product):
    make_lot(serum, quantity="4", lot_number="HA-1", expiry=date(2027, 6, 30))
    make_lot(serum, quantity="4", lot_number="HA-R", expiry=date(2027, 6, 30), status="recalled")
    set_retired(make_product("Old serum"), True, actor=None)
    prepared = prepare(xlsx([
        HEADER,
        ["Hyaluronic serum 2 mL", None, "HA-1", date(2027, 7, 31), 1, None, None, None],  # 2: other expiry
        ["Hyaluronic serum 2 mL", None, "HA-R", date(2027, 6, 30), 1, None, None, None],  # 3: recalled
        ["Nothing like it", None, "X", date(2027, 6, 30), 1, None, None, None],  # 4: unknown product
        [None, "04006381333931", "X", date(2027, 6, 30), 1, None, None, None],  # 5: unknown GTIN
        ["Vitamin C 20% 5 mL", GTIN, "X", date(2027, 6, 30), 1, None, None, None],  # 6: GTIN of another
        ["Old serum", None, "X", date(2027, 6, 30), 1, None, None, None],  # 7: retired
        ["Vitamin C 20% 5 mL", None, "V1", date(2027, 6, 30), 1, None, None, None],  # 8: fine
        ["Vitamin C 20% 5 mL", None, "V1", date(2027, 6, 30), 2, None, None, None],  # 9: twice
        ["Vitamin C 20% 5 mL", None, "V2", "31/02/2027", 0, None, None, None],  # 10: two bad cells
        ["Vitamin C 20% 5 mL", None, "V3", date(2026, 1, 31), 1, None, None, date(2026, 2, 1)],  # 11
    ]))
    found = [(e.row, e.column, e.value, e.message) for e in prepared.plan.errors]
    assert found == [
        (2, "D (Expiry)", "2027-07-31",
         "Lot HA-1 of Hyaluronic serum 2 mL is already in stock with expiry 2027-06-30, not 2027-07-31."),
        (3, "C (Lot)", "HA-R", "Lot HA-R of Hyaluronic serum 2 mL is recalled; no stock can be added to it."),
        (4, "A (Product)", "Nothing like it", "No product in the catalogue has this name (nor a GTIN given)."),
        (5, "B (GTIN)", "04006381333931", "No product in the catalogue has GTIN 04006381333931."),
        (6, "A (Product)", "Vitamin C 20% 5 mL",
         f"GTIN {GTIN} is Hyaluronic serum 2 mL in the catalogue, not this product."),
        (7, "A (Product)", "Old serum", "Old serum is retired; stock cannot be received for it."),
        (9, "C (Lot)", "V1", "Lot V1 of Vitamin C 20% 5 mL is on rows 8 and 9; list it once."),
        (10, "D (Expiry)", "31/02/2027", "Not a real date: February has no day 31."),
        (10, "E (Qty)", "0", "Must be more than 0."),
        (11, "D (Expiry)", "2026-01-31", "Expires before it was received (2026-02-01)."),
    ]
    assert all(error.sheet == "Stock" for error in prepared.plan.errors)
    with pytest.raises(ValueError, match="errors"):
        apply_import(prepared, actor=None)
    assert count(Lot) == 2 and count(StockImport) == 0


def test_a_stocktake_refuses_unknown_lots_and_other_expiry_dates(serum, make_lot):
    make_lot(serum, quantity="4", lot_number="A", expiry=date(2027, 6, 30))
    prepared = prepare(xlsx([
        ["GTIN", "Lot", "Expiry", "Counted"],
        [GTIN, "A", date(2027, 5, 31), 3],
        [GTIN, "Z", None, 3],
        [GTIN, "A", None, -1],
    ]), mode="stocktake")
    assert [(e.row, e.column, e.message) for e in prepared.plan.errors] == [
        (2, "C (Expiry)", "Lot A of Hyaluronic serum 2 mL expires 2027-06-30, not 2027-05-31; "
                          "a stocktake does not change expiry dates."),
        (3, "B (Lot)", "Hyaluronic serum 2 mL has no lot Z; a stocktake counts lots already in stock "
                       "(import new lots as a delivery)."),
        (4, "D (Counted)", "Cannot be negative."),
    ]


def test_a_lot_changed_between_preview_and_apply_rolls_everything_back(serum, make_lot):
    lot = make_lot(serum, quantity="10", lot_number="A", expiry=date(2027, 6, 30))
    prepared = prepare(xlsx([
        ["GTIN", "Lot", "Expiry", "Qty"],
        [GTIN, "NEW", date(2027, 8, 31), 2],
        [GTIN, "A", date(2027, 6, 30), 7],
    ]))
    db.session.execute(Lot.__table__.update().where(Lot.__table__.c.id == lot.id).values(on_hand=D(9)))
    db.session.commit()  # another user, meanwhile
    with pytest.raises(ImportConflict, match=r"Lot A of Hyaluronic serum 2 mL changed .* held 10 mL, it now holds 9"):
        apply_import(prepared, actor=None)
    db.session.rollback()
    assert count(StockImport) == 0 and lot_of(serum, "NEW") is None


def test_one_bad_row_among_thousands_writes_nothing_and_is_named(serum):
    rows = [[None, GTIN, f"L{i:05d}", date(2027, 6, 30), 1, None, None, None] for i in range(3000)]
    rows[2345][4] = "lots"
    prepared = prepare(xlsx([HEADER, *rows]))
    assert [(e.row, e.column, e.value, e.message) for e in prepared.plan.errors] == [
        (2347, "E (Qty)", "lots", "Not a number.")]
    with pytest.raises(ValueError):
        apply_import(prepared, actor=None)
    assert count(Lot) == 0


def test_the_received_date_defaults_to_today_and_expiry_may_give_only_a_month(serum):
    prepared = prepare(xlsx([["GTIN", "Lot", "Expiry", "Qty"], [GTIN, "A", "Mar 2027", 1]]))
    change = prepared.plan.changes[0]
    assert (change.expiry, change.received) == (date(2027, 3, 31), TODAY)


def test_a_lot_created_meanwhile_rolls_the_whole_import_back(serum, make_lot):
    prepared = prepare(xlsx([["GTIN", "Lot", "Expiry", "Qty"], [GTIN, "A", date(2027, 6, 30), 1]]))
    make_lot(serum, quantity="1", lot_number="A", expiry=date(2027, 6, 30))  # someone else, meanwhile
    db.session.commit()
    with pytest.raises(ImportConflict, match="added by someone else"):
        apply_import(prepared, actor=None)
    db.session.rollback()
    assert count(StockImport) == 0
    assert lot_of(serum, "A").on_hand == D(1)


def test_stock_expiring_on_the_day_it_arrives_is_still_received(serum):
    prepared = prepare(xlsx([["GTIN", "Lot", "Expiry", "Qty"], [GTIN, "A", TODAY, 1]]))
    assert prepared.plan.errors == [] and prepared.plan.changes[0].expiry == TODAY
