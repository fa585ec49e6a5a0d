"""The dashboard with its kept figures, with the clinic writing, and cold:
`.venv/bin/python bench/dashboard_cache.py [--scale 100] [--database-url URL] [--seconds 5]`.

The dashboard keeps its figures per process while nothing is committed (formulary/dashboard/snapshot_cache.py),
so the page bench, which writes nothing, measures kept figures. This bench says what that is worth when the
clinic works: on one database of the scale (built as `bench/pages.py` builds it), gunicorn (2 workers) and wrk
(8 connections) as in `bench/pages.py`, it measures in turn

* the bare route (the ceiling, for the machine's load at that moment);
* the dashboard, nothing written;
* the dashboard while another process commits a stock movement every 5 s, then every second (a lot received
  more, then the same wasted, in turn: the stock stays as it was; every commit makes both workers read every
  figure again at their next view), measured three times as long;
* the dashboard cold: a second server with FORMULARY_DASHBOARD_CACHE=0, every view reading every figure
  (what a miss costs), and its bare route.

Run it under `flock /tmp/bench.lock` like every wall-clock bench. The writer alone:
`bench/dashboard_cache.py --writer URL SECONDS` (it prints how many movements it committed when stopped).
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402
from bench.pages import PASSWORD, TARGETS, USER, WARMUP_SECONDS, database_for, pick_ids, wrk  # noqa: E402
from bench.server import Server, log_in  # noqa: E402

BARE, DASHBOARD = (next(t for t in TARGETS if t.key == key) for key in ("bare", "dashboard"))


def write_movements(url: str, every: float) -> None:
    """Commit one stock movement every `every` seconds until stopped (SIGTERM), as a clinic's other worker."""
    os.environ.update({"FORMULARY_DATABASE_URL": url, "FORMULARY_ENV": "development"})
    from sqlalchemy import select

    from formulary import create_app
    from formulary.extensions import db
    from formulary.stock import ledger
    from formulary.stock.models import IN_STOCK, Lot

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    app = create_app()
    committed = 0
    with app.app_context():
        lot_ids = list(db.session.scalars(select(Lot.id).where(IN_STOCK, Lot.status == "available")
                                          .order_by(Lot.id).limit(50)))
        db.session.rollback()
        next_at = time.monotonic() + every
        while not stop:
            time.sleep(max(0.0, next_at - time.monotonic()))
            if stop:
                break
            next_at += every
            lot = db.session.get(Lot, lot_ids[committed // 2 % len(lot_ids)])
            if committed % 2 == 0:
                ledger.receive_more(lot, "1", actor=None, reason="bench: a delivery")
            else:
                ledger.waste(lot, "1", actor=None, reason="bench: a broken vial")
            db.session.commit()
            committed += 1
    print(f"writer: {committed} movements committed, one every {every:g} s", flush=True)


class MarkerChanges:
    """How many times the dashboard's database marker changed while a block ran (polled every 20 ms): the kept
    figures' misses at most, per worker. On PostgreSQL the snapshot is the server's: other databases' commits
    count too."""

    def __init__(self, url: str):
        self.url, self.changes, self.stop = url, 0, threading.Event()

    def _poll(self) -> None:
        if self.url.startswith("sqlite"):
            connection = sqlite3.connect(make_url(self.url).database, isolation_level=None)
            read = lambda: connection.execute("PRAGMA data_version").fetchone()[0]  # noqa: E731
        else:
            engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
            pg = engine.connect()
            read = lambda: pg.execute(text("SELECT pg_current_snapshot()::text")).scalar()  # noqa: E731
        last = read()
        while not self.stop.wait(0.02):
            now = read()
            self.changes += now != last
            last = now

    def __enter__(self) -> MarkerChanges:
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()


class Writer:
    """The writer in a process of its own while a block runs."""

    def __init__(self, url: str, every: float):
        self.url, self.every = url, every
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Writer:
        self.process = subprocess.Popen([sys.executable, __file__, "--writer", self.url, str(self.every)], cwd=ROOT)
        time.sleep(3)  # the app built, its first movement due
        return self

    def __exit__(self, *exc) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=30)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--database-url", help="a PostgreSQL URL (the schema bench_scale<N> in it is rebuilt); "
                                               "default: a copy of the cached SQLite file")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--writer", nargs=2, metavar=("URL", "SECONDS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.writer:
        write_movements(args.writer[0], float(args.writer[1]))
        return 0
    info = report.machine(args.database_url)
    url = database_for(args.scale, args.database_url, print)
    ids = pick_ids(url)
    rows: list[tuple[str, dict]] = []

    def drive(server: Server, target, label: str, cookie: str = "", seconds: int = args.seconds) -> None:
        headers = {"Cookie": cookie} if cookie else {}
        wrk(server.port, target, ids, headers, WARMUP_SECONDS)
        with MarkerChanges(url) as marker:
            figures = wrk(server.port, target, ids, headers, seconds)
        figures["marker_changes"] = marker.changes
        rows.append((label, figures))
        print(f"  {label}: {figures['p50']:.1f} ms median, {figures['p99']:.1f} ms p99, {figures['rps']:,.0f} req/s, "
              f"marker changed {marker.changes} times"
              + (f" ({figures['not_200']} answers not 200!)" if figures["not_200"] else ""), flush=True)

    with Server(url) as server:
        cookie = log_in(server.port, USER, PASSWORD)
        drive(server, BARE, "bare route")
        drive(server, DASHBOARD, "dashboard, nothing written", cookie)
        for every in (5, 1):
            with Writer(url, every):
                # Three times as long: a few of the writer's commits fall in the measured seconds.
                drive(server, DASHBOARD, f"dashboard, a stock movement committed every {every} s", cookie,
                      3 * args.seconds)
    with Server(url, settings={"FORMULARY_DASHBOARD_CACHE": "0"}) as cold:
        cookie = log_in(cold.port, USER, PASSWORD)
        drive(cold, BARE, "bare route (cold server)")
        drive(cold, DASHBOARD, "dashboard cold (FORMULARY_DASHBOARD_CACHE=0)", cookie)
    load = os.getloadavg()
    print(f"\n{info['database']}, {args.scale}×, {info['cpu']}; load average {info['load']} before, "
          f"{load[0]:.2f} / {load[1]:.2f} after; wrk 8 connections, 2 gunicorn workers, {args.seconds} s each "
          f"({3 * args.seconds} s with a writer)\n")
    print("| run | p50 / p99 · req/s | marker changes |\n| --- | ---: | ---: |")
    for label, f in rows:
        print(f"| {label} | {f['p50']:.0f} / {f['p99']:.0f} ms · {f['rps']:,.0f}/s | {f['marker_changes']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
