"""Two processes writing one SQLite file at once, as gunicorn workers do: nobody sees "database is locked"."""

import json
import subprocess
import sys
from collections import Counter

import pytest
from sqlalchemy import func, select

from formulary.audit.models import AuditEvent
from formulary.extensions import db
from formulary.stock.models import StockMovement
from formulary.treatments.models import SafetyCheck, TreatmentSession
from tests.hardening.clinic import TODAY, ledger_mismatches, seed_clinic
from tests.hardening.conftest import ON_POSTGRES, ROOT, child_environment
from tests.outflow_sums import mismatches as outflow_mismatches

pytestmark = pytest.mark.skipif(
    ON_POSTGRES, reason="SQLite's single-writer lock is what this is about; PostgreSQL's row locks are "
                        "raced by test_race_postgres.py")

PROCESSES = 2
WRITES = 500  # per process


def test_two_processes_of_mixed_writes_never_see_a_locked_database(real_app, real_database_url, figures):
    with real_app.app_context():
        clinic = seed_clinic(components=(("HA 1% 2 mL", "1", "40"), ("HA 1% 2 mL B", "1", "40")),
                             patients=5, tokens=True)
        # A second and third lot of the first product, so draws and waste spread over lots.
        from formulary.catalogue.models import Product
        from formulary.stock.ledger import receive
        product = db.session.get(Product, clinic.product_ids[0])
        extra = [receive(product, lot_number=f"EXTRA-{i}", expiry=TODAY.replace(year=TODAY.year + 1),
                         quantity=40, received_on=TODAY, actor=None).id for i in (1, 2)]
        db.session.commit()
        movements_before = db.session.scalar(select(func.count()).select_from(StockMovement))
        views_before = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "allergy.view"))
        unplanned = select(func.count()).select_from(SafetyCheck).where(SafetyCheck.session_id.is_(None))
        checks_before = db.session.scalar(unplanned)
    arguments = {"count": WRITES, "lot_ids": clinic.lot_ids + extra, "patient_ids": clinic.patient_ids,
                 "cocktail_id": clinic.cocktail_id, "token": clinic.tokens[clinic.manager],
                 "manager": clinic.manager, "today": TODAY.isoformat()}
    children = [
        subprocess.Popen([sys.executable, "-m", "tests.hardening.child", "writes",
                          json.dumps({**arguments, "seed": seed})],
                         cwd=ROOT, env=child_environment(real_database_url), text=True,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        for seed in range(PROCESSES)
    ]
    try:
        for child in children:
            assert child.stdout.readline().strip() == "READY"
        for child in children:
            child.stdin.write("GO\n")
            child.stdin.flush()
        reports = [json.loads(child.communicate(timeout=90)[0].strip().splitlines()[-1])
                   for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()

    done = sum((Counter(report["done"]) for report in reports), Counter())
    errors = [error for report in reports for error in report["errors"]]
    locked = sum(report["locked"] for report in reports)
    assert locked == 0 and errors == [], errors[:5]
    assert sum(done.values()) == PROCESSES * WRITES
    with real_app.app_context():
        assert ledger_mismatches() == []
        assert outflow_mismatches() == {}  # what left stock, summed as it was written, ties out
        movements = db.session.scalar(select(func.count()).select_from(StockMovement)) - movements_before
        assert movements == sum(report["movements"] for report in reports)  # none lost, none doubled
        administered = db.session.scalar(select(func.count()).select_from(TreatmentSession)
                                         .where(TreatmentSession.status == "administered"))
        assert administered == done["administer done"]
        views = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.action == "allergy.view")) - views_before
        assert views == done["audit done"] + done["page done"] + done["check done"]
        checks = db.session.scalar(unplanned) - checks_before  # POST /checks keeps its check without a session
        assert done["check done"] > 0 and checks == done["check done"]  # every check kept, none twice
    seconds = max(report["seconds"] for report in reports)
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(done.items()))
    figures(f"concurrency (SQLite, WAL): {PROCESSES} processes × {WRITES} mixed writes in {seconds} s "
            f"({kinds}), "
            f"0 'database is locked', {movements} movements all kept, ledger == on hand")


def test_a_check_through_the_api_reads_while_another_writer_holds_the_lock(real_app, real_database_url,
                                                                           monkeypatch):
    """POST /checks reads its facts without SQLite's write lock (two workers check side by side) and
    waits for the lock only to keep the check and its audit rows."""
    import sqlite3
    import threading

    import formulary.api.sessions as checks_api

    with real_app.app_context():
        clinic = seed_clinic(patients=1, tokens=True)
    client = real_app.test_client()
    headers = {"Authorization": f"Bearer {clinic.tokens[clinic.manager]}"}
    body = {"patient_id": clinic.patient_ids[0], "cocktail_id": clinic.cocktail_id, "date": TODAY.isoformat()}
    assert client.post("/api/v1/checks", json=body, headers=headers).status_code == 200  # stamps the token
    checked = threading.Event()

    def check_patient(*args, **kwargs):
        result = real_check(*args, **kwargs)
        checked.set()
        return result

    real_check = checks_api.check_patient
    monkeypatch.setattr(checks_api, "check_patient", check_patient)
    answers = []
    other = sqlite3.connect(real_database_url.split("///", 1)[1], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another worker writing
    try:
        request = threading.Thread(target=lambda: answers.append(
            client.post("/api/v1/checks", json=body, headers=headers)))
        request.start()
        assert checked.wait(5), "the check waited for the write lock before reading"
        assert answers == []  # it waits for the lock to keep the check
    finally:
        other.execute("COMMIT")
        other.close()
    request.join(10)
    assert [answer.status_code for answer in answers] == [200]
    with real_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SafetyCheck)) == 2
