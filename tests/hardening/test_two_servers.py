"""Two app servers on one PostgreSQL, as behind a proxy: a preview made on one is confirmed on the other.

Nothing an import needs between its preview and its confirm lives on an app server's disk: the
upload waits in the database (pending_upload), so whichever server the proxy picks applies it.
"""

import html
import re
import secrets
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bench.import_e2e import multipart
from bench.server import Response, free_port, request
from formulary.extensions import db
from formulary.spreadsheets.models import PendingUpload
from formulary.stock.models import Lot, StockImport
from tests.conftest import PASSWORD
from tests.hardening.clinic import TODAY, seed_clinic
from tests.hardening.conftest import ON_POSTGRES, ROOT, child_environment

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES, reason="several app servers share one database only on PostgreSQL (FORMULARY_TEST_DATABASE_URL "
                            "is not PostgreSQL); a SQLite file serves one host")

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
HIDDEN = re.compile(r'name="(\w+)" type="hidden" value="([^"]*)"')


class Browser:
    """One user's cookies, sent to whichever server the 'proxy' picks."""

    def __init__(self):
        self.cookie = ""

    def send(self, port: int, method: str, path: str, body: bytes | None = None, content_type: str = "") -> Response:
        headers = {"Cookie": self.cookie, **({"Content-Type": content_type} if content_type else {})}
        answer = request(port, method, path, headers, body)  # type: ignore[arg-type]
        for header in answer.headers.get_all("Set-Cookie") or []:
            if header.startswith("session="):
                self.cookie = header.split(";", 1)[0]
        return answer

    def csrf(self, port: int, path: str) -> str:
        return html.unescape(CSRF.search(self.send(port, "GET", path).body).group(1))

    def post_form(self, port: int, path: str, fields: dict) -> Response:
        return self.send(port, "POST", path, urlencode(fields).encode(), "application/x-www-form-urlencoded")

    def post_file(self, port: int, path: str, fields: dict, name: str, data: bytes) -> Response:
        return self.send(port, "POST", path, *multipart(fields, name, data))


def start_server(url: str, secret: str) -> tuple[subprocess.Popen, int]:
    """`gunicorn -w 1` serving the real app on url, on a free loopback port; returns once it answers."""
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "-w", "1", "-b", f"127.0.0.1:{port}", "--log-level", "warning", "formulary:create_app()"],
        cwd=ROOT, env={**child_environment(url), "FORMULARY_SECRET_KEY": secret},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if request(port, "GET", "/login").status == 200:
                return process, port
        except OSError:
            time.sleep(0.2)
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited while starting")
    process.kill()
    raise RuntimeError("gunicorn did not answer within 30 s")


def test_a_preview_on_one_server_is_confirmed_on_the_other(real_app, real_database_url):
    with real_app.app_context():
        clinic = seed_clinic()
    secret = secrets.token_hex(32)  # what the app servers of one chain share, with the database
    servers = [start_server(real_database_url, secret) for _ in range(2)]
    (_, first), (_, second) = servers
    assert first != second
    try:
        browser = Browser()
        login = {"username": clinic.manager, "password": PASSWORD, "csrf_token": browser.csrf(first, "/login")}
        assert browser.post_form(first, "/login", login).status == 302
        expiry = (TODAY + timedelta(days=400)).isoformat()
        delivery = f"Product,Lot,Expiry,Qty\nHA 1% 2 mL,TWO-1,{expiry},7\nHA 1% 2 mL,TWO-2,{expiry},3\n".encode()
        form = {"csrf_token": browser.csrf(first, "/stock/spreadsheets/"), "mode": "delivery"}
        preview = browser.post_file(first, "/stock/spreadsheets/upload", form, "delivery.csv", delivery)
        assert preview.status == 200 and "Preview of delivery.csv" in preview.body, preview.body[:500]
        confirm = preview.body[preview.body.index('action="/stock/spreadsheets/confirm"'):]
        fields = {key: html.unescape(value) for key, value in HIDDEN.findall(confirm[:confirm.index("</form>")])}
        assert set(fields) >= {"csrf_token", "sha256", "signature", "changes"}

        done = browser.post_form(second, "/stock/spreadsheets/confirm", fields)
        assert done.status == 302 and "/stock/spreadsheets/imports/" in done.headers["Location"], done.body[:500]
        again = browser.post_form(first, "/stock/spreadsheets/confirm", fields)
        assert again.status == 409  # applied once, on whichever server: the upload is gone for both
    finally:
        for process, _port in servers:
            process.terminate()
        for process, _port in servers:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    with real_app.app_context():
        lots = {lot.lot_number: lot.on_hand for lot in db.session.scalars(select(Lot)) if lot.lot_number != "LOT-1"}
        assert lots == {"TWO-1": 7, "TWO-2": 3}
        assert db.session.scalar(select(StockImport.rows)) == 2
        assert db.session.scalars(select(PendingUpload)).all() == []
