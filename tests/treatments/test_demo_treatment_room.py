"""The demo's treatment room: opened vials in use, one lapsed waiting on the dashboard, preparations given and
wasted, all made by the domain functions so that the ledger adds up."""

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from formulary.demo import treatment_room
from formulary.extensions import db
from formulary.stock.models import Lot, StockMovement
from formulary.stock.opened_dashboard import opened_panels
from formulary.stock.opened_models import OpenedUnit
from formulary.treatments.preparation_models import Preparation

TODAY = date.today()


def test_nothing_to_build_on_is_said_and_skipped():
    assert treatment_room.load(TODAY) == [
        "Demo treatment room skipped: Hydra Pure HA 1.5% 1 mL, Vitamin Complex B 2 mL, Bacteriostatic Saline 0.9% "
        "30 mL, Lidocaine 1% with Epinephrine 20 mL not loaded."]


def test_the_demo_shows_opened_vials_a_lapsed_one_and_preparations(app, client, login_as):
    from formulary.catalogue.reference_sync import sync_reference_library
    from formulary.demo.clinic import load_demo

    sync_reference_library()
    lines = load_demo(TODAY)
    [line] = [line for line in lines if line.startswith("Demo treatment room")]
    assert "2 opened vials in use, 1 lapsed and waiting to be discarded" in line, lines
    db.session.commit()

    holding = db.session.scalars(select(OpenedUnit).where(OpenedUnit.content_left > 0)).all()
    in_use = [unit for unit in holding if unit.use_by >= TODAY]
    assert {unit.lot.product.name for unit in in_use} == {treatment_room.SALINE, treatment_room.LIDOCAINE_EPINEPHRINE}
    assert all(unit.opened_on < TODAY and unit.content_left < unit.lot.product.unit_size for unit in in_use)
    panels = opened_panels(TODAY)
    assert panels.to_discard_count == 1
    assert panels.to_discard[0].product_name == treatment_room.LIDOCAINE_EPINEPHRINE
    assert panels.waste.lapsed_quantity == Decimal(28)  # the saline vial discarded when it lapsed
    assert panels.waste.remainder_quantity > 0  # single-use rests and the wasted preparation

    statuses = dict(db.session.execute(select(Preparation.status, func.count()).group_by(Preparation.status)).all())
    assert statuses == {"administered": 1, "wasted": 1}

    # The ledger adds up: every lot's movements sum to its on hand, and its opened vials to its opened content.
    sums = dict(db.session.execute(select(StockMovement.lot_id, func.sum(StockMovement.quantity))
                                   .group_by(StockMovement.lot_id)).all())
    opened = dict(db.session.execute(select(OpenedUnit.lot_id, func.sum(OpenedUnit.content_left))
                                     .group_by(OpenedUnit.lot_id)).all())
    for lot in db.session.scalars(select(Lot)):
        assert Decimal(str(sums[lot.id])).quantize(Decimal("0.001")) == lot.on_hand, lot.lot_number
        assert Decimal(str(opened.get(lot.id, 0))).quantize(Decimal("0.001")) == lot.opened_content, lot.lot_number

    login_as("practitioner")
    dashboard = client.get("/").get_data(as_text=True)
    assert "Opened vials to discard" in dashboard and treatment_room.LIDOCAINE_EPINEPHRINE in dashboard
    assert treatment_room.load(TODAY) == ["Demo treatment room already there."]
