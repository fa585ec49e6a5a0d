"""Counting in the browser's pages: receiving in units, a scanned lot already in stock, the lot list's
"not counted in N days", the printed count sheet and the dashboard's overdue counts."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from formulary.db import utcnow
from formulary.extensions import db
from formulary.stock import ledger
from formulary.stock.models import Lot
from tests.conftest import csrf_token, post_form

GTIN = "09506000134352"
TODAY = date.today()
EXPIRY = date(TODAY.year + 2, 3, 31)


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


@pytest.fixture
def serum(make_product):
    return make_product("Hyaluronic Acid 1% 2 mL", gtin=GTIN, storage="Fridge 2–8 °C", package="ampoule")


@pytest.fixture
def vitamin(make_product):
    return make_product("Vitamin C 5 mL", category="vitamin", unit_size="5", storage="Cupboard",
                        composition=[("ascorbic acid", "active")])


def test_receiving_in_units_stores_the_volume(client, login_as, serum):
    login_as("manager")
    response = post_form(client, "/stock/receive", {
        "scan": "", "product": str(serum.id), "lot_number": "U-1", "expiry": EXPIRY.isoformat(), "quantity": "3",
        "count_in": "units", "received_on": TODAY.isoformat()})
    assert "Received 3 ampoules · 6 mL of Hyaluronic Acid 1% 2 mL, lot U-1" in text(response)
    assert db.session.scalar(select(Lot.on_hand).where(Lot.lot_number == "U-1")) == Decimal(6)


def receive_in_units(client, product, lot_number, quantity):
    return post_form(client, "/stock/receive", {
        "scan": "", "product": str(product.id), "lot_number": lot_number, "expiry": EXPIRY.isoformat(),
        "quantity": quantity, "count_in": "units", "received_on": TODAY.isoformat()})


def on_hand(lot_number):
    return db.session.scalar(select(Lot.on_hand).where(Lot.lot_number == lot_number))


def test_receiving_part_of_a_unit_is_refused_by_name_and_nothing_is_received(client, login_as, make_product):
    gloves = make_product("Nitrile gloves M", unit="pair", package="box", unit_size="50", category="other")
    login_as("manager")
    response = receive_in_units(client, gloves, "G-1", "1.5")
    assert response.status_code == 200 and "Boxes received must be whole (got 1.5)." in text(response)
    assert on_hand("G-1") is None
    assert "Received 100 pair of Nitrile gloves M, lot G-1" in text(receive_in_units(client, gloves, "G-1", "2"))
    assert on_hand("G-1") == Decimal(100)


def test_stock_kept_in_vials_is_received_one_a_vial_whatever_a_vial_holds(client, login_as, make_product):
    # The lot page counted such stock one a vial while the receive page multiplied by the vial's content.
    toxin = make_product("Toxin 100 U vial", unit="vial", package="vial", unit_size="2")
    login_as("manager")
    assert "Received 3 vial of Toxin 100 U vial" in text(receive_in_units(client, toxin, "T-1", "3"))
    assert on_hand("T-1") == Decimal(3)


def test_a_scan_with_part_of_a_unit_offers_the_lot_and_names_the_quantity(client, login_as, serum, make_lot):
    lot = make_lot(serum, quantity="4", lot_number="ABC123", expiry=EXPIRY)
    db.session.commit()
    login_as("manager")
    response = post_form(client, "/stock/receive", {"scan": f"(01){GTIN}(17){EXPIRY:%y%m%d}(10)ABC123",
                                                    "quantity": "1.5", "count_in": "units",
                                                    "received_on": TODAY.isoformat()})
    assert response.status_code == 200
    assert "Lot ABC123 of Hyaluronic Acid 1% 2 mL is already in stock" in text(response)
    assert "Ampoules received must be whole (got 1.5)." in text(response)
    assert db.session.get(Lot, lot.id).on_hand == 4


def test_a_scan_of_a_lot_in_stock_offers_to_receive_more_of_it(client, login_as, serum, make_lot):
    lot = make_lot(serum, quantity="4", lot_number="ABC123", expiry=EXPIRY)
    db.session.commit()
    login_as("manager")
    response = post_form(client, "/stock/receive", {"scan": f"(01){GTIN}(17){EXPIRY:%y%m%d}(10)ABC123",
                                                    "quantity": "2", "received_on": TODAY.isoformat()})
    page, html = text(response), response.get_data(as_text=True)
    assert "Lot ABC123 of Hyaluronic Acid 1% 2 mL is already in stock" in page
    assert "2 ampoules · 4 mL on hand" in page and "already has a lot" not in page
    assert f'action="/stock/lots/{lot.id}/receive-more"' in html
    assert 'name="receive-more-quantity"' in html and 'value="2"' in html
    assert db.session.get(Lot, lot.id).on_hand == 4  # offered, not done
    token = csrf_token(client, "/stock/receive")
    done = client.post(f"/stock/lots/{lot.id}/receive-more", follow_redirects=True, data={
        "receive-more-csrf_token": token, "receive-more-quantity": "2", "receive-more-reason": "received by scan"})
    assert "Received 1 ampoule · 2 mL more of lot ABC123" in text(done)
    db.session.expire_all()
    assert db.session.get(Lot, lot.id).on_hand == 6


def test_the_lot_list_finds_lots_not_counted_in_n_days(client, login_as, serum, make_lot, make_user):
    counted = make_lot(serum, quantity="4", lot_number="COUNTED", received_on=TODAY - timedelta(days=200))
    make_lot(serum, quantity="4", lot_number="NEVER", received_on=TODAY - timedelta(days=200))
    make_lot(serum, quantity="4", lot_number="FRESH", received_on=TODAY - timedelta(days=3))
    stale = make_lot(serum, quantity="4", lot_number="STALE", received_on=TODAY - timedelta(days=200))
    manager = make_user("manager")
    ledger.adjust(counted, "4", actor=manager, reason="cycle count")
    db.session.execute(update(Lot).where(Lot.id == stale.id).values(counted_at=utcnow() - timedelta(days=120)))
    db.session.commit()
    assert db.session.get(Lot, counted.id).counted_by_id == manager.id
    login_as("manager")
    page = text(client.get("/stock?not_counted=90"))
    assert "NEVER" in page and "STALE" in page
    assert "COUNTED" not in page and "FRESH" not in page


def test_the_count_sheet_groups_by_storage_place_with_a_barcode_where_there_is_a_gtin(
        client, login_as, serum, vitamin, make_lot):
    make_lot(serum, quantity="4", lot_number="HA-1", expiry=EXPIRY)
    make_lot(vitamin, quantity="5", lot_number="VC-1")
    db.session.commit()
    login_as("practitioner")
    response = client.get("/stock/count-sheet")
    html, page = response.get_data(as_text=True), text(response)
    assert response.status_code == 200
    sheet = page[page.index("Count sheet: all stock"):]
    assert sheet.index("Cupboard") < sheet.index("Vitamin C 5 mL") < sheet.index("Fridge 2–8 °C") < sheet.index("HA-1")
    assert html.count("<svg") == 1  # the serum has a GTIN, the vitamin none
    assert f"(01){GTIN}(17){EXPIRY:%y%m%d}(10)HA-1" in page and "no GTIN" in page
    assert html.count('class="count-box"') == 4  # sealed units and opened content, apart, for each lot
    assert 'aria-label="Sealed ampoules of lot HA-1"' in html and 'aria-label="Opened content of lot HA-1, in mL"' in html
    assert "sealed: count each ampoule of 2 mL; opened: what is left, in mL" in page
    assert "sealed: count each vial of 5 mL" in page and "is on record" not in page
    assert "size: A4 landscape" in client.get("/static/counting.css").get_data(as_text=True)
    fridge = text(client.get("/stock/count-sheet?storage=Cupboard"))
    assert "VC-1" in fridge and "HA-1" not in fridge


def test_the_count_sheet_says_where_an_opened_vial_is_on_record(client, login_as, make_product, make_lot):
    from formulary.stock.draws import draw_rule, fefo_offer
    from formulary.stock.opened import take

    product = make_product("Lidocaine 1% 20 mL", unit_size="20", single_use=False, opened_shelf_life_days=28,
                           composition=[("lidocaine", "active")])
    lot = make_lot(product, quantity="60", lot_number="LI-1", expiry=EXPIRY)
    take(lot, fefo_offer(product, TODAY, Decimal(2)).plan.draws[0], draw_rule(product, TODAY), kind="administer",
         actor=None, reason="a session")
    db.session.commit()
    login_as("practitioner")
    page = text(client.get("/stock/count-sheet"))
    assert "LI-1 an opened vial is on record" in page and "18 mL" not in page  # where to look, not how much


def test_the_dashboard_shows_the_counts_overdue(client, login_as, serum, make_lot):
    make_lot(serum, quantity="4", lot_number="OLD", received_on=TODAY - timedelta(days=400))
    make_lot(serum, quantity="4", lot_number="NEW", received_on=TODAY)
    db.session.commit()
    login_as("manager")
    response = client.get("/")
    page, html = text(response), response.get_data(as_text=True)
    assert "Counts overdue 1 lots not counted in 90 days" in page
    # never counted: its receipt is when it was last seen
    assert f"Fridge 2–8 °C 1 {TODAY - timedelta(days=400):%Y-%m-%d} Count sheet" in page
    assert 'href="/stock?not_counted=90"' in html
