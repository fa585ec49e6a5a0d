"""A wasted preparation is waste, not an administration: in the ledger, the reports and the waste figures."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from formulary.extensions import db
from formulary.reports import builders
from formulary.reports.periods import parse_range
from formulary.stock.models import Lot, StockMovement
from formulary.stock.opened_dashboard import waste_cost
from formulary.stock.opened_models import OpenedUnit
from formulary.treatments.consent import record_consent
from formulary.treatments.drawing import SessionError
from formulary.treatments.preparations import prepare, waste_preparation
from formulary.treatments.sessions import plan_session
from formulary.vocabulary import ConsentMethod
from tests.treatments.conftest import TODAY


@pytest.fixture
def room(clinic, make_product, make_lot, make_cocktail, make_patient, make_user):
    """A multi-dose 10 mL lidocaine vial (with a cost) in the clinic's cocktail; one consented session today."""
    lido = make_product("Lidocaine 2% 10 mL multi-dose", unit_size="10", single_use=False,
                        opened_shelf_life_days=28, category="anaesthetic",
                        composition=[("lidocaine hydrochloride", "active")])
    lido_lot = make_lot(lido, lot_number="LI-1", quantity="20", expiry=TODAY + timedelta(days=200), unit_cost="0.5")
    cocktail = make_cocktail("Glow with lidocaine", [(clinic["ha"], "1.5"), (lido, "0.5")])
    user = make_user("practitioner")
    session = plan_session(make_patient("Ana Silva"), cocktail, TODAY, practitioner=user, actor=user)
    record_consent(session, ConsentMethod.PAPER, actor=user)
    db.session.commit()
    return {**clinic, "lido": lido, "lido_lot": lido_lot, "user": user, "session": session}


def prepared(room):
    preparation = prepare(room["session"], actor=room["user"], today=TODAY, use_by_minutes=60)
    db.session.commit()
    return preparation


def movements(lot) -> list[tuple[str, Decimal, Decimal, str]]:
    return [(m.kind, m.quantity, m.on_hand_after, m.reason) for m in db.session.scalars(
        select(StockMovement).where(StockMovement.lot_id == lot.id).order_by(StockMovement.id))]


def test_wasting_appends_a_reversal_and_a_waste_for_each_draw_and_on_hand_stays(room):
    preparation = prepared(room)
    unit = db.session.scalar(select(OpenedUnit).where(OpenedUnit.lot_id == room["lido_lot"].id))
    assert unit.content_left == Decimal("9.5")
    before = movements(room["lido_lot"])
    waste_preparation(preparation, actor=room["user"], reason="patient fainted, rescheduled")
    db.session.commit()
    after = movements(room["lido_lot"])
    assert after[:len(before)] == before  # history is never rewritten
    note = f"PREP-{preparation.id} wasted: patient fainted, rescheduled"
    assert after[len(before):] == [
        ("administer", Decimal("0.5"), Decimal(20), f"{note} (not administered: reverses the draw)"),
        ("waste", Decimal("-0.5"), Decimal("19.5"), note),
    ]
    assert db.session.get(Lot, room["lido_lot"].id).on_hand == Decimal("19.5")
    # The syringe is gone: the opened vial does not get its 0.5 mL back.
    db.session.refresh(unit)
    assert unit.content_left == Decimal("9.5") and db.session.get(Lot, room["lido_lot"].id).opened_content == Decimal(
        "9.5")
    # HA: 1.5 mL into the syringe, and the rest of the opened single-use vial was already waste at preparation.
    ha = [(kind, quantity) for kind, quantity, _after, _reason in movements(room["early"])][1:]
    assert ha == [("administer", Decimal("-1.5")), ("waste", Decimal("-0.5")),
                  ("administer", Decimal("1.5")), ("waste", Decimal("-1.5"))]
    assert all(m.session_id == room["session"].id for m in db.session.scalars(
        select(StockMovement).where(StockMovement.reason.like(f"PREP-{preparation.id} wasted%"))))


def test_a_preparation_is_wasted_once_only(room):
    preparation = prepared(room)
    waste_preparation(preparation, actor=room["user"], reason="dropped")
    count = len(movements(room["lido_lot"]))
    with pytest.raises(SessionError, match="is wasted: it cannot be wasted"):
        waste_preparation(preparation, actor=room["user"], reason="dropped again")
    assert len(movements(room["lido_lot"])) == count


def test_consumption_and_waste_reports_count_a_wasted_preparation_as_waste(room):
    preparation = prepared(room)
    rng = parse_range(TODAY, TODAY, "month", TODAY)
    given = {i["product"]: (i["administered"], i["wasted"]) for i in builders.consumption_items(rng)}
    assert given["Lidocaine 2% 10 mL multi-dose"] == (Decimal("0.5"), 0)
    waste_preparation(preparation, actor=room["user"], reason="past its use-by")
    db.session.commit()
    items = {i["product"]: i for i in builders.consumption_items(rng)}
    lido, ha = items["Lidocaine 2% 10 mL multi-dose"], items["HA 1% 2 mL"]
    assert (lido["administered"], lido["wasted"]) == (0, Decimal("0.5"))
    assert lido["value"] == Decimal("0.25")  # 0.5 mL × 0.50 a mL, as waste
    assert (ha["administered"], ha["wasted"]) == (0, Decimal(2))  # 1.5 in the syringe + the vial's 0.5 rest
    by_reason = {r["reason"]: r for r in builders.waste(rng).tables[0].rows}
    assert by_reason["prepared and not given"]["movements"] == 2
    assert by_reason["opened and not used in a session"]["movements"] == 1  # the HA vial's rest, as before


def test_the_dashboards_and_product_pages_waste_figures_see_it(room, client, login_as):
    preparation = prepared(room)
    assert waste_cost(TODAY, product_id=room["lido"].id).remainder_quantity == 0
    waste_preparation(preparation, actor=room["user"], reason="dropped on the floor")
    db.session.commit()
    cost = waste_cost(TODAY, product_id=room["lido"].id)
    assert (cost.remainder_quantity, cost.remainder_value) == (Decimal("0.5"), Decimal("0.25"))
    assert waste_cost(TODAY).remainder_quantity == Decimal("2.5")  # HA 2 mL (no cost) and the lidocaine
    login_as("manager")
    page = client.get(f"/catalogue/products/{room['lido'].id}").get_data(as_text=True)
    assert "single-use remainders and wasted preparations €0.25" in page
    dashboard = client.get("/").get_data(as_text=True)
    assert "Single-use remainders, wasted preparations" in dashboard


def test_the_lot_page_shows_the_reversal_and_the_waste_naming_the_preparation(room, client, login_as):
    preparation = prepared(room)
    waste_preparation(preparation, actor=room["user"], reason="dropped on the floor")
    db.session.commit()
    login_as("manager")
    page = client.get(f"/stock/lots/{room['lido_lot'].id}").get_data(as_text=True)
    assert f"PREP-{preparation.id} wasted: dropped on the floor" in page


def test_wasting_through_the_api_moves_the_figures_too(room, client, api_token):
    preparation = prepared(room)
    _user, token = api_token("practitioner")
    answer = client.post(f"/api/v1/preparations/{preparation.id}/waste", json={"reason": "contaminated"},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.json
    since = datetime.now(UTC) - timedelta(minutes=5)
    kinds = [m.kind for m in db.session.scalars(select(StockMovement).where(
        StockMovement.at >= since, StockMovement.reason.like(f"PREP-{preparation.id} wasted%")))]
    assert sorted(kinds) == ["administer", "administer", "waste", "waste"]
