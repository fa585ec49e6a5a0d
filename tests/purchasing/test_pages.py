"""The purchasing pages: suppliers, products' packs, the suggested order, a draft, sending and receiving."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from formulary.audit.models import AuditEvent
from formulary.catalogue.models import Product, Supplier
from formulary.extensions import db
from formulary.purchasing.models import PurchaseOrder
from formulary.purchasing.orders import LineData, create_order, mark_sent
from formulary.stock.models import Lot, StockMovement
from tests.catalogue.test_product_pages import product_form, substances, text  # noqa: F401 (a fixture)
from tests.conftest import post_form

TODAY = date.today()


def test_a_manager_adds_a_supplier(client, login_as):
    login_as("manager")
    response = post_form(client, "/orders/suppliers/new", {"name": "Mesolab", "lead_time_days": "10",
                                                          "email": "orders@mesolab.example", "phone": "",
                                                          "contact_person": "Marta", "notes": ""})
    page = text(response)
    assert "Mesolab is saved." in page and "10 days" in page and "orders@mesolab.example" in page
    assert "Suppliers" in text(client.get("/orders/suppliers"))


def test_a_negative_lead_time_is_refused_naming_the_field(client, login_as):
    login_as("manager")
    response = post_form(client, "/orders/suppliers/new", {"name": "Mesolab", "lead_time_days": "-2",
                                                          "email": "", "phone": "", "contact_person": "",
                                                          "notes": ""})
    assert response.status_code == 422
    assert "The lead time cannot be negative (got -2 days)." in text(response)
    assert db.session.scalar(select(Supplier)) is None


def test_the_product_form_takes_supplier_pack_size_and_minimum(client, login_as, substances, make_supplier):  # noqa: F811
    supplier = make_supplier("Mesolab")
    login_as("manager")
    data = product_form(composition=[("Vitamin C", "active", "")], supplier_id=str(supplier.id), pack_size="25",
                        minimum_order_packs="2")
    page = text(post_form(client, "/catalogue/products/new", data))
    product = db.session.scalar(select(Product))
    assert (product.supplier_id, product.pack_size, product.minimum_order_packs) == (supplier.id, 25, 2)
    assert "Mesolab" in page and "at least 2 packs an order" in page
    assert "Vitamin C 20% 5 mL" in text(client.get(f"/orders/suppliers/{supplier.id}"))


@pytest.mark.parametrize("pack_size", ["0", "-1"])
def test_the_product_form_refuses_a_pack_size_of_zero_or_less(client, login_as, substances, pack_size):  # noqa: F811
    login_as("manager")
    response = post_form(client, "/catalogue/products/new",
                         product_form(composition=[("Vitamin C", "active", "")], pack_size=pack_size))
    assert f"Pack size must be more than zero (got {pack_size})." in text(response)
    assert db.session.scalar(select(Product)) is None


@pytest.fixture
def booked_supplier(make_supplier, make_product, make_lot, make_cocktail, book):
    supplier = make_supplier("Mesolab", lead_time_days=7)
    vial = make_product("Vitamin C 5 mL", single_use=False, unit_size="5", supplier_id=supplier.id, pack_size="5")
    make_lot(vial, quantity="1", received_on=TODAY - timedelta(days=100), unit_cost="4")
    book(make_cocktail("Glow", [(vial, "3")]), TODAY + timedelta(days=3))
    db.session.commit()
    return supplier, vial


def draft_order(client, supplier) -> PurchaseOrder:
    response = post_form(client, f"/orders/suppliers/{supplier.id}/draft", {})
    assert "is drafted" in text(response)
    return db.session.scalar(select(PurchaseOrder).order_by(PurchaseOrder.id.desc()))


def test_suggested_order_then_draft(client, login_as, booked_supplier):
    supplier, vial = booked_supplier
    login_as("manager")
    page = text(client.get(f"/orders/suppliers/{supplier.id}/suggested"))
    assert "1 booked session needs 3 mL" in page and "Draft an order from this" in page
    order = draft_order(client, supplier)
    assert order.status == "draft" and [(line.product_id, line.packs) for line in order.lines] == [(vial.id, 1)]
    assert "1 booked session needs 3 mL" in order.lines[0].reason
    assert "€20.00" in text(client.get(f"/orders/{order.id}"))  # 5 mL at the last lot's 4.00 a mL


def test_zero_packs_on_a_draft_is_refused_naming_the_line(client, login_as, booked_supplier):
    supplier, vial = booked_supplier
    login_as("manager")
    order = draft_order(client, supplier)
    line = order.lines[0]
    response = post_form(client, f"/orders/{order.id}", {f"packs-{line.id}": "0"})
    assert response.status_code == 422
    assert "Line 1 (Vitamin C 5 mL): an order line needs at least one pack (got 0)" in text(response)
    db.session.expire_all()
    assert db.session.get(PurchaseOrder, order.id).lines[0].packs == 1


def test_send_by_print_then_never_edited(client, login_as, booked_supplier):
    supplier, _vial = booked_supplier
    login_as("manager")
    order = draft_order(client, supplier)
    line = order.lines[0]
    page = text(post_form(client, f"/orders/{order.id}/send", {"how": "print"}))
    assert f"Purchase order {order.reference}" in page and "Mesolab" in page and "Print" in page
    db.session.expire_all()
    assert db.session.get(PurchaseOrder, order.id).status == "sent"
    refused = text(post_form(client, f"/orders/{order.id}", {f"packs-{line.id}": "5"}))
    assert "cannot be changed: a sent order stays as it was sent" in refused
    db.session.expire_all()
    assert db.session.get(PurchaseOrder, order.id).lines[0].packs == 1
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "order.send")) is not None
    workbook = client.get(f"/orders/{order.id}/order.xlsx")
    assert workbook.status_code == 200 and workbook.data[:2] == b"PK"


def receive(client, order, line, lot_number, quantity, expiry=None):
    expiry = expiry or TODAY + timedelta(days=300)
    return post_form(client, f"/orders/{order.id}/lines/{line.id}/receive", {
        f"receive-{line.id}-lot_number": lot_number, f"receive-{line.id}-expiry": f"{expiry:%Y-%m-%d}",
        f"receive-{line.id}-quantity": quantity, f"receive-{line.id}-received_on": f"{TODAY:%Y-%m-%d}"})


def test_receive_partly_then_fully_then_over(client, login_as, booked_supplier):
    supplier, vial = booked_supplier
    login_as("manager")
    order = draft_order(client, supplier)
    line = order.lines[0]
    post_form(client, f"/orders/{order.id}/send", {"how": "workbook"})

    page = text(receive(client, order, line, "A1", "2"))
    assert "Partly received" in page and "short by 3 mL" in page
    lot = db.session.scalar(select(Lot).where(Lot.lot_number == "A1"))
    assert lot.on_hand == 2 and lot.supplier == "Mesolab"
    movement = db.session.scalar(select(StockMovement).where(StockMovement.lot_id == lot.id))
    assert (movement.kind, movement.quantity, movement.reason) == ("receive", 2, f"order {order.reference}")

    page = text(receive(client, order, line, "A1", "3"))  # more of the same lot and expiry
    assert "Received" in page and "complete" in page
    assert db.session.scalar(select(Lot.on_hand).where(Lot.lot_number == "A1")) == 5
    page = text(receive(client, order, line, "B2", "1"))
    assert "over by 1 mL" in page
    db.session.expire_all()
    assert db.session.get(PurchaseOrder, order.id).status == "received"
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "order.receive")).all()) == 3


def test_a_bad_receipt_names_the_field_and_writes_nothing(client, login_as, booked_supplier):
    supplier, _vial = booked_supplier
    login_as("manager")
    order = draft_order(client, supplier)
    line = order.lines[0]
    assert "is a draft: send it before receiving" in text(receive(client, order, line, "A1", "2"))
    post_form(client, f"/orders/{order.id}/send", {"how": "print"})
    response = receive(client, order, line, "A1", "2", expiry=TODAY - timedelta(days=5))
    assert response.status_code == 422 and "is before the receipt date" in text(response)
    assert db.session.scalar(select(Lot).where(Lot.lot_number == "A1")) is None
    db.session.expire_all()
    assert db.session.get(PurchaseOrder, order.id).status == "sent"


def test_a_practitioner_sees_no_orders(client, login_as):
    login_as("practitioner")
    assert "Orders" not in text(client.get("/")).split()
    assert post_form(client, "/orders/1/send", {"how": "print"}).status_code == 403


GTIN = "09506000134352"


def test_a_scanned_box_is_received_against_the_line_of_its_gtin(client, login_as, make_supplier, make_product):
    supplier = make_supplier("Mesolab")
    vial = make_product("HA 2 mL", supplier_id=supplier.id, pack_size="20", gtin=GTIN)
    other = make_product("Saline 10 mL")
    order = create_order(supplier, [LineData(vial.id, 2)], actor=None)
    mark_sent(order, "printed", actor=None)
    db.session.commit()
    login_as("manager")

    def scan(text, quantity=""):
        return post_form(client, f"/orders/{order.id}/scan", {"scan-scan": text, "scan-quantity": quantity,
                                                              "scan-received_on": f"{TODAY:%Y-%m-%d}"})

    page = text(scan(f"(01){GTIN}(17)281231(10)AB-12"))  # blank quantity: one pack
    assert "Received 20 mL of HA 2 mL (lot AB-12)" in page and "short by 20 mL" in page
    lot = db.session.scalar(select(Lot).where(Lot.lot_number == "AB-12"))
    assert (lot.expiry, lot.on_hand, lot.product_id) == (date(2028, 12, 31), 20, vial.id)
    page = text(scan(f"(01){GTIN}(17)281231(10)AB-12", "20"))
    assert "complete" in page and "Received" in page

    refused = scan(f"(01){GTIN}(10)NO-EXPIRY")
    assert refused.status_code == 422 and "The scan of HA 2 mL has no expiry" in text(refused)
    assert other.id not in [line.product_id for line in order.lines]
    refused = scan("(01)04006381333931(17)281231(10)X1")
    assert refused.status_code == 422 and f"GTIN 04006381333931 is not on {order.reference}" in text(refused)
    assert db.session.scalar(select(Lot).where(Lot.lot_number.in_(["NO-EXPIRY", "X1"]))) is None


def test_the_suggestion_page_covers_another_period_when_asked(client, login_as, booked_supplier):
    supplier, _vial = booked_supplier
    login_as("manager")
    page = text(client.get(f"/orders/suppliers/{supplier.id}/suggested?horizon_days=2"))
    assert "covering the next 2 days" in page and "no booked sessions until" in page
    page = text(client.get(f"/orders/suppliers/{supplier.id}/suggested?horizon_days=0"))
    assert "The period must be from 1 to 365 days (got 0)" in page and "1 booked session needs 3 mL" in page


def test_a_draft_follows_the_period_the_page_showed(client, login_as, booked_supplier, make_cocktail, book):
    supplier, vial = booked_supplier
    book(make_cocktail("Glow later", [(vial, "9")]), TODAY + timedelta(days=30))  # beyond lead + review
    db.session.commit()
    login_as("manager")
    response = post_form(client, f"/orders/suppliers/{supplier.id}/draft", {"horizon_days": "40"})
    assert "is drafted" in text(response)
    order = db.session.scalar(select(PurchaseOrder).order_by(PurchaseOrder.id.desc()))
    assert order.lines[0].packs == 3  # 3 + 9 mL booked, 1 mL usable: 11 mL in packs of 5
