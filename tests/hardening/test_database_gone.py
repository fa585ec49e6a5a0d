"""The database gone, before or in the middle of a request: a clean 503, no traceback, nothing half-saved.

On PostgreSQL the request's own server connection is really terminated (pg_terminate_backend) just
before a chosen statement; on SQLite that statement fails as a vanished disk makes it fail
("disk I/O error"). A database that cannot be reached at all is a closed port or a missing folder.
"""

import re
import sqlite3
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url

from formulary.extensions import db
from formulary.stock.models import Lot, StockMovement
from tests.conftest import log_in
from tests.hardening.clinic import seed_clinic
from tests.hardening.conftest import BASE_URL, ON_POSTGRES, app_for

PAGE_TITLE = "The database is not reachable"
SENTENCE = "The database did not answer. Nothing was saved; try again shortly."


class Fault:
    """Break the connection just before the next statement that matches `pattern`, once."""

    def __init__(self, engine):
        self.engine, self.pattern, self.fired = engine, None, 0
        self.admin = create_engine(BASE_URL, isolation_level="AUTOCOMMIT") if ON_POSTGRES else None
        event.listen(engine, "before_cursor_execute", self.before)

    def arm(self, pattern: str) -> None:
        self.pattern = re.compile(pattern, re.IGNORECASE)

    def before(self, connection, cursor, statement, parameters, context, executemany):
        if self.pattern is None or not self.pattern.search(statement):
            return
        self.pattern = None
        self.fired += 1
        if self.admin is None:
            raise sqlite3.OperationalError("disk I/O error")
        pid = connection.connection.dbapi_connection.info.backend_pid
        with self.admin.connect() as admin:
            assert admin.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self.before)
        if self.admin is not None:
            self.admin.dispose()


def clean_page(response) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == 503, html[:500]
    assert PAGE_TITLE in html and SENTENCE in html
    assert "Traceback" not in html and "OperationalError" not in html and "sqlalchemy" not in html.lower()
    return html


def clean_json(response) -> dict:
    assert response.status_code == 503, response.get_data(as_text=True)[:500]
    assert response.is_json and response.json == {"message": SENTENCE}
    return response.json


@pytest.fixture
def fault(real_app):
    with real_app.app_context():
        fault = Fault(db.engine)
    yield fault
    fault.close()


def test_the_database_dies_in_the_middle_of_requests(real_app, fault, figures):
    with real_app.app_context():
        clinic = seed_clinic(components=(("HA 1% 2 mL", "2", "10"),), tokens=True)
    lot_id = clinic.lot_ids[0]
    bearer = {"Authorization": f"Bearer {clinic.tokens[clinic.manager]}"}
    client = real_app.test_client()
    assert log_in(client, clinic.manager).status_code == 200

    # A page: the user is loaded, then the lot list's query finds the database gone.
    fault.arm(r"\bFROM lot\b")
    clean_page(client.get("/stock"))
    assert client.get("/stock").status_code == 200  # the next request gets a fresh connection

    # The API, reading.
    fault.arm(r"\bFROM lot\b")
    clean_json(client.get("/api/v1/lots", headers=bearer))
    assert client.get("/api/v1/lots", headers=bearer).status_code == 200

    # The API, writing: the lot is read, then the database goes before the stock moves. Nothing moves.
    fault.arm(r"^UPDATE lot\b")
    clean_json(client.post(f"/api/v1/lots/{lot_id}/movements", headers=bearer,
                           json={"kind": "waste", "quantity": 2, "reason": "broken vial"}))
    with real_app.app_context():
        assert db.session.get(Lot, lot_id).on_hand == Decimal(10)
        assert db.session.scalar(select(func.count()).select_from(StockMovement)) == 1
    response = client.post(f"/api/v1/lots/{lot_id}/movements", headers=bearer,
                           json={"kind": "waste", "quantity": 2, "reason": "broken vial"})
    assert response.status_code == 201
    assert fault.fired == 3
    how = "backend terminated" if ON_POSTGRES else "disk I/O error"
    figures(f"faults (database gone mid-request, {'PostgreSQL' if ON_POSTGRES else 'SQLite'}, {how}): "
            "3 requests (page, API read, API write) → 3 clean 503 answers, no traceback, nothing saved; "
            "the next request on each worked")


def unreachable_url(tmp_path) -> str:
    """A PostgreSQL server that is down (nothing listens on port 1), or a SQLite file whose folder is gone."""
    if ON_POSTGRES:
        return make_url(BASE_URL).set(host="127.0.0.1", port=1).render_as_string(hide_password=False)
    return f"sqlite:///{tmp_path / 'no such folder' / 'formulary.db'}"


def test_a_database_that_cannot_be_reached_at_all(real_app, tmp_path, figures):
    with real_app.app_context():
        clinic = seed_clinic(tokens=True)
    # A browser logged in while the database was there keeps its cookie; the app restarts without one.
    logged_in = real_app.test_client()
    assert log_in(logged_in, clinic.manager).status_code == 200
    cookie = logged_in.get_cookie("session")

    gone = app_for(unreachable_url(tmp_path))
    client = gone.test_client()
    assert client.get("/login").status_code == 200  # the login page needs no database
    from tests.conftest import csrf_token

    token = csrf_token(client, "/login")
    bearer = {"Authorization": f"Bearer {clinic.tokens[clinic.manager]}"}
    clean_page(client.post("/login", data={"username": clinic.manager, "password": "a-long-test-password",
                                           "csrf_token": token}))
    client.set_cookie("session", cookie.value)
    clean_page(client.get("/stock"))
    clean_json(client.get("/api/v1/lots", headers=bearer))
    how = "PostgreSQL, closed port" if ON_POSTGRES else "SQLite, missing folder"
    figures(f"faults (database unreachable, {how}): log in, a logged-in page, an API call → 3 clean 503 "
            "answers, no traceback")


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's single writer lock: PostgreSQL locks rows, not the database")
def test_a_writer_that_never_lets_go_ends_in_a_clean_503(real_app, real_database_url, monkeypatch, figures):
    import time

    from formulary import db as database

    with real_app.app_context():
        clinic = seed_clinic(components=(("HA 1% 2 mL", "2", "10"),), tokens=True)
    bearer = {"Authorization": f"Bearer {clinic.tokens[clinic.manager]}"}
    client = real_app.test_client()
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 300)  # instead of 10 s
    other = sqlite3.connect(make_url(real_database_url).database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock and never commits
    try:
        started = time.monotonic()
        clean_json(client.post(f"/api/v1/lots/{clinic.lot_ids[0]}/movements", headers=bearer,
                               json={"kind": "waste", "quantity": 2, "reason": "broken vial"}))
        waited = time.monotonic() - started
    finally:
        other.rollback()
        other.close()
    assert 0.3 <= waited < 2
    response = client.post(f"/api/v1/lots/{clinic.lot_ids[0]}/movements", headers=bearer,
                           json={"kind": "waste", "quantity": 2, "reason": "broken vial"})
    assert response.status_code == 201  # once the lock is free the same write goes through
    figures(f"faults (SQLite write lock never released): the API write waited {waited:.2f} s (limit 0.3 s "
            "here, 10 s in use), then a clean 503; the next one succeeded")
