"""The dashboard keeps its figures per process while nothing is committed, and never shows stale ones.

Every change here is committed by another app's connections (another worker or process, as far as the
pages can tell), between two page views of a manager logged in for real.
"""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from formulary.auth.users import create_user
from formulary.catalogue.models import Product
from formulary.clinic_time import clinic_today
from formulary.extensions import db
from formulary.stock import ledger
from formulary.stock.models import Lot
from formulary.vocabulary import MovementKind
from tests.conftest import PASSWORD, log_in


def panel(page: str, section_id: str) -> str:
    """The text of one panel of the page (its <section id=…>)."""
    match = re.search(rf'<section[^>]*id="{section_id}".*?</section>', page, re.S)
    assert match, f"no panel {section_id}"
    return match.group(0)


@pytest.fixture
def clinic(pages_and_writer, make_product):
    """A manager logged in on the pages' app; one lot, LOT-A (5 mL), expiring in ten days."""
    pages, writer = pages_and_writer
    with writer.app_context():
        create_user("boss", PASSWORD, "manager")
        product = make_product("Cache Serum 5 mL", reorder_level="1")
        ledger.receive(product, lot_number="LOT-A", expiry=clinic_today() + timedelta(days=10), quantity="5",
                       received_on=clinic_today(), actor=None, unit_cost="4")
        db.session.commit()
    client = pages.test_client()
    assert log_in(client, "boss").status_code == 200
    return pages, writer, client


def view(client) -> str:
    answer = client.get("/")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def change(writer, how):
    """Commit a change through the other app's own connection."""
    with writer.app_context():
        lot = db.session.scalar(select(Lot).where(Lot.lot_number == "LOT-A"))
        how(lot)
        db.session.commit()


def receipt(lot):
    product = db.session.get(Product, lot.product_id)
    ledger.receive(product, lot_number="LOT-B", expiry=clinic_today() + timedelta(days=12), quantity="3",
                   received_on=clinic_today(), actor=None, unit_cost="4")


CHANGES = {
    # what another connection commits → (the panel it shows in, the lot seen there, the expiring tile's count)
    "receipt": (receipt, "expiring", "LOT-B", 2),
    "administration": (lambda lot: ledger.move(lot, MovementKind.ADMINISTER, Decimal(-5), actor=None),
                       "expiring", None, 0),
    "waste": (lambda lot: ledger.waste(lot, "5", actor=None, reason="broken vials"), "expiring", None, 0),
    "recall": (lambda lot: ledger.set_status(lot, "recalled", actor=None, reason="supplier recall"),
               "recalled", "LOT-A", 0),
    "quarantine": (lambda lot: ledger.set_status(lot, "quarantined", actor=None, reason="cold chain broken"),
                   "quarantined", "LOT-A", 0),
}


@pytest.mark.parametrize("kind", CHANGES)
def test_a_change_committed_elsewhere_shows_on_the_next_view(clinic, kind):
    _pages, writer, client = clinic
    how, section, lot_number, expiring = CHANGES[kind]
    for _ in range(2):  # the second view is answered from the kept figures
        assert "LOT-A" in panel(view(client), "expiring")

    change(writer, how)
    page = view(client)

    assert f"{expiring}</div>\n      <div class=\"text-body\">lot" in page.replace("lots", "lot")  # the tile
    if lot_number is None:
        assert "LOT-A" not in page  # nothing left of it anywhere
    else:
        assert lot_number in panel(page, section)
    if section != "expiring":
        assert "LOT-A" not in panel(page, "expiring")


def test_the_value_and_waste_follow_a_waste_committed_elsewhere(clinic):
    _pages, writer, client = clinic
    before = view(client)
    assert "20.00" in panel(before, "value")  # 5 mL at 4

    change(writer, lambda lot: ledger.waste(lot, "2", actor=None, reason="dropped"))

    assert "12.00" in panel(view(client), "value")


class Statements:
    """The statements one app's engine runs, by kind."""

    def __init__(self, app):
        self.seen: list[str] = []
        with app.app_context():
            self.engine = db.engine
        event.listen(self.engine, "before_cursor_execute", self._note)

    def _note(self, _conn, _cursor, statement, *_args):
        self.seen.append(statement.lstrip().split(None, 1)[0].upper())

    def during(self, action) -> list[str]:
        self.seen = []
        action()
        return self.seen

    def close(self):
        event.remove(self.engine, "before_cursor_execute", self._note)


def test_an_unchanged_database_is_answered_from_the_kept_figures(clinic):
    pages, writer, client = clinic
    view(client)
    change(writer, lambda lot: ledger.waste(lot, "1", actor=None, reason="dropped"))  # what was kept is obsolete
    statements = Statements(pages)
    try:
        first = statements.during(lambda: view(client))
        second = statements.during(lambda: view(client))
        pages.config["DASHBOARD_CACHE"] = False
        cold = statements.during(lambda: view(client))
    finally:
        statements.close()
    reads = [s for s in first if s in ("SELECT", "WITH")]
    # The first view reads every figure; the next only the user and the database's marker.
    assert len(reads) >= 6, first
    assert len([s for s in second if s in ("SELECT", "WITH", "PRAGMA")]) <= 2, second
    # The view writes nothing (a write would change the marker: every view would read everything again).
    assert not {"INSERT", "UPDATE", "DELETE"} & set(first + second), first + second
    # Turned off, every view reads every figure (and no marker).
    assert len([s for s in cold if s in ("SELECT", "WITH")]) >= 6, cold


def test_the_clinics_day_is_part_of_the_key(clinic, monkeypatch):
    _pages, _writer, client = clinic
    today = clinic_today()
    assert "LOT-A" in panel(view(client), "expiring")
    assert "LOT-A" in panel(view(client), "expiring")

    # Eleven days on, with nothing committed, LOT-A (expiring in ten) is expired.
    monkeypatch.setattr("formulary.dashboard.views.clinic_today", lambda: today + timedelta(days=11))
    page = view(client)

    assert "LOT-A" in panel(page, "expired")
    assert "LOT-A" not in panel(page, "expiring")


def test_a_lot_falls_overdue_for_its_count_at_the_time_it_does(clinic, monkeypatch):
    _pages, writer, client = clinic
    now = datetime.now(UTC)

    def counted(lot):
        lot.counted_at = now - timedelta(days=90) + timedelta(hours=1)

    change(writer, counted)
    assert "Every lot in stock was counted in the last 90 days" in view(client)
    assert "Every lot in stock was counted in the last 90 days" in view(client)

    later = now + timedelta(hours=2)  # the same day (or the next: the key changes then anyway)
    monkeypatch.setattr("formulary.stock.product_sums.utcnow", lambda: later)
    monkeypatch.setattr("formulary.dashboard.snapshot_cache.utcnow", lambda: later)
    page = view(client)

    assert "Every lot in stock was counted" not in page
    assert "lots not counted in 90 days" in page


def test_figures_are_read_after_the_marker_even_when_the_request_began_reading_before(clinic):
    """A commit between the request's first read (loading the user) and the marker must not be missed:
    the figures would be older than the marker, kept under it, and shown until the next commit."""
    pages, writer, client = clinic
    from formulary.dashboard.snapshot_cache import figures_for
    from formulary.stock.dashboard import stock_dashboard

    view(client)  # the watcher is open
    with pages.test_request_context("/"):
        db.session.scalar(select(Lot.id).limit(1))  # the request's transaction begins, as loading the user does
        change(writer, receipt)
        kept = figures_for(clinic_today(), 30, 90)
        kept.get("stock", lambda: stock_dashboard(clinic_today(), 30, 90))
        db.session.rollback()
    assert "LOT-B" in panel(view(client), "expiring")
