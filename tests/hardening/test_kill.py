"""A process killed in the middle of an administration or an import leaves the database exactly as before.

A child process (tests/hardening/child.py) runs the real app on this test's database, stops inside its
one transaction once it has written part of its work, and is killed with SIGKILL: no handler, no
rollback of its own. The database, dumped whole before and after, must not have changed by one row;
and the same work, done again, must go through.
"""

import json
import select
import signal
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import create_engine, text

from formulary.extensions import db
from tests.hardening.clinic import TODAY, checksums, dump, ledger_mismatches, plan_sessions, seed_clinic, user
from tests.hardening.conftest import BASE_URL, ON_POSTGRES, ROOT, child_environment

CHILD_NAME = "formulary-hardening-child"


def run_until_paused(command: str, arguments: dict, url: str) -> tuple[subprocess.Popen, dict]:
    """Start the child and wait (up to 60 s) for it to say it is paused inside its transaction."""
    if url.startswith("postgresql"):
        url += f"?application_name={CHILD_NAME}"
    child = subprocess.Popen([sys.executable, "-m", "tests.hardening.child", command, json.dumps(arguments)],
                             cwd=ROOT, env=child_environment(url), text=True, stdout=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([child.stdout], [], [], 1)
        line = child.stdout.readline() if ready else ""
        if line.startswith("PAUSED "):
            return child, json.loads(line.removeprefix("PAUSED "))
        if child.poll() is not None:
            break
    child.kill()
    raise AssertionError(f"the child never paused (exit code {child.poll()})")


def kill(child: subprocess.Popen) -> None:
    """SIGKILL: the process ends at once, in the middle of its transaction."""
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    if ON_POSTGRES:  # the server notices the closed connection and rolls back; wait until it has
        admin = create_engine(BASE_URL)
        try:
            for _ in range(100):
                with admin.connect() as connection:
                    left = connection.scalar(text("SELECT count(*) FROM pg_stat_activity "
                                                  "WHERE application_name = :name"), {"name": CHILD_NAME})
                    if not left:
                        return
                time.sleep(0.1)
            raise AssertionError("the killed child's connection is still open on the server")
        finally:
            admin.dispose()


def differences(before: dict, after: dict) -> list[str]:
    return [name for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)]


def test_killed_in_the_middle_of_an_administration(real_app, real_database_url, figures):
    from formulary.treatments.models import TreatmentSession
    from formulary.treatments.sessions import administer

    with real_app.app_context():
        clinic = seed_clinic(components=(("HA 1% 2 mL", "2", "4"), ("Vitamin B 2 mL", "2", "4")), patients=1)
        session_id = plan_sessions(clinic.cocktail_id, clinic.patient_ids, clinic.practitioners[0])[0]
        before = dump(db.engine)

        child, inside = run_until_paused("administer", {"session_id": session_id, "username": clinic.manager,
                                                        "today": TODAY.isoformat()}, real_database_url)
        try:
            # Inside its transaction the child has drawn from the first lot; nobody else sees it.
            assert inside["on_hand"]["LOT-1"] == "2.000" and inside["session_draw"] == 1
            assert inside["safety_check"] == len(before["safety_check"]) + 1
            assert inside["stock_movement"] == len(before["stock_movement"]) + 1
            assert dump(db.engine) == before
        finally:
            kill(child)
        after = dump(db.engine)
        assert differences(before, after) == []

        # Nothing is left locked or half-done: the same administration now goes through.
        session = db.session.get(TreatmentSession, session_id)
        draws = administer(session, actor=user(clinic.manager), today=TODAY)
        db.session.commit()
        assert sorted((d.lot.lot_number, d.administered) for d in draws) == [("LOT-1", 2), ("LOT-2", 2)]
        assert ledger_mismatches() == []
    rows = sum(len(rows) for rows in before.values())
    written = inside["stock_movement"] - len(before["stock_movement"])
    figures(f"faults (administration killed, {db_name()}): SIGKILL inside the transaction after the first of "
            f"2 draws ({written} movement, 1 session draw, 1 check written, unseen by other connections); "
            f"all {len(before)} tables, {rows} rows identical before and after; the retry succeeded")


def test_killed_in_the_middle_of_an_import(real_app, real_database_url, tmp_path, figures):
    from formulary.spreadsheets.importer import apply_import, prepare_import

    expiry = (TODAY + timedelta(days=300)).isoformat()
    later = (TODAY + timedelta(days=400)).isoformat()
    delivery = tmp_path / "delivery.csv"
    delivery.write_text("Product,Lot,Expiry,Qty\n"
                        f"HA 1% 2 mL,LOT-1,{expiry},5\nVitamin B 2 mL,LOT-2,{expiry},3\n"
                        f"HA 1% 2 mL,NEW-1,{later},10\nVitamin B 2 mL,NEW-2,{later},4\n")
    with real_app.app_context():
        clinic = seed_clinic(components=(("HA 1% 2 mL", "2", "4"), ("Vitamin B 2 mL", "2", "4")), patients=1)
        before = dump(db.engine)

        child, inside = run_until_paused("import", {"path": str(delivery), "username": clinic.manager,
                                                    "today": TODAY.isoformat()}, real_database_url)
        try:
            assert inside["on_hand"] == {"LOT-1": "9.000", "LOT-2": "7.000", "NEW-1": "10.000",
                                         "NEW-2": "4.000"}
            assert inside["stock_import"] == 1
            assert inside["stock_movement"] == len(before["stock_movement"]) + 4
            assert dump(db.engine) == before
        finally:
            kill(child)
        after = dump(db.engine)
        assert differences(before, after) == []

        # No import row was left behind to call the retry a duplicate, and no lot is half-made.
        prepared = prepare_import(delivery.read_bytes(), "delivery.csv", "delivery", today=TODAY,
                                  date_order="DMY", max_rows=1000)
        assert prepared.previous is None and not prepared.plan.errors
        apply_import(prepared, actor=user(clinic.manager))
        db.session.commit()
        assert ledger_mismatches() == []
        assert checksums(dump(db.engine))["lot"][0] == 4
    figures(f"faults (import killed, {db_name()}): SIGKILL inside the transaction after 2 new lots, "
            f"2 changed lots, 4 movements and the import row were written; all {len(before)} tables "
            "identical before and after; the retry imported cleanly (not taken for a duplicate)")


def db_name() -> str:
    return "PostgreSQL" if ON_POSTGRES else "SQLite"
