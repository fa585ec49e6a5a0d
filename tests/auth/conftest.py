"""Fixtures for logins: a clock the login throttle reads, and browsers at chosen addresses."""

from datetime import timedelta

import pytest

from formulary.db import utcnow


class Clock:
    """Now, as the login throttle sees it; moved forward by hand."""

    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("formulary.auth.users.utcnow", clock)
    monkeypatch.setattr("formulary.auth.admin.utcnow", clock)
    return clock


@pytest.fixture
def browser_at(app):
    """browser_at("203.0.113.9") → a test client whose requests come from that address."""

    def build(address: str):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return client

    return build
