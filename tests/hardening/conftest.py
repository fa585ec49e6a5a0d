"""Hardening fixtures: a database of its own that really commits (one per test), and the figures reported.

The rest of the suite runs inside one rolled-back transaction; these tests need several connections,
processes and crashes, so each gets a freshly migrated database: a SQLite file in its temporary folder,
or on PostgreSQL a database named after the base one (`<base>_hardening`), dropped afterwards.
"""

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from config import TestingConfig
from formulary import create_app
from formulary.extensions import db
from tests.conftest import RequestClient
from tests.figures import Figures

BASE_URL = os.environ.get("FORMULARY_TEST_DATABASE_URL", "")
ON_POSTGRES = BASE_URL.startswith("postgresql")
ROOT = Path(__file__).resolve().parents[2]
FIGURES = Figures("hardening figures")
pytest_terminal_summary = FIGURES.summary
figures = FIGURES.fixture()


def server_url(name: str) -> str:
    """The URL of another database on the base URL's PostgreSQL server."""
    return BASE_URL.rsplit("/", 1)[0] + "/" + name


def own_database(tmp_path: Path, suffix: str):
    """Yield the URL of an empty database of the test's own: a SQLite file in `tmp_path`, or on PostgreSQL
    `<base>_<suffix>`, created first and dropped afterwards."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'formulary.db'}"
        return
    name = BASE_URL.rsplit("/", 1)[1].split("?")[0] + "_" + suffix
    admin = create_engine(BASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server_url(name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def real_database_url(tmp_path):
    """An empty database of this test's own: a SQLite file, or `<base>_hardening` on PostgreSQL."""
    yield from own_database(tmp_path, "hardening")


def app_for(url: str, **settings):
    """The app on a database, as the test suite configures it (fast hashing, CSRF on)."""

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        # 20 threads each hold a connection for a whole transaction.
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_size": 25, "max_overflow": 5}

    for key, value in settings.items():
        setattr(Config, key, value)
    app = create_app(Config)
    app.test_client_class = RequestClient
    return app


@pytest.fixture
def real_app(real_database_url):
    """A freshly migrated app on its own database, with real sessions that commit (one per app context)."""
    from flask_migrate import upgrade

    app = app_for(real_database_url)
    isolated = db.session  # the rolled-back test session; restored below
    db.session = db._make_scoped_session({})
    try:
        with app.app_context():
            upgrade()
        yield app
    finally:
        db.session.remove()
        db.session = isolated
        with app.app_context():
            db.engine.dispose()


def child_environment(url: str) -> dict[str, str]:
    """The environment of a child process running the real app on url (tests/hardening/child.py)."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    # Consent is required in development; these tests are about transactions, as the test config's are.
    return {**os.environ, "FORMULARY_DATABASE_URL": url, "FORMULARY_ENV": "development", "PYTHONPATH": path,
            "PYTHONUNBUFFERED": "1", "FORMULARY_REQUIRE_CONSENT": "off"}
