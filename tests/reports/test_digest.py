"""`formulary notify` against a real SMTP server on the loopback (aiosmtpd), one that refuses, and none at all."""

import socket
from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from formulary.extensions import db
from formulary.reports.digest import build_digest
from formulary.reports.models import DigestSend
from formulary.stock.ledger import set_status
from formulary.treatments.sessions import administer, plan_session

TODAY = date.today()


class Inbox:
    """An aiosmtpd handler that keeps what it receives, or refuses what it is told to."""

    def __init__(self, refuse_rcpt: str | None = None, refuse_data: bool = False):
        self.messages, self.refuse_rcpt, self.refuse_data = [], refuse_rcpt, refuse_data

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if self.refuse_rcpt and address == self.refuse_rcpt:
            return "550 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.refuse_data:
            return "554 Message rejected as spam"
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app):
    """Start an SMTP server on a free loopback port; point the app's settings at it."""
    servers = []

    def start(**kwargs):
        inbox = Inbox(**kwargs)
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
        controller.start()
        servers.append(controller)
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port,
                          SMTP_FROM="formulary@clinic.example", DIGEST_TO="manager@clinic.example, owner@clinic.example")
        return inbox

    saved = {k: app.config.get(k) for k in ("SMTP_HOST", "SMTP_PORT", "SMTP_FROM", "DIGEST_TO")}
    yield start
    for controller in servers:
        controller.stop()
    app.config.update(saved)


@pytest.fixture
def attention(make_product, make_lot):
    """An expired lot on the shelf, one expiring soon, a product under its reorder level, a recalled lot."""
    ha = make_product("HA 1% 2 mL <b>", reorder_level="100")
    make_lot(ha, lot_number="OLD-1", quantity="6", expiry=TODAY - timedelta(days=3))
    make_lot(ha, lot_number="SOON-1", quantity="4", expiry=TODAY + timedelta(days=10))
    recalled = make_lot(ha, lot_number="BAD-1", quantity="2", expiry=TODAY + timedelta(days=200))
    set_status(recalled, "recalled", actor=None, reason="manufacturer's notice")
    db.session.commit()
    return ha


def sends() -> int:
    return db.session.scalar(select(func.count(DigestSend.id)))


def test_the_digest_reaches_every_manager_once_a_day(app, runner, smtp, attention):
    inbox = smtp()
    result = runner.invoke(args=["notify"])
    assert result.exit_code == 0, result.output
    assert "Sent the digest" in result.output
    [(sender, recipients, content)] = inbox.messages
    assert sender == "formulary@clinic.example"
    assert recipients == ["manager@clinic.example", "owner@clinic.example"]
    mail = message_from_bytes(content, policy=policy.default)
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for title in ("Expired lots still on the shelf (1)", "Expiring within 30 days (1)",
                  "Products under their reorder level (1)", "Sessions blocked in the next 14 days (0)",
                  "Recalled lots with stock (1)"):
        assert title in text and title in html, title
    assert "lot OLD-1: 6 mL" in text and "HA 1% 2 mL &lt;b&gt;" in html  # names are text in the HTML
    assert sends() == 1
    again = runner.invoke(args=["notify"])
    assert again.exit_code == 0 and "sent already" in again.output
    assert len(inbox.messages) == 1 and sends() == 1
    forced = runner.invoke(args=["notify", "--force"])
    assert forced.exit_code == 0 and len(inbox.messages) == 2 and sends() == 2


@pytest.mark.parametrize(("refusal", "words"), [
    ({"refuse_data": True}, "554 Message rejected as spam"),
    ({"refuse_rcpt": "owner@clinic.example"}, "owner@clinic.example (550 No such user here)"),
])
def test_a_refusing_server_leaves_nothing_recorded_and_fails(runner, smtp, attention, refusal, words):
    smtp(**refusal)
    result = runner.invoke(args=["notify"])
    assert result.exit_code != 0
    assert "The digest was not sent" in result.output and words in result.output
    assert sends() == 0


def test_a_server_that_is_down_fails_in_words(app, runner, smtp):
    smtp()
    app.config["SMTP_PORT"] = free_port()  # nobody listens there
    result = runner.invoke(args=["notify"])
    assert result.exit_code != 0 and "Cannot reach the SMTP server 127.0.0.1" in result.output
    assert sends() == 0


def test_no_server_configured_is_said(app, runner):
    saved = app.config.get("SMTP_HOST")
    app.config["SMTP_HOST"] = ""
    try:
        result = runner.invoke(args=["notify"])
    finally:
        app.config["SMTP_HOST"] = saved
    assert result.exit_code != 0 and "FORMULARY_SMTP_HOST" in result.output


def test_print_shows_the_digest_without_sending(runner, attention):
    result = runner.invoke(args=["notify", "--print"])
    assert result.exit_code == 0 and "Expired lots still on the shelf (1)" in result.output
    assert sends() == 0


def test_the_digest_names_the_suggested_order_and_the_opened_vials_to_discard(attention, make_product, make_lot,
                                                                               make_cocktail, make_patient, make_user):
    user = make_user("practitioner")
    vial = make_product("Vitamin C 5 mL multi-dose", unit_size="5", single_use=False, opened_shelf_life_days=28)
    make_lot(vial, lot_number="VC-1", quantity="15", expiry=TODAY + timedelta(days=300))
    earlier = TODAY - timedelta(days=35)  # opened five weeks ago: lapsed after 28 days
    session = plan_session(make_patient("Ana"), make_cocktail("Glow", [(vial, "2")]), earlier, practitioner=user,
                           actor=user)
    administer(session, actor=user, today=earlier)
    db.session.commit()
    digest = build_digest(TODAY, 30, "Clinic")
    assert [s.key for s in digest.sections] == ["expired", "expiring", "opened", "below-reorder", "blocked", "recalls"]
    text = digest.text()
    assert "Opened vials to discard (1)\n" in text
    assert "- Vitamin C 5 mL multi-dose, lot VC-1: 3 mL left (lapsed: opened" in text
    # HA holds 4 mL usable against a reorder level of 100: the line says what to order and why.
    reorder = text[text.index("Products under their reorder level (1)"):]
    assert "- HA 1% 2 mL <b>: 4 mL usable, reorder level 100 mL" in reorder
    assert "    Suggested order: " in reorder and "pack" in reorder.split("Suggested order: ", 1)[1].split("\n")[0]


def test_expiring_lots_name_the_sessions_that_will_lack_them(attention, make_product, make_cocktail, make_patient):
    from formulary.treatments.models import TreatmentSession

    glow = make_cocktail("Hydra glow", [(attention, "2")])
    patient = make_patient("Ana Silva")
    for days in (5, 15):  # SOON-1 (4 mL, expiring in 10 days) serves the first; nothing is left for the second
        db.session.add(TreatmentSession(patient_id=patient.id, cocktail_version_id=glow.current.id,
                                        scheduled_for=TODAY + timedelta(days=days)))
    bare = make_product("Vitamin C 2 mL", composition=(("ascorbic acid", "active"),), category="vitamin")
    db.session.add(TreatmentSession(patient_id=patient.id, scheduled_for=TODAY + timedelta(days=3),
                                    cocktail_version_id=make_cocktail("Bright", [(bare, "1")]).current.id))
    db.session.flush()
    digest = build_digest(TODAY, 30, "Clinic")
    text = digest.text()
    later = TODAY + timedelta(days=15)
    assert f"session that will lack HA 1% 2 mL <b>: {later}: Ana Silva, Hydra glow" in text
    blocked = next(s for s in digest.sections if s.key == "blocked")
    # within the fortnight only the Bright session (no stock at all); the Hydra glow one is 15 days away
    assert blocked.count == 1 and blocked.lines[0].startswith(f"{TODAY + timedelta(days=3)}: Ana Silva, Bright — ")
