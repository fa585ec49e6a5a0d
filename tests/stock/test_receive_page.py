"""Receiving a lot by form or by scan: it lands in the ledger, or a message names what is wrong."""

import calendar
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from formulary.extensions import db
from formulary.stock.models import Lot, StockMovement
from tests.conftest import post_form

GTIN = "09506000134352"
TODAY = date.today()
EXPIRY = date(TODAY.year + 2, 3, 31)
YYMMDD = f"{EXPIRY:%y%m%d}"


def focused(html: str) -> str:
    """The id of the input the page puts the cursor in."""
    [field_id] = re.findall(r'<(?:input|select)[^>]*\bautofocus\b[^>]*\bid="([^"]+)"', html)
    return field_id


def counts():
    return (db.session.scalar(select(func.count()).select_from(Lot)),
            db.session.scalar(select(func.count()).select_from(StockMovement)))


def form(chosen=None, **values):
    data = {"scan": "", "product": str(chosen.id) if chosen else "", "lot_number": "24A117",
            "expiry": EXPIRY.isoformat(), "quantity": "10", "received_on": TODAY.isoformat(),
            "supplier": "MesoSupply", "unit_cost": "4.50"}
    return {**data, **values}


@pytest.fixture
def product(make_product):
    return make_product("Hyaluronic Acid 1% 2 mL", gtin=GTIN)


def test_the_form_starts_at_the_scan_field_with_today_as_receipt(client, login_as, product):
    login_as("manager")
    html = client.get("/stock/receive").get_data(as_text=True)
    assert focused(html) == "scan"
    assert f'value="{TODAY.isoformat()}"' in html
    assert "Hyaluronic Acid 1% 2 mL" in html


def test_receive_by_form(client, login_as, product):
    user = login_as("manager")
    response = post_form(client, "/stock/receive", form(product))
    html = response.get_data(as_text=True)
    assert "Received 5 vials · 10 mL of Hyaluronic Acid 1% 2 mL, lot 24A117" in html
    lot = db.session.scalar(select(Lot).where(Lot.lot_number == "24A117"))
    assert response.request.path == f"/stock/lots/{lot.id}"
    assert (lot.product_id, lot.expiry, lot.on_hand, lot.received_on, lot.supplier, lot.unit_cost) == (
        product.id, EXPIRY, Decimal(10), TODAY, "MesoSupply", Decimal("4.5"))
    [movement] = lot.movements
    assert (movement.kind, movement.quantity, movement.user_id) == ("receive", Decimal(10), user.id)


def test_a_month_only_expiry_means_the_last_day_of_that_month(client, login_as, product):
    login_as("manager")
    year = TODAY.year + 1
    post_form(client, "/stock/receive", form(product, expiry=f"{year}-02", quantity="2,5"))
    lot = db.session.scalar(select(Lot).where(Lot.lot_number == "24A117"))
    assert lot.expiry == date(year, 2, calendar.monthrange(year, 2)[1])
    assert lot.on_hand == Decimal("2.5")


@pytest.mark.parametrize(
    "scan",
    [
        f"(01){GTIN}(17){YYMMDD}(10)ABC123(21)SN42",
        f"01{GTIN}17{YYMMDD}10ABC123\x1d21SN42",
        f"]d201{GTIN}10ABC123\x1d17{YYMMDD}21SN42",
    ],
    ids=["parentheses", "raw-with-GS", "symbology-prefix"],
)
def test_a_scan_with_a_quantity_receives_at_once(client, login_as, product, scan):
    login_as("manager")
    response = post_form(client, "/stock/receive", {"scan": scan, "product": "", "lot_number": "",
                                                    "expiry": "", "quantity": "4", "received_on": TODAY.isoformat()})
    assert "Received 2 vials · 4 mL of Hyaluronic Acid 1% 2 mL, lot ABC123" in response.get_data(as_text=True)
    lot = db.session.scalar(select(Lot).where(Lot.lot_number == "ABC123"))
    assert (lot.product_id, lot.expiry, lot.on_hand) == (product.id, EXPIRY, Decimal(4))
    assert lot.movements[0].reason == "received; serial SN42"


def test_a_scan_alone_fills_the_form_and_asks_for_the_quantity(client, login_as, product):
    login_as("manager")
    before = counts()
    response = post_form(client, "/stock/receive", {"scan": f"(01){GTIN}(17){YYMMDD}(10)ABC123",
                                                    "received_on": TODAY.isoformat()})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (f"Scan read: Hyaluronic Acid 1% 2 mL, lot ABC123, expires {EXPIRY.isoformat()}. "
            "Enter the quantity, then press Receive.") in html
    assert f'<option selected value="{product.id}">' in html
    assert 'value="ABC123"' in html and f'value="{EXPIRY.isoformat()}"' in html
    assert focused(html) == "quantity"
    assert counts() == before
    # The user types the quantity and presses Receive: the filled values go through.
    response = post_form(client, "/stock/receive", {"scan": "", "product": str(product.id),
                                                    "lot_number": "ABC123", "expiry": EXPIRY.isoformat(),
                                                    "quantity": "6", "received_on": TODAY.isoformat()})
    assert "Received 3 vials · 6 mL" in response.get_data(as_text=True)


def test_a_plain_gtin_scan_chooses_the_product_and_asks_for_the_rest(client, login_as, product):
    login_as("manager")
    before = counts()
    html = post_form(client, "/stock/receive", {"scan": "9506000134352", "received_on": TODAY.isoformat()}
                     ).get_data(as_text=True)
    assert ("Scan read: Hyaluronic Acid 1% 2 mL. Enter the lot number, expiry date and quantity, "
            "then press Receive.") in html
    assert f'<option selected value="{product.id}">' in html and focused(html) == "lot_number"
    assert counts() == before


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"scan": "hello world"}, "Scan &#39;hello world&#39; is not a GS1 barcode or a GTIN."),
        ({"scan": "(01)09506000134353(10)X"}, "has GTIN 09506000134353, which fails its check digit (expected 2)"),
        ({"scan": "(01)09501101020917(10)X"},
         "No known product for GTIN 09501101020917: add this GTIN to the product in the catalogue"),
        ({"lot_number": "DUP1"}, "Hyaluronic Acid 1% 2 mL already has a lot DUP1"),
        ({"expiry": (TODAY - timedelta(days=1)).isoformat()},
         f"Expiry {(TODAY - timedelta(days=1)).isoformat()} is before the receipt date {TODAY.isoformat()}."),
        ({"quantity": "0"}, "The quantity must be more than zero (got 0)."),
        ({"quantity": "-3"}, "The quantity must be more than zero (got -3)."),
        ({"quantity": "ten"}, "The quantity must be a number (got ten)."),
        ({"quantity": ""}, "Enter the quantity received."),
        ({"expiry": "2027-13"}, "Expiry 2027-13 is not a date: write YYYY-MM-DD, or YYYY-MM for a month."),
        ({"product": ""}, "Choose the product."),
        ({"lot_number": ""}, "Enter the lot number."),
        ({"unit_cost": "-1"}, "The unit cost cannot be negative (got -1)."),
    ],
)
def test_bad_input_is_refused_with_its_message_and_nothing_changes(
        client, login_as, product, make_lot, values, message):
    make_lot(product, lot_number="DUP1")
    db.session.commit()
    login_as("manager")
    before = counts()
    response = post_form(client, "/stock/receive", form(product, **values))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    assert "Nothing was received" in html
    assert counts() == before


def test_a_bad_scan_keeps_the_text_to_correct(client, login_as, product):
    login_as("manager")
    html = post_form(client, "/stock/receive", form(product, scan="(01)09506000134353")).get_data(as_text=True)
    assert 'value="(01)09506000134353"' in html and focused(html) == "scan"


def test_a_retired_product_cannot_be_received(client, login_as, product):
    product.retired = True
    db.session.commit()
    login_as("manager")
    before = counts()
    html = post_form(client, "/stock/receive", form(product)).get_data(as_text=True)
    assert "Hyaluronic Acid 1% 2 mL is retired; stock cannot be received for it." in html
    assert counts() == before


def test_a_practitioner_may_not_receive(client, login_as, product):
    login_as("practitioner")
    assert client.get("/stock/receive").status_code == 403
