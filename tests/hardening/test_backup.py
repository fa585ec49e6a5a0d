"""`formulary backup FILE` and `formulary restore FILE`: a copy made while the app works, and back, all there.

SQLite: the online backup API, checked; PostgreSQL: the commands print the pg_dump and pg_restore
lines to run, and (where those tools are installed) those very lines round-trip the database.
"""

import shlex
import shutil
import sqlite3
import subprocess
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from formulary.catalogue.models import Product
from formulary.extensions import db
from formulary.stock.models import Lot
from tests.hardening.clinic import TODAY, checksums, dump, ledger_mismatches, plan_sessions, seed_clinic, user
from tests.hardening.conftest import ON_POSTGRES, app_for

on_sqlite = pytest.mark.skipif(
    ON_POSTGRES,
    reason="the SQLite backup API; PostgreSQL is backed up by pg_dump "
           "(test_the_printed_pg_dump_and_pg_restore_lines_round_trip)")


def cli(app, *args: str, **kwargs):
    """Run a formulary command on this app (the suite's own app context is pushed around every test)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args), **kwargs)


def engine_of(app):
    with app.app_context():
        return db.engine


def load_demo_clinic(app) -> None:
    from formulary.provision import set_up

    with app.app_context():
        set_up(demo=True)


class Writer(threading.Thread):
    """A manager receiving stock over and over, one committed transaction each, until stopped."""

    def __init__(self, app):
        super().__init__()
        self.app, self.stop, self.written, self.error = app, threading.Event(), 0, None

    def run(self) -> None:
        from formulary.stock.ledger import receive_more

        try:
            while not self.stop.is_set():
                with self.app.app_context():
                    lot = db.session.scalar(
                        select(Lot).where(Lot.status == "available").order_by(Lot.id).limit(1))
                    receive_more(lot, Decimal(1), actor=None, reason="delivery during the backup")
                    db.session.commit()
                self.written += 1
        except BaseException as error:
            self.error = error
            raise

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 30
        while self.written < count:
            assert self.error is None and time.monotonic() < deadline, f"the writer stopped: {self.error!r}"
            time.sleep(0.01)


def consistent(backup: Path) -> tuple[str, int]:
    """SQLite's own check of a backup file, and how many of its lots disagree with their ledger."""
    connection = sqlite3.connect(backup)
    try:
        check = connection.execute("PRAGMA integrity_check").fetchone()[0]
        disagree = connection.execute(
            "SELECT count(*) FROM lot WHERE round(on_hand, 3) != round(coalesce("
            "(SELECT sum(quantity) FROM stock_movement WHERE lot_id = lot.id), 0), 3)").fetchone()[0]
        return check, disagree
    finally:
        connection.close()


@on_sqlite
def test_a_backup_taken_while_the_app_writes_is_one_consistent_moment(real_app, tmp_path, figures):
    load_demo_clinic(real_app)
    writer = Writer(real_app)
    writer.start()
    try:
        writer.wait_for(5)  # well under way
        result = cli(real_app, "backup", str(tmp_path / "during.db"))
        writer.wait_for(writer.written + 5)  # and carrying on after: the backup never stopped it
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Backed up {make_url(engine_of(real_app).url).database} into "
                                    f"{tmp_path / 'during.db'}: {len(db.metadata.tables) + 1} tables, ")
    assert consistent(tmp_path / "during.db") == ("ok", 0)
    assert (tmp_path / "during.db").stat().st_mode & 0o077 == 0  # readable by its owner only
    assert not list(tmp_path.glob("*.partial"))
    figures(f"backup (SQLite, while in use): taken while another thread committed {writer.written} receipts; "
            "the file passes integrity_check, ledger == on hand in it, mode 600")


@on_sqlite
def test_backup_and_restore_round_trip_with_nothing_lost(real_app, tmp_path, figures):
    load_demo_clinic(real_app)
    engine = engine_of(real_app)
    backup = tmp_path / "clinic-backup.db"
    before = dump(engine)
    assert cli(real_app, "backup", str(backup)).exit_code == 0

    # Life goes on after the backup: an administration, stock wasted, a recall.
    from formulary.stock.ledger import set_status, waste
    from formulary.treatments.models import TreatmentSession
    from formulary.treatments.sessions import administer

    with real_app.app_context():
        clinic = seed_clinic(components=(("Backup HA 2 mL", "2", "6"),), patients=1)
        session = db.session.get(TreatmentSession, plan_sessions(clinic.cocktail_id, clinic.patient_ids,
                                                                  clinic.practitioners[0])[0])
        administer(session, actor=user(clinic.manager), today=TODAY)
        lot = db.session.get(Lot, clinic.lot_ids[0])
        waste(lot, Decimal(1), actor=None, reason="dropped")
        set_status(lot, "recalled", actor=None, reason="supplier recall")
        db.session.commit()
    changed = dump(engine)
    assert changed != before

    refusals = refuse_bad_backups(real_app, tmp_path, backup)
    assert dump(engine) == changed  # every refusal left the database alone

    result = cli(real_app, "restore", str(backup), "--yes")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Restored {make_url(engine.url).database} from {backup}: {len(db.metadata.tables) + 1} tables, ")
    after = dump(engine)
    assert checksums(after) == checksums(before)
    assert after == before  # every row of every table, value for value
    with real_app.app_context():  # and the running app works on the restored database
        assert ledger_mismatches() == []
        assert db.session.scalar(
            select(func.count()).select_from(Product).where(Product.name == "Backup HA 2 mL")) == 0
    assert real_app.test_client().get("/login").status_code == 200
    rows = sum(count for count, _digest in checksums(before).values())
    figures(f"backup/restore (SQLite): {len(before)} tables, {rows:,} rows — counts and SHA-256 of every "
            f"table equal after the round trip; {len(refusals)} bad restores and backups refused with "
            f"nothing changed ({'; '.join(refusals)})")


def refuse_bad_backups(app, tmp_path: Path, backup: Path) -> list[str]:
    """Restores that must be refused, each with its sentence; returns what was tried."""
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database\n")
    workbook = tmp_path / "stock.xlsx"
    workbook.write_bytes(b"PK\x03\x04" + bytes(200))
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(backup.read_bytes()[: backup.stat().st_size // 3])
    newer = tmp_path / "newer.db"
    shutil.copy(backup, newer)
    with sqlite3.connect(newer) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'f00dfeedbeef'")
    cases = [
        (text_file, f"Error: {text_file} is not a formulary backup: it is not a SQLite database file."),
        (workbook, f"Error: {workbook} is not a formulary backup: it is not a SQLite database file."),
        (other, f"Error: {other} is a SQLite database but not a formulary backup (it has no alembic_version, "
                "user, patient, product, lot, stock_movement, audit_event table)."),
        (truncated, f"Error: {truncated} cannot be read as a formulary backup "
                    "(database disk image is malformed)."),
        (newer, f"Error: {newer} has schema revision f00dfeedbeef, which this version of formulary does not "
                "know (a backup from a newer version?); nothing was changed."),
        (tmp_path / "missing.db", f"Error: There is no file {tmp_path / 'missing.db'}."),
    ]
    tried = []
    for path, message in cases:
        result = cli(app, "restore", str(path), "--yes")
        assert result.exit_code == 1 and result.output.startswith(message), result.output
        tried.append(path.name)
    # Without --yes it asks; anything but yes keeps the database.
    result = cli(app, "restore", str(backup), input="n\n")
    assert result.exit_code == 1 and "Everything written since that backup is lost [y/N]" in result.output
    assert result.output.rstrip().endswith("Aborted!")
    tried.append("no --yes, answered n")
    # A backup never overwrites: not even an older backup.
    result = cli(app, "backup", str(backup))
    assert result.exit_code == 1 and "already exists; a backup never overwrites" in result.output
    tried.append("backup onto an existing file")
    # Nor writes where another backup is being written (or one was interrupted).
    (tmp_path / "again.db.partial").write_bytes(b"")
    result = cli(app, "backup", str(tmp_path / "again.db"))
    assert result.exit_code == 1
    assert "again.db.partial exists: another backup is being written" in result.output
    assert not (tmp_path / "again.db").exists()
    tried.append("backup where another is being written")
    return tried


def test_on_postgresql_the_commands_print_the_pg_dump_and_pg_restore_lines(figures):
    app = app_for("postgresql+psycopg://clinic:s3cret@db.example:5432/formulary")
    backup = cli(app, "backup", "nightly dump.pgc")
    assert backup.exit_code == 1
    assert "formulary does not copy a PostgreSQL database itself" in backup.output
    assert ("\n  pg_dump --format=custom --no-owner --file='nightly dump.pgc' "
            "postgresql://clinic@db.example:5432/formulary\n") in backup.output
    restore = cli(app, "restore", "nightly dump.pgc", "--yes")
    assert restore.exit_code == 1
    assert ("\n  pg_restore --clean --if-exists --no-owner --single-transaction "
            "--dbname=postgresql://clinic@db.example:5432/formulary 'nightly dump.pgc'\n") in restore.output
    assert "s3cret" not in backup.output + restore.output and "PGPASSWORD" in backup.output
    figures("backup/restore (PostgreSQL): both commands refuse (exit 1) and print the pg_dump / pg_restore "
            "line to run, without the password")


@pytest.mark.skipif(not ON_POSTGRES or not shutil.which("pg_dump") or not shutil.which("pg_restore"),
                    reason="needs PostgreSQL and its pg_dump and pg_restore tools")
def test_the_printed_pg_dump_and_pg_restore_lines_round_trip(real_app, tmp_path, figures):
    load_demo_clinic(real_app)
    engine = engine_of(real_app)
    file = str(tmp_path / "clinic.dump")
    before = dump(engine)
    subprocess.run(printed_command(cli(real_app, "backup", file).output), check=True, timeout=60)
    with real_app.app_context():
        lot = db.session.scalar(select(Lot).limit(1))
        from formulary.stock.ledger import waste
        waste(lot, lot.on_hand, actor=None, reason="after the backup")
        db.session.commit()
    assert dump(engine) != before
    engine.dispose()  # "stop the app": pg_restore drops and recreates every table
    subprocess.run(printed_command(cli(real_app, "restore", file).output), check=True, timeout=60)
    after = dump(engine)
    assert checksums(after) == checksums(before) and after == before
    rows = sum(count for count, _digest in checksums(before).values())
    figures(f"backup/restore (PostgreSQL, the printed pg_dump/pg_restore lines): {len(before)} tables, "
            f"{rows:,} rows equal after the round trip")


def printed_command(output: str) -> list[str]:
    line = next(line.strip() for line in output.splitlines() if line.startswith("  pg_"))
    return shlex.split(line)
