"""A lot's page: facts, FEFO hint, its whole history, and the actions that go through the ledger."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from formulary.extensions import db
from formulary.stock.models import Lot, StockMovement
from tests.conftest import csrf_token, post_form

TODAY = date.today()


def counts():
    return (db.session.scalar(select(func.count()).select_from(Lot)),
            db.session.scalar(select(func.count()).select_from(StockMovement)))


@pytest.fixture
def product(make_product):
    return make_product("Vitamin C 20% 5 mL", category="vitamin", composition=[("ascorbic acid", "active")],
                        unit_size="5", single_use=True, expiry_margin_days=14)


@pytest.fixture
def lot(product, make_lot):
    lot = make_lot(product, lot_number="VC-001", quantity="10", expiry=TODAY + timedelta(days=120),
                   received_on=TODAY - timedelta(days=3), supplier="MesoSupply", unit_cost="3.20")
    db.session.commit()
    return lot


def action(client, lot, name, **values):
    url = f"/stock/lots/{lot.id}"
    token = csrf_token(client, url)
    data = {f"{name}-csrf_token": token, **{f"{name}-{key}": value for key, value in values.items()}}
    return client.post(f"{url}/{name}", data=data, follow_redirects=True)


def test_the_page_shows_the_facts_and_the_fefo_hint(client, login_as, lot, product, make_lot):
    make_lot(product, lot_number="VC-000", expiry=TODAY + timedelta(days=60))
    db.session.commit()
    login_as("manager")
    html = client.get(f"/stock/lots/{lot.id}").get_data(as_text=True)
    assert "Lot VC-001" in html and "Vitamin C 20% 5 mL" in html and "MesoSupply" in html
    assert (TODAY + timedelta(days=106)).isoformat() in html  # usable until: expiry minus 14 days
    assert "14-day margin" in html
    assert "Sessions use this lot <strong>2nd</strong>" in html and "of 2 usable lots" in html
    assert "32.00" in html  # value on hand: 10 × 3.20


def test_waste_lowers_on_hand_and_is_in_the_history(client, login_as, lot):
    user = login_as("manager")
    response = action(client, lot, "waste", quantity="2.5", reason="vial dropped")
    html = response.get_data(as_text=True)
    assert response.request.path == f"/stock/lots/{lot.id}"
    assert "Recorded 2.5 mL of lot VC-001 as waste." in html
    # 7.5 mL of 5 mL vials: one whole vial and 2.5 mL of another, the volume beside
    assert '<dd class="col-7 fs-5 fw-semibold" id="on-hand">1 vial + 2.5 mL · 7.5 mL</dd>' in html
    assert "Wasted" in html and "−2.5 mL" in html and "vial dropped" in html and user.username in html
    db.session.refresh(lot)
    assert lot.on_hand == Decimal("7.5")


def test_waste_more_than_on_hand_is_refused_and_nothing_changes(client, login_as, lot):
    login_as("manager")
    before = counts()
    response = action(client, lot, "waste", quantity="12", reason="broken")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ("Not enough stock: 12 mL needed from lot VC-001 of Vitamin C 20% 5 mL, only 10 mL available."
            in html)
    assert "Nothing changed" in html
    assert 'value="12"' in html  # the typed values stay to correct
    assert counts() == before
    db.session.refresh(lot)
    assert lot.on_hand == Decimal(10)


@pytest.mark.parametrize(
    ("name", "values", "message"),
    [
        ("waste", {"quantity": "1", "reason": ""}, "Give a reason: it stays in the lot&#39;s history."),
        ("waste", {"quantity": "0", "reason": "x"}, "The quantity must be more than zero (got 0)."),
        ("waste", {"quantity": "abc", "reason": "x"}, "The quantity must be a number (got abc)."),
        ("return", {"quantity": "11", "reason": "wrong item"}, "only 10 mL available"),
        ("adjust", {"quantity": "-1", "reason": "count"}, "The counted quantity cannot be negative (got -1)."),
        ("adjust", {"quantity": "", "reason": "count"}, "Enter the sealed units you counted (0 if none)"),
        ("receive-more", {"quantity": "-4", "reason": ""}, "The quantity must be more than zero (got -4)."),
        ("recall", {"reason": " "}, "Give a reason: it stays in the lot&#39;s history."),
        ("quarantine", {"reason": ""}, "Give a reason"),
    ],
)
def test_refused_actions_name_the_value_and_change_nothing(client, login_as, lot, name, values, message):
    login_as("manager")
    before = counts()
    response = action(client, lot, name, **values)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert counts() == before
    db.session.refresh(lot)
    assert (lot.on_hand, lot.status) == (Decimal(10), "available")


def test_stocktake_records_the_difference(client, login_as, lot):
    login_as("manager")
    html = action(client, lot, "adjust", quantity="8", reason="monthly count").get_data(as_text=True)
    assert "Stocktake of lot VC-001: counted 1 vial + 3 mL · 8 mL (−2 mL)." in html
    movement = db.session.scalars(select(StockMovement).where(StockMovement.lot_id == lot.id)
                                  .order_by(StockMovement.id.desc())).first()
    assert (movement.kind, movement.quantity, movement.on_hand_after, movement.reason) == (
        "adjust", Decimal(-2), Decimal(8), "monthly count")
    html = action(client, lot, "adjust", quantity="8", reason="recount").get_data(as_text=True)
    assert "The count equals what lot VC-001 holds (1 vial + 3 mL · 8 mL); nothing changed." in html
    html = action(client, lot, "adjust", quantity="9.5", reason="found one").get_data(as_text=True)
    assert "counted 1 vial + 4.5 mL · 9.5 mL (+1.5 mL)" in html


def test_stocktake_counts_sealed_vials_whole_and_the_opened_one_in_ml(client, login_as, lot):
    login_as("manager")
    page = client.get(f"/stock/lots/{lot.id}").get_data(as_text=True)
    assert "Sealed units" in page and "Opened content" in page and "Count the sealed vials whole" in page
    html = action(client, lot, "adjust", sealed="1", opened="2.5", reason="shelf count").get_data(as_text=True)
    assert "Stocktake of lot VC-001: counted 1 vial + 2.5 mL · 7.5 mL (−2.5 mL)." in html
    db.session.refresh(lot)
    assert lot.on_hand == Decimal("7.5")
    html = action(client, lot, "adjust", sealed="2", opened="", reason="recount").get_data(as_text=True)
    assert "counted 2 vials · 10 mL (+2.5 mL)" in html


@pytest.mark.parametrize(("values", "message"), [
    ({"sealed": "1.5", "opened": "1"}, "Sealed units must be a whole number, 0 or more (got 1.5)."),
    ({"sealed": "-1", "opened": ""}, "Sealed units must be a whole number, 0 or more (got -1)."),
    ({"sealed": "1", "opened": "-2"}, "Opened content cannot be negative (got -2)."),
    ({"sealed": "two", "opened": ""}, "Sealed units must be a number (got two)."),
    ({"sealed": "", "opened": ""}, "Enter the sealed units you counted (0 if none)"),
])
def test_a_count_in_units_that_cannot_be_read_names_the_field_and_changes_nothing(client, login_as, lot,
                                                                                  values, message):
    login_as("manager")
    before = counts()
    response = action(client, lot, "adjust", reason="count", **values)
    assert message in response.get_data(as_text=True)
    assert counts() == before


def test_receive_more_and_return(client, login_as, lot):
    login_as("manager")
    assert "Received 1 vial · 5 mL more of lot VC-001." in action(
        client, lot, "receive-more", quantity="5", reason="second box").get_data(as_text=True)
    assert "Recorded 3 mL of lot VC-001 as returned." in action(
        client, lot, "return", quantity="3", reason="damaged box").get_data(as_text=True)
    db.session.refresh(lot)
    assert lot.on_hand == Decimal(12)


def test_history_lists_every_movement_newest_first(client, login_as, lot):
    login_as("manager")
    action(client, lot, "waste", quantity="1", reason="first waste")
    action(client, lot, "quarantine", reason="cloudy solution")
    action(client, lot, "release", reason="manufacturer says fine")
    html = action(client, lot, "adjust", quantity="7", reason="stocktake").get_data(as_text=True)
    history = html[html.index("History of lot"):]
    rows = history.count("<tr>") - 1  # minus the header row
    assert rows == 5 == len(db.session.scalars(select(StockMovement).where(StockMovement.lot_id == lot.id)).all())
    order = [history.index(text) for text in ("stocktake", "manufacturer says fine", "cloudy solution",
                                              "first waste", "received")]
    assert order == sorted(order)
    assert "Quarantined" in history and "Released" in history and "system" in history  # received by a fixture


def test_quarantine_takes_the_lot_out_of_fefo_until_released(client, login_as, lot, product):
    login_as("manager")
    html = action(client, lot, "quarantine", reason="cloudy solution").get_data(as_text=True)
    assert "Lot VC-001 is quarantined: FEFO skips it until it is released." in html
    assert "Sessions skip this lot: it is quarantined." in html
    fefo = client.get(f"/stock/fefo?product_id={product.id}").get_data(as_text=True)
    assert "No usable stock of Vitamin C 20% 5 mL" in fefo
    skipped = fefo[fefo.index("Lots FEFO skips"):]
    assert "VC-001" in skipped and "Quarantined" in skipped
    action(client, lot, "release", reason="checked")
    fefo = client.get(f"/stock/fefo?product_id={product.id}").get_data(as_text=True)
    assert "VC-001" in fefo[fefo.index("Lots FEFO draws"):fefo.index("Lots skipped")]


def test_recall_is_for_good(client, login_as, lot, product):
    login_as("manager")
    page = client.get(f"/stock/lots/{lot.id}").get_data(as_text=True)
    assert 'data-confirm="Recall lot VC-001 of Vitamin C 20% 5 mL? This cannot be undone."' in page
    html = action(client, lot, "recall", reason="manufacturer notice R-77").get_data(as_text=True)
    assert "Lot VC-001 is recalled: it is out of use for good." in html
    assert "Recall this lot" not in html and "Receive more" not in html and "Release" not in html
    db.session.refresh(lot)
    assert lot.status == "recalled"
    fefo = client.get(f"/stock/fefo?product_id={product.id}").get_data(as_text=True)
    assert "VC-001" not in fefo[fefo.index("Lots FEFO draws, in order"):fefo.index("Lots skipped")]
    assert "Recalled" in fefo[fefo.index("Lots FEFO skips"):]
    before = counts()
    html = action(client, lot, "release", reason="oops").get_data(as_text=True)
    assert "Lot VC-001 is recalled; a recall cannot be undone." in html
    assert counts() == before


def test_fefo_page_orders_lots_and_plans_a_draw(client, login_as, product, make_lot):
    make_lot(product, lot_number="LATER", quantity="10", expiry=TODAY + timedelta(days=300))
    make_lot(product, lot_number="FIRST", quantity="4", expiry=TODAY + timedelta(days=100))
    make_lot(product, lot_number="MARGIN", quantity="5", expiry=TODAY + timedelta(days=10))  # inside 14-day margin
    db.session.commit()
    login_as("practitioner")
    html = client.get(f"/stock/fefo?product_id={product.id}&amount=6").get_data(as_text=True)
    drawn = html[html.index("Lots FEFO draws"):html.index("Lots skipped")]
    assert drawn.index("FIRST") < drawn.index("LATER") and "MARGIN" not in drawn
    assert "Expired on the day of use" in html[html.index("Lots FEFO skips"):]
    assert "A draw of 6 mL is covered." in html
    assert "Opened single-use units leave 3 mL as waste." in html  # 4 from FIRST, then 2 of a 5 mL unit
    later = (TODAY - timedelta(days=30)).isoformat()
    html = client.get(f"/stock/fefo?product_id={product.id}&date={later}").get_data(as_text=True)
    assert "MARGIN" in html[html.index("Lots FEFO draws"):html.index("Lots skipped")]
    bad = client.get(f"/stock/fefo?product_id={product.id}&date=tomorrow&amount=-1").get_data(as_text=True)
    assert "Date tomorrow is not a date: write YYYY-MM-DD." in bad
    assert "Amount -1 is not a positive number." in bad


def test_a_practitioner_sees_the_page_without_actions_and_may_not_post(client, login_as, lot):
    login_as("practitioner")
    html = client.get(f"/stock/lots/{lot.id}").get_data(as_text=True)
    assert "Lot VC-001" in html and "History" in html
    assert "Change this lot" not in html and "Record waste" not in html
    token = csrf_token(client, "/profile")
    before = counts()
    for name in ("waste", "adjust", "return", "receive-more", "quarantine", "release", "recall"):
        response = client.post(f"/stock/lots/{lot.id}/{name}",
                               data={f"{name}-csrf_token": token, f"{name}-quantity": "1", f"{name}-reason": "x",
                                     "csrf_token": token})
        assert response.status_code == 403, name
    assert counts() == before


def test_unknown_lot_or_action_is_404(client, login_as, lot):
    login_as("manager")
    assert client.get("/stock/lots/99999").status_code == 404
    assert post_form(client, f"/stock/lots/{lot.id}/melt", {}).status_code == 404


def test_receive_more_in_whole_vials(client, login_as, lot):
    login_as("manager")
    html = action(client, lot, "receive-more", quantity="3", count_in="units", reason="second box").get_data(as_text=True)
    assert "Received 3 vials · 15 mL more of lot VC-001." in html
    db.session.refresh(lot)
    assert lot.on_hand == Decimal(25)
    html = action(client, lot, "receive-more", quantity="1.5", count_in="units", reason="?").get_data(as_text=True)
    assert "Vials received must be whole (got 1.5)." in html
    db.session.refresh(lot)
    assert lot.on_hand == Decimal(25)


@pytest.mark.parametrize(("name", "done", "kind"), [("waste", "as waste", "waste"),
                                                     ("return", "as returned", "return")])
def test_waste_and_return_in_whole_vials(client, login_as, lot, name, done, kind):
    # A broken vial is one vial, not 5 mL: the page offers vials beside mL, as receiving does.
    login_as("manager")
    form = client.get(f"/stock/lots/{lot.id}").get_data(as_text=True)
    assert f'id="{name}-count_in"' in form and '<option value="units">vials</option>' in form
    html = action(client, lot, name, quantity="1", count_in="units", reason="dropped").get_data(as_text=True)
    assert f"Recorded 1 vial · 5 mL of lot VC-001 {done}." in html
    db.session.refresh(lot)
    assert lot.on_hand == Decimal(5)
    assert lot.movements[-1].kind == kind and lot.movements[-1].quantity == Decimal(-5)
    before = counts()
    html = action(client, lot, name, quantity="0.5", count_in="units", reason="?").get_data(as_text=True)
    assert f"Vials {'wasted' if name == 'waste' else 'returned'} must be whole (got 0.5)." in html
    html = action(client, lot, name, quantity="2", count_in="units", reason="?").get_data(as_text=True)
    assert "Not enough stock: 10 mL needed from lot VC-001 of Vitamin C 20% 5 mL, only 5 mL available." in html
    db.session.refresh(lot)
    assert lot.on_hand == Decimal(5) and counts() == before


def test_waste_typed_in_ml_is_said_in_ml(client, login_as, lot):
    login_as("manager")
    html = action(client, lot, "waste", quantity="2.5", count_in="volume", reason="spilled").get_data(as_text=True)
    assert "Recorded 2.5 mL of lot VC-001 as waste." in html
    db.session.refresh(lot)
    assert lot.on_hand == Decimal("7.5")
