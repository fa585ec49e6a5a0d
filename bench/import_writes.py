"""Where PostgreSQL's time goes in an import's writes: `.venv/bin/python bench/import_writes.py [--repeat 5]`.

The API import on PostgreSQL spends most of its wall waiting for the server (bench/import_e2e.py
reads the server's CPU next to the worker's). This script tells which part of the schema costs
what: it reads and checks the bench's 50,000-row delivery once (bench/spreadsheets.py), then,
round by round, for each variant of the lot and stock_movement tables, on a fresh copy of the
catalogue (PostgreSQL running on this machine), applies it with formulary's own apply_import and
commits (`--postgres URL`: a server whose databases <name>_e2e_catalogue and <name>_e2e_run may be
made and dropped), reading the CPU time of the server's backend around each statement (/proc). The
variants only drop constraints or indexes in that throwaway copy; nothing of the project's
schema changes. Median and least CPU over the rounds are printed, per table written.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.import_e2e import POSTGRES, add_manager, drop, postgres_catalogue, process_cpu, recreate  # noqa: E402
from bench.spreadsheets import build, make_app, warm_up  # noqa: E402

TABLES = ("lot", "stock_movement")


def variants() -> dict[str, list[str]]:
    """Each variant's DDL, from the models: the foreign keys and the secondary indexes of the two tables."""
    from formulary.stock.models import Lot, StockMovement

    tables = [Lot.__table__, StockMovement.__table__]
    keys = {fk.name: f'ALTER TABLE {table.name} DROP CONSTRAINT "{fk.name}"'
            for table in tables for fk in table.foreign_key_constraints}
    indexes = [f'DROP INDEX "{index.name}"' for table in tables for index in table.indexes]
    repeated = [keys["fk_stock_movement_user_id_user"], keys["fk_stock_movement_import_id_stock_import"]]
    return {
        "the schema as it is": [],
        "without the movement's foreign keys to its user and import": repeated,
        "without any foreign key of lot and stock_movement": list(keys.values()),
        "without their secondary indexes (primary and unique keys kept)": indexes,
        "without either (heap, primary and unique keys, WAL)": [*keys.values(), *indexes],
    }


class StatementClock:
    """The server backend's CPU per table written, read around each statement the engine sends."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.pid: int | None = None
        self.spent: dict[str, float] = {}
        self.started = 0.0
        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "after_cursor_execute", self.after)

    def before(self, connection, cursor, statement, parameters, context, many) -> None:
        if self.pid is not None:
            self.started = process_cpu(self.pid)

    def after(self, connection, cursor, statement, parameters, context, many) -> None:
        if self.pid is None:
            return
        table = next((name for name in TABLES if statement.startswith(f"INSERT INTO {name} ")), "other")
        self.spent[table] = self.spent.get(table, 0.0) + process_cpu(self.pid) - self.started


def measure(url: str, base: str, catalogue: str, ddl: list[str], prepared, clock: StatementClock) -> dict:
    """One import's writes on a fresh copy of the catalogue changed by ddl: the backend's CPU per table, the wall."""
    from sqlalchemy import select, text

    from formulary.auth.models import User
    from formulary.extensions import db
    from formulary.spreadsheets.importer import apply_import

    db.engine.dispose()
    recreate(base, "e2e_run", template=catalogue)
    add_manager(url)
    for statement in ddl:
        db.session.execute(text(statement))
    db.session.commit()
    clock.pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    actor = db.session.scalars(select(User)).one()
    clock.spent = {}
    started = time.perf_counter()
    apply_import(prepared, actor=actor)
    db.session.commit()
    wall = time.perf_counter() - started
    clock.pid = None
    db.session.close()
    return {**clock.spent, "wall": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", default=POSTGRES)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="formulary-import-writes-"))
    try:
        build(workdir, args.rows, 1_000)
        catalogue = postgres_catalogue(args.postgres, workdir).rsplit("/", 1)[1]
        url = recreate(args.postgres, "e2e_run", template=catalogue)
        from formulary.extensions import db
        from formulary.spreadsheets.importer import prepare_import

        app = make_app(url)
        with app.app_context():
            warm_up()
            prepared = prepare_import((workdir / "delivery.xlsx").read_bytes(), "delivery.xlsx", "delivery",
                                      today=date.today(), date_order="DMY", max_rows=args.rows + 10)
            assert not prepared.plan.errors, prepared.plan.errors[:3]
            db.session.rollback()
            clock = StatementClock(db.engine)
            found: dict[str, list[dict]] = {name: [] for name in variants()}
            for run in range(args.repeat):
                for name, ddl in variants().items():
                    found[name].append(measure(url, args.postgres, catalogue, ddl, prepared, clock))
                    spent = found[name][-1]
                    print(f"  round {run + 1}, {name}: lots {spent.get('lot', 0):.2f} s, movements "
                          f"{spent.get('stock_movement', 0):.2f} s of server CPU; wall {spent['wall']:.2f} s",
                          flush=True)
            db.engine.dispose()
        print()
        print(report(found, args.rows, args.repeat))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        drop(args.postgres, ["e2e_run", "e2e_catalogue"])


def report(found: dict[str, list[dict]], rows: int, repeat: int) -> str:
    """The table for bench/SPREADSHEETS.md: the server's CPU per table written, median (least) of the rounds."""
    lines = [
        f"PostgreSQL server CPU of an import's writes ({rows:,} new lots and their receive movements, "
        f"apply_import and commit), median (least) of {repeat} rounds, each on a fresh copy of the catalogue:",
        "",
        "| lot and stock_movement | INSERT lots | INSERT movements | both | wall of apply and commit |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, runs in found.items():
        def cell(key: str, runs: list[dict] = runs) -> str:
            values = [run.get(key, 0.0) if key != "both" else run.get("lot", 0.0) + run.get("stock_movement", 0.0)
                      for run in runs]
            return f"{statistics.median(values):.2f} s ({min(values):.2f})"

        lines.append(f"| {name} | {cell('lot')} | {cell('stock_movement')} | {cell('both')} | {cell('wall')} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
