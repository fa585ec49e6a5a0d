"""A database that really commits, served by one app (the pages) and changed through another (its own
connections, as another worker or process would): the kept dashboard figures are tested against it.

The rest of the suite runs inside one rolled-back transaction, where nothing is ever committed. Each test
here gets a freshly migrated database: a SQLite file in its temporary folder, or on PostgreSQL a database
named after the base one (`<base>_snapshot`), dropped afterwards.
"""

import pytest
from flask_migrate import upgrade

from formulary.extensions import db
from tests.hardening.conftest import app_for, own_database


@pytest.fixture
def committed_url(tmp_path):
    yield from own_database(tmp_path, "snapshot")


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
