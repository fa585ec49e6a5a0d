"""The last of a lot can always be taken, to exactly zero, whatever the database does with decimals."""

from datetime import date
from decimal import Decimal

from formulary.extensions import db
from formulary.spreadsheets.importer import apply_import, prepare_import
from formulary.stock import ledger
from formulary.treatments.sessions import administer, plan_session


def test_the_last_of_a_lot_can_always_be_taken(make_product, make_lot, make_cocktail, make_patient,
                                                make_user):
    """5.1 mL received, 2 + 2 wasted: the 1.1 mL left can be wasted, drawn or counted away, to exactly zero.

    SQLite keeps NUMERIC as binary floating point: 5.1 - 2 - 2 is 1.0999999999999996 there, and an
    unrounded `on_hand + delta >= 0` refused the last 1.1 mL as "only 1.1 mL available".
    """
    actor = make_user("manager")
    product = make_product(single_use=False, unit_size="5")
    lots = [make_lot(product, quantity="5.1", lot_number=f"LAST-{n}") for n in (1, 2, 3)]
    for lot in lots:
        ledger.waste(lot, Decimal(2), actor=actor, reason="broken vial")
        ledger.waste(lot, Decimal(2), actor=actor, reason="broken vial")
    ledger.waste(lots[0], Decimal("1.1"), actor=actor, reason="the rest")
    stocktake = prepare_import(f"Product,Lot,Qty\n{product.name},LAST-3,0\n".encode(), "count.csv",
                               "stocktake", today=date.today(), date_order="DMY", max_rows=10)
    apply_import(stocktake, actor=actor)
    session = plan_session(make_patient(), make_cocktail("Last drop", [(product, "1.1")]), date.today(),
                           practitioner=actor, actor=actor)
    administer(session, actor=actor, today=date.today())
    for lot in lots:
        db.session.refresh(lot)
        assert lot.on_hand == 0
    assert [(d.lot_id, d.administered) for d in session.draws] == [(lots[1].id, Decimal("1.1"))]
