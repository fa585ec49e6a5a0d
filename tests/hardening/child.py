"""Work the hardening tests run in a separate process: `python -m tests.hardening.child COMMAND JSON`.

The process runs the real app on FORMULARY_DATABASE_URL, as a gunicorn worker or the CLI would.
`writes` does a stream of mixed writes and prints a JSON report; `administer` and `import` stop in the
middle of their one transaction, print PAUSED and wait there to be killed.
"""

import json
import random
import sys
import time
import traceback
from collections import Counter
from datetime import date
from decimal import Decimal

from formulary import create_app
from formulary.extensions import db

PAUSE_SECONDS = 120


def pause(what: str) -> None:
    """Write everything so far into the open transaction, say what it holds, and wait to be killed."""
    from sqlalchemy import func, select

    from formulary.stock.models import Lot, StockImport, StockMovement
    from formulary.treatments.models import SafetyCheck, SessionDraw

    db.session.flush()
    inside = {
        "what": what,
        "on_hand": {number: str(on_hand) for number, on_hand in db.session.execute(
            select(Lot.lot_number, Lot.on_hand).order_by(Lot.lot_number))},
        **{model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
           for model in (StockMovement, SessionDraw, SafetyCheck, StockImport)},
    }
    print(f"PAUSED {json.dumps(inside)}", flush=True)
    time.sleep(PAUSE_SECONDS)
    sys.exit("not killed: the transaction was never committed")


def administer_and_pause(app, session_id: int, username: str, today: str) -> None:
    """Administer a two-product session, pausing inside the transaction after the first product's draw."""
    from formulary.stock import opened
    from formulary.treatments import sessions
    from formulary.treatments.models import TreatmentSession
    from tests.hardening.clinic import user

    real_move = opened.move  # where a session's draw moves the ledger
    calls = []

    def move_then_pause(lot, kind, delta, **kwargs):
        calls.append(lot.lot_number)
        if len(calls) == 2:  # the first draw and its movement are written
            pause(f"drawing from lot {lot.lot_number}, after lot {calls[0]}")
        return real_move(lot, kind, delta, **kwargs)

    opened.move = move_then_pause
    with app.app_context():
        session = db.session.get(TreatmentSession, session_id)
        sessions.administer(session, actor=user(username), today=date.fromisoformat(today))
        db.session.commit()


def import_and_pause(app, path: str, username: str, today: str) -> None:
    """Apply a delivery, pausing inside the transaction once its new lots and changes are written."""
    from formulary.spreadsheets import importer
    from formulary.stock import bulk
    from tests.hardening.clinic import user

    real_write = bulk.change_lots

    def write_then_pause(changes, stock_import, reason, progress=None):
        real_write(changes, stock_import, reason, progress)
        pause(f"after writing {len(changes)} changed lots of import #{stock_import.id}")

    bulk.change_lots = write_then_pause
    with open(path, "rb") as file:
        data = file.read()
    with app.app_context():
        prepared = importer.prepare_import(data, "delivery.csv", "delivery", today=date.fromisoformat(today),
                                           date_order="DMY", max_rows=1000)
        assert not prepared.plan.errors, prepared.plan.errors
        importer.apply_import(prepared, actor=user(username))
        db.session.commit()


def mixed_writes(app, *, seed: int, count: int, lot_ids: list[int], patient_ids: list[int], cocktail_id: int,
                 token: str, manager: str, today: str) -> None:
    """`count` writes, each its own transaction, by the service layer (as the CLI) and by the API."""
    from formulary.stock import ledger
    from formulary.stock.models import Lot
    from tests.conftest import log_in
    from tests.hardening.clinic import user

    rng = random.Random(seed)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    browser = app.test_client()  # the patient page reads without the write lock, then writes its audit row
    assert log_in(browser, manager, follow=False).status_code == 302
    done: Counter = Counter()
    errors: list[str] = []
    movements = 0

    def service(operation) -> int:
        with app.app_context():
            made = operation(db.session.get(Lot, rng.choice(lot_ids)), user(manager))
            db.session.commit()
            return made

    def api(method: str, url: str, expected: tuple[int, ...], **kwargs):
        response = client.open(url, method=method, headers=headers, **kwargs)
        if response.status_code not in expected:
            body = response.get_data(as_text=True)[:300]
            raise AssertionError(f"{method} {url} answered {response.status_code}: {body}")
        return response

    print("READY", flush=True)
    sys.stdin.readline()  # GO: both processes start together
    started = time.monotonic()
    for _ in range(count):
        kind = rng.choice(["receive", "waste", "adjust", "administer", "audit", "page", "check"])
        try:
            if kind == "receive":
                movements += service(lambda lot, actor: bool(
                    ledger.receive_more(lot, Decimal(rng.choice(["0.5", "1", "2.5"])), actor=actor)))
                outcome = "done"
            elif kind == "adjust":
                movements += service(lambda lot, actor: bool(
                    ledger.adjust(lot, Decimal(rng.randint(20, 60)), actor=actor, reason="stocktake")))
                outcome = "done"
            elif kind == "waste":
                response = api("POST", f"/api/v1/lots/{rng.choice(lot_ids)}/movements", (201, 409), json={
                    "kind": "waste", "quantity": rng.choice([0.5, 1, 2]), "reason": "broken vial"})
                movements += response.status_code == 201
                outcome = "done" if response.status_code == 201 else "shortage"
            elif kind == "administer":
                planned = api("POST", "/api/v1/sessions", (201,), json={
                    "patient_id": rng.choice(patient_ids), "cocktail_id": cocktail_id,
                    "scheduled_for": today})
                response = api("POST", f"/api/v1/sessions/{planned.json['id']}/administer", (201, 409),
                               json={})
                movements += len(response.json.get("draws", ())) if response.status_code == 201 else 0
                outcome = "done" if response.status_code == 201 else "shortage"
            elif kind == "audit":  # an allergy view: a read that writes its audit row
                api("GET", f"/api/v1/patients/{rng.choice(patient_ids)}", (200,))
                outcome = "done"
            elif kind == "check":  # reads without the write lock, then keeps the check and its audit rows
                api("POST", "/api/v1/checks", (200,), json={
                    "patient_id": rng.choice(patient_ids), "cocktail_id": cocktail_id, "date": today})
                outcome = "done"
            else:  # the same on the patient page, its audit row in a short transaction after rendering
                response = browser.get(f"/patients/{rng.choice(patient_ids)}")
                if response.status_code != 200:
                    raise AssertionError(f"patient page answered {response.status_code}")
                outcome = "done"
            done[f"{kind} {outcome}"] += 1
        except Exception as error:
            errors.append(f"{kind}: {error!r}"[:400])
            if len(errors) == 1:
                traceback.print_exc()
    report = {"operations": count, "done": dict(done), "errors": errors, "movements": movements,
              "locked": sum("database is locked" in error for error in errors),
              "seconds": round(time.monotonic() - started, 2)}
    print(json.dumps(report), flush=True)


COMMANDS = {"administer": administer_and_pause, "import": import_and_pause, "writes": mixed_writes}


def main() -> None:
    command, arguments = sys.argv[1], json.loads(sys.argv[2])
    COMMANDS[command](create_app(), **arguments)


if __name__ == "__main__":
    main()
