"""Both databases: SQLite's per-connection settings, migrations without drift, append-only audit."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from formulary.audit.log import record
from formulary.db import built_on
from formulary.extensions import db


def test_sqlite_connections_enforce_foreign_keys_wal_and_busy_timeout(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def _fresh_database_url(tmp_path, base_url):
    """An empty database of the kind under test: a new SQLite file, or a new PostgreSQL db."""
    if base_url is None or base_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'migrate.db'}", None
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS formulary_migration_test"))
        connection.execute(text("CREATE DATABASE formulary_migration_test"))
    return base_url.rsplit("/", 1)[0] + "/formulary_migration_test", admin


# SQLite cannot reflect expression indexes (lower(name)); PostgreSQL compares them.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_migrations_upgrade_an_empty_database_to_head_without_drift(tmp_path):
    from config import TestingConfig
    from formulary import create_app

    url, admin = _fresh_database_url(tmp_path, os.environ.get("FORMULARY_TEST_DATABASE_URL"))

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(Config)
    try:
        with app.app_context():
            upgrade()
            with db.engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={
                    "compare_type": True, "include_object": built_on(connection.dialect.name)})
                drift = compare_metadata(context, db.metadata)
            db.engine.dispose()
        assert drift == []
    finally:
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text("DROP DATABASE IF EXISTS formulary_migration_test"))


def test_audit_rows_cannot_be_changed_or_deleted(app, make_user):
    user = make_user("admin")
    event = record("test.event", actor=user, detail="x")
    db.session.commit()
    for statement in ("UPDATE audit_event SET detail = 'y' WHERE id = :id",
                      "DELETE FROM audit_event WHERE id = :id"):
        nested = db.session.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement), {"id": event.id})
        nested.rollback()
