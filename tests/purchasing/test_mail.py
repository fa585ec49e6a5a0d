"""E-mailing an order: a real SMTP server on the loopback takes it, refuses it, or is not there."""

import email
import socket
from datetime import date

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from formulary.audit.models import AuditEvent
from formulary.extensions import db
from formulary.purchasing.models import PurchaseOrder
from formulary.purchasing.orders import LineData, create_order
from tests.catalogue.test_product_pages import text
from tests.conftest import post_form

TODAY = date.today()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An SMTP handler that keeps what it is sent, or refuses everything."""

    def __init__(self, refuse: bool = False):
        self.messages, self.refuse = [], refuse

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "554 Transaction failed: mailbox unavailable"
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server(app):
    def start(refuse=False):
        inbox = Inbox(refuse)
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
        controller.start()
        started.append(controller)
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_FROM="clinic@example.org")
        return inbox

    started: list = []
    saved = {key: app.config.get(key) for key in ("SMTP_HOST", "SMTP_PORT", "SMTP_FROM")}
    yield start
    for controller in started:
        controller.stop()
    app.config.update(saved)


@pytest.fixture
def draft(client, login_as, make_supplier, make_product):
    supplier = make_supplier("Mesolab", email="orders@mesolab.example", contact_person="Marta")
    vial = make_product("Vitamin C 5 mL", supplier_id=supplier.id, pack_size="10")
    order = create_order(supplier, [LineData(vial.id, 3)], actor=None)
    db.session.commit()
    login_as("manager")
    return order


def status_of(order):
    db.session.expire_all()
    return db.session.get(PurchaseOrder, order.id).status


def test_the_order_is_emailed_with_its_workbook(client, smtp_server, draft):
    inbox = smtp_server()
    page = text(post_form(client, f"/orders/{draft.id}/send", {"how": "email"}))
    assert f"Order {draft.reference} is e-mailed to orders@mesolab.example." in page
    [(sender, recipients, content)] = inbox.messages
    assert (sender, recipients) == ("clinic@example.org", ["orders@mesolab.example"])
    message = email.message_from_bytes(content)
    assert message["Subject"].startswith(f"Purchase order {draft.reference}")
    parts = {part.get_filename(): part for part in message.walk() if part.get_filename()}
    assert parts[f"{draft.reference}.xlsx"].get_payload(decode=True)[:2] == b"PK"
    body = next(part for part in message.walk() if part.get_content_type() == "text/plain").get_payload(decode=True)
    assert b"3 \xc3\x97 Vitamin C 5 mL (pack of 10 mL)" in body and b"Dear Marta" in body
    assert status_of(draft) == "sent"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "order.send"))
    assert "e-mailed to orders@mesolab.example" in event.detail


def test_a_refusing_server_leaves_the_order_unsent(client, smtp_server, draft):
    smtp_server(refuse=True)
    page = text(post_form(client, f"/orders/{draft.id}/send", {"how": "email"}))
    assert "did not take the order" in page and "The order was not sent." in page
    assert status_of(draft) == "draft"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "order.send")) is None


def test_a_server_that_is_down_leaves_the_order_unsent(app, client, draft):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_FROM="clinic@example.org")
    try:
        page = text(post_form(client, f"/orders/{draft.id}/send", {"how": "email"}))
    finally:
        app.config.update(SMTP_HOST="", SMTP_PORT=25, SMTP_FROM="")
    assert "did not take the order" in page and status_of(draft) == "draft"


def test_no_mail_server_set_up_is_said(client, draft):
    page = text(post_form(client, f"/orders/{draft.id}/send", {"how": "email"}))
    assert "No mail server is set up: set FORMULARY_SMTP_HOST" in page and status_of(draft) == "draft"
