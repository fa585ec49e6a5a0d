"""A database that really commits, served by one app (the pages) and changed through another (its own
connections, as another worker or process would): the kept dashboard figures are tested against it.

The rest of the suite runs inside one rolled-back transaction, where nothing is ever committed. Each test
here gets a freshly migrated database: a SQLite file in its temporary folder, or on PostgreSQL a database
named after the base one (`<base>_snapshot`), dropped afterwards.
"""

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from formulary.extensions import db
from tests.hardening.conftest import BASE_URL, ON_POSTGRES, app_for, server_url


@pytest.fixture
def committed_url(tmp_path):
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'formulary.db'}"
        return
    name = BASE_URL.rsplit("/", 1)[1].split("?")[0] + "_snapshot"
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
def pages_and_writer(committed_url):
    """(the app serving the pages, another app on the same database with its own connections)."""
    pages, writer = app_for(committed_url), app_for(committed_url)
    isolated = db.session  # the rolled-back test session; restored below
    db.session = db._make_scoped_session({})
    try:
        with pages.app_context():
            upgrade()
        yield pages, writer
    finally:
        db.session.remove()
        db.session = isolated
        for app in (pages, writer):
            with app.app_context():
                db.engine.dispose()
