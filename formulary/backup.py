"""Backing up and restoring the database: SQLite by its online backup API, PostgreSQL by pg_dump.

A backup holds everything, patients' allergy records and password hashes included, so the
file is created readable by its owner only; keep it as safe as the database itself.
"""

import os
import shlex
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

SQLITE_HEADER = b"SQLite format 3\x00"
# Tables every formulary database has: a SQLite file without them is not a formulary backup.
REQUIRED_TABLES = ("alembic_version", "user", "patient", "product", "lot", "stock_movement", "audit_event")
BUSY_TIMEOUT_MS = 10_000
PASSWORD_NOTE = "\n\n(the password is left out of the line: it comes from PGPASSWORD or ~/.pgpass)"
UPGRADE_NOTE = "The backup is from an older version of formulary: run `formulary setup` now to upgrade it."


class BackupError(Exception):
    """A backup or restore refused, with a sentence saying why; nothing was written."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds: its schema revision and how many tables and rows."""

    path: Path
    revision: str
    tables: int
    rows: int

    def describe(self) -> str:
        """"42 tables, 1,234 rows, schema revision 1526ae6f39b0" for messages."""
        return f"{self.tables} tables, {self.rows:,} rows, schema revision {self.revision}"


def sqlite_file(url: str | URL) -> Path | None:
    """The database file of a SQLite URL; None for another database. An in-memory one is refused."""
    url = make_url(url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:" or url.database.startswith("file::memory:"):
        raise BackupError("This database lives in memory only: there is nothing on disk to back up.")
    return Path(url.database)


def back_up_sqlite(database: Path, destination: str | Path) -> BackupInfo:
    """Copy a live SQLite database into a new file with SQLite's online backup API.

    The copy is one consistent snapshot even while the app writes (WAL lets writers carry on),
    is written under a temporary name and renamed only once checked, and never overwrites.
    """
    destination = Path(destination)
    if destination.exists():
        raise BackupError(f"{destination} already exists; a backup never overwrites a file: pick a new name.")
    if not destination.parent.is_dir():
        raise BackupError(f"The folder {destination.parent} does not exist.")
    partial = destination.with_name(destination.name + ".partial")
    # Created empty (a valid empty database) and private, before SQLite writes into it.
    try:
        os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        raise BackupError(f"{partial} exists: another backup is being written there, or one was interrupted; "
                          "remove that file and try again.") from None
    try:
        source = _open(database, "rw")
        try:
            target = sqlite3.connect(partial)
            try:
                source.backup(target)  # all pages in one step: one snapshot of one moment
                target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
            finally:
                target.close()
        finally:
            source.close()
        info = inspect_backup(partial)
        os.replace(partial, destination)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupInfo(destination, info.revision, info.tables, info.rows)


def inspect_backup(path: str | Path) -> BackupInfo:
    """Check that a file is a sound formulary SQLite backup and say what it holds; BackupError if not."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"There is no file {path}.")
    with path.open("rb") as file:
        if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupError(f"{path} is not a formulary backup: it is not a SQLite database file.")
    try:
        connection = _open(path, "ro")
        try:
            connection.execute("PRAGMA trusted_schema = OFF")
            check = connection.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"{path} is damaged (SQLite's check says: {check}); it cannot be restored.")
            tables = [row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
            missing = [name for name in REQUIRED_TABLES if name not in tables]
            if missing:
                raise BackupError(f"{path} is a SQLite database but not a formulary backup "
                                  f"(it has no {', '.join(missing)} table).")
            revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            rows = sum(connection.execute(f"SELECT count(*) FROM {_quoted(name)}").fetchone()[0]  # noqa: S608
                       for name in tables)
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} cannot be read as a formulary backup ({error}).") from None
    if revision is None:
        raise BackupError(f"{path} is not a formulary backup: it has no schema revision.")
    return BackupInfo(path, revision[0], len(tables), rows)


def restore_sqlite(source: str | Path, database: Path) -> BackupInfo:
    """Replace the whole database with a checked backup, in one step, through the backup API.

    Other connections wait for it (busy timeout) and then see the restored database.
    """
    info = inspect_backup(source)
    backup = _open(Path(source), "ro")
    try:
        target = sqlite3.connect(database, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            backup.backup(target)
            target.execute("PRAGMA journal_mode = WAL")  # as every formulary connection wants it
        finally:
            target.close()
    finally:
        backup.close()
    return info


@dataclass(frozen=True)
class RestorePlan:
    """A backup checked against this installation, ready to replace its database."""

    info: BackupInfo
    database: Path
    note: str | None  # said after the restore (an older schema to upgrade)

    @property
    def question(self) -> str:
        return (f"Replace the whole database {self.database} with {self.info.path} ({self.info.describe()})? "
                "Everything written since that backup is lost")


def back_up(url: str | URL, file: str) -> str:
    """Back up the database into a new file, saying so. PostgreSQL: refused, naming pg_dump."""
    database = sqlite_file(url)
    if database is None:
        raise BackupError("formulary does not copy a PostgreSQL database itself: pg_dump does, consistently "
                          "and while the app runs. Nothing was written. Run:\n\n  "
                          + pg_dump_command(url, file) + PASSWORD_NOTE)
    info = back_up_sqlite(database, file)
    return f"Backed up {database} into {info.path}: {info.describe()}."


def check_restore(url: str | URL, file: str, migrations: str) -> RestorePlan:
    """Check a backup before anything is replaced: a sound formulary backup of a schema this version knows."""
    database = sqlite_file(url)
    if database is None:
        raise BackupError("formulary does not restore a PostgreSQL database itself: pg_restore does, in one "
                          "transaction. Nothing was changed. Stop the app, then run:\n\n  "
                          + pg_restore_command(url, file) + PASSWORD_NOTE)
    info = inspect_backup(file)
    known, heads = migration_revisions(migrations)
    if info.revision not in known:
        raise BackupError(f"{info.path} has schema revision {info.revision}, which this version of formulary "
                          "does not know (a backup from a newer version?); nothing was changed.")
    note = None if info.revision in heads else UPGRADE_NOTE
    return RestorePlan(info, database, note)


def restore(plan: RestorePlan) -> list[str]:
    """Replace the database as planned; the lines to print."""
    info = restore_sqlite(plan.info.path, plan.database)
    return [f"Restored {plan.database} from {info.path}: {info.describe()}.", *filter(None, [plan.note])]


def migration_revisions(directory: str) -> tuple[set[str], set[str]]:
    """Every revision of the migration scripts, and the heads."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", directory)
    scripts = ScriptDirectory.from_config(config)
    return {script.revision for script in scripts.walk_revisions()}, set(scripts.get_heads())


def libpq_url(url: str | URL) -> str:
    """The URL pg_dump and pg_restore understand: no SQLAlchemy driver, no password in it."""
    url = make_url(url)
    bare = URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                      database=url.database, query=url.query)
    return bare.render_as_string(hide_password=False)


def pg_dump_command(url: str | URL, file: str) -> str:
    """The pg_dump command line that backs up this PostgreSQL database into file."""
    return f"pg_dump --format=custom --no-owner --file={shlex.quote(file)} {shlex.quote(libpq_url(url))}"


def pg_restore_command(url: str | URL, file: str) -> str:
    """The pg_restore command line that replaces this PostgreSQL database with file, all or nothing."""
    return (f"pg_restore --clean --if-exists --no-owner --single-transaction "
            f"--dbname={shlex.quote(libpq_url(url))} {shlex.quote(file)}")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _open(path: Path, mode: str) -> sqlite3.Connection:
    """A connection to an existing file only (never creating one), waiting for writers."""
    if not path.is_file():
        raise BackupError(f"There is no database file {path}.")
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True,
                                 timeout=BUSY_TIMEOUT_MS / 1000)
    return connection
