"""gunicorn serving the bench app on a free local port, and a client that logs in as a browser does."""

from __future__ import annotations

import html
import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="(?:[\w-]+-)?csrf_token"(?: type="hidden")? value="([^"]+)"')
TOKEN = re.compile(r'id="new-token">([^<]+)<')


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: str


def request(port: int, method: str, path: str, headers: dict | None = None, body: str | None = None) -> Response:
    """One HTTP request to the local server."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return Response(answer.status, answer.headers, answer.read().decode("utf-8", "replace"))
    finally:
        connection.close()


def _session_cookie(response: Response, current: str | None) -> str | None:
    for header in response.headers.get_all("Set-Cookie") or []:
        if header.startswith("session="):
            return header.split(";", 1)[0]
    return current


def _csrf(page: str) -> str:
    match = CSRF.search(page)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return html.unescape(match.group(1))


def log_in(port: int, username: str, password: str) -> str:
    """Post the real login form (CSRF token included); the session cookie, as a Cookie header value."""
    page = request(port, "GET", "/login")
    cookie = _session_cookie(page, None)
    form = {"username": username, "password": password, "csrf_token": _csrf(page.body)}
    answer = request(port, "POST", "/login", {"Cookie": cookie or "", "Content-Type":
                                              "application/x-www-form-urlencoded"}, urlencode(form))
    cookie = _session_cookie(answer, cookie)
    if answer.status != 302 or cookie is None:
        raise RuntimeError(f"logging in as {username} failed (HTTP {answer.status})")
    return cookie


def create_token(port: int, cookie: str) -> tuple[str, str]:
    """Create an API token on the Profile page, as a user would; the token, and the session cookie
    (the form's CSRF secret now rides in it)."""
    page = request(port, "GET", "/profile", {"Cookie": cookie})
    cookie = _session_cookie(page, cookie)
    form = {"tok-name": "page bench", "tok-submit": "Create token", "tok-csrf_token": _csrf(page.body)}
    answer = request(port, "POST", "/profile", {"Cookie": cookie, "Content-Type":
                                                "application/x-www-form-urlencoded"}, urlencode(form))
    cookie = _session_cookie(answer, cookie)
    match = TOKEN.search(answer.body)
    if answer.status != 200 or not match:
        raise RuntimeError(f"creating an API token failed (HTTP {answer.status})")
    return html.unescape(match.group(1).strip()), cookie


class Server:
    """`gunicorn -w 2 'bench.app:create_app()'` on 127.0.0.1, in production configuration, on one database."""

    def __init__(self, database_url: str, workers: int = 2, settings: dict[str, str] | None = None):
        self.port = free_port()
        self.database_url = database_url
        self.workers = workers
        self.settings = settings or {}  # more environment, e.g. {"FORMULARY_DASHBOARD_CACHE": "0"}
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        env = {**os.environ, "FORMULARY_DATABASE_URL": self.database_url, "FORMULARY_ENV": "production",
               "FORMULARY_SECRET_KEY": secrets.token_hex(32), **self.settings}
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [str(gunicorn), "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}", "--chdir", str(ROOT),
             "--log-level", "warning", "bench.app:create_app()"],
            env=env, cwd=ROOT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if request(self.port, "GET", "/bench/hello").status == 200:
                    return self
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited while starting")
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError("gunicorn did not answer within 30 s")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
