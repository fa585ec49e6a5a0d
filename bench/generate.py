"""Build a large formulary database by bulk inserts: `bench/generate.py --scale 100 [--database-url URL]`.

Scale 100 is the issue's large dataset (1,000 products, 50,000 lots, 20,000 patients with
allergies, 100,000 administered sessions with their draws, movements and checks, 200 cocktails);
scale 10 is a tenth of it; scale 1 is the demo clinic (`formulary setup --demo`). The database
is emptied first: a SQLite file in a temp folder by default, or the PostgreSQL URL given (its
`public` schema is dropped and made again).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, make_url, select, text  # noqa: E402

from bench import bulk  # noqa: E402
from bench.dataset import FULL, Reference, build_cocktails, build_patients, build_products, load_reference  # noqa: E402
from bench.history import draw_sessions, lot_rows, make_lots, plan_ahead, plan_sessions, session_rows  # noqa: E402
from bench.opened import add_opened_units  # noqa: E402

# Parents before children, so foreign keys hold on every insert.
TABLES = [
    "product", "product_component", "product_contraindication", "cocktail", "cocktail_version",
    "cocktail_version_goal", "cocktail_component", "patient", "allergy", "patient_condition", "lot",
    "treatment_session", "safety_check", "session_draw", "stock_movement", "reaction", "audit_event",
    "opened_unit",
]
BENCH_ADMIN_PASSWORD = "bench-only-Pa55word-91"
EXTRA_PRACTITIONERS = ["Dr Ana Ibarra", "Dr Ben Oduya", "Dr Carla Neri", "Dr Dev Malhotra", "Dr Eva Lund",
                       "Dr Femi Ade", "Dr Greta Holm", "Dr Hugo Brandt"]


def default_path(scale: int, today: date | None = None) -> Path:
    """The SQLite file for a scale: in the temp folder, named after the day and the generator's code."""
    digest = hashlib.sha256()
    code = [ROOT / "bench" / name for name in ("generate.py", "dataset.py", "history.py", "bulk.py", "opened.py")]
    code.append(ROOT / "formulary" / "stock" / "outflows.py")  # the outflow sums it derives after loading
    for path in sorted([*code, *ROOT.joinpath("migrations/versions").glob("*.py")]):
        digest.update(path.read_bytes())
    folder = Path(tempfile.gettempdir()) / "formulary-bench"
    folder.mkdir(exist_ok=True)
    return folder / f"scale{scale}-{today or date.today()}-{digest.hexdigest()[:10]}.db"


def cached_sqlite(scale: int, say=print) -> Path:
    """The cached SQLite file of a scale, built first when missing (under another name, then renamed,
    so that an interrupted build never passes for a cached one)."""
    path = default_path(scale)
    if not path.exists():
        building = path.with_suffix(".building")
        say(f"  building scale {scale} in {path} …")
        timings = generate(scale, sqlite_url(building), quiet=True)
        say(f"  built in {timings['total']:.1f} s")
        os.replace(building, path)
    return path


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def empty_database(url: str) -> None:
    """Remove the SQLite file, or drop and re-create PostgreSQL's public schema (with a loud warning)."""
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    schema = schema_of(url)
    print(f"WARNING: EMPTYING {url}: every table in its {schema} schema is dropped.", file=sys.stderr)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def in_schema(url: str, schema: str) -> str:
    """A PostgreSQL URL whose connections work in their own schema (search_path), not in public.

    public stays on the path, after it: extensions (pg_trgm, for the patient search) live there.
    """
    return make_url(url).update_query_dict({"options": f"-csearch_path={schema},public"}).render_as_string(
        hide_password=False)


def schema_of(url: str) -> str:
    """The schema a PostgreSQL URL works in: the one in_schema() set, else public."""
    options = make_url(url).query.get("options", "")
    return options.split("search_path=", 1)[1].split(",", 1)[0] if "search_path=" in options else "public"


def make_app(url: str):
    """The real application on this database."""
    from config import ProductionConfig
    from formulary import create_app

    class BenchConfig(ProductionConfig):
        SQLALCHEMY_DATABASE_URI = url
        SECRET_KEY = "bench-only-secret-key-never-for-production-0123456789"  # ProductionConfig wants >= 32 bytes

    return create_app(BenchConfig)


def _users() -> tuple[int, list[int]]:
    from formulary.auth.models import User
    from formulary.auth.permissions import Role
    from formulary.auth.users import create_user, find_user
    from formulary.demo import users
    from formulary.demo.users import DEMO_PASSWORD
    from formulary.extensions import db

    users.load()
    for number, full_name in enumerate(EXTRA_PRACTITIONERS, start=1):
        if find_user(f"practitioner{number}") is None:
            create_user(f"practitioner{number}", DEMO_PASSWORD, Role.PRACTITIONER, full_name=full_name)
    db.session.commit()
    manager = find_user("manager").id
    practitioners = list(db.session.scalars(select(User.id).where(User.role == "practitioner")))
    return manager, practitioners


def build_rows(scale: int, ref: Reference, today: date, first_audit_id: int) -> dict[str, list[dict]]:
    """Every row of the large dataset, in memory."""
    rng = random.Random(7 * scale)
    share = scale / 100
    rows: dict[str, list] = {table: [] for table in TABLES}
    products = build_products(rng, ref, max(10, round(FULL["products"] * share)), today, rows)
    cocktails = build_cocktails(rng, ref, products, max(3, round(FULL["cocktails"] * share)), today, rows)
    patients = build_patients(rng, ref, max(30, round(FULL["patients"] * share)), today, rows)
    sessions = plan_sessions(rng, ref, patients, cocktails, round(FULL["sessions"] * share), today)
    lots = make_lots(rng, products, sessions, FULL["lots_per_product"], today)
    draw_sessions(sessions, lots, rows)
    lot_rows(rng, ref, lots, today, rows)
    add_opened_units(rng, rows, today, ref.practitioner_ids[0])
    in_use = [versions for versions, row in zip(cocktails, rows["cocktail"], strict=True) if not row["retired"]]
    booked = plan_ahead(rng, ref, patients, in_use, max(10, round(300 * share)), len(sessions) + 1, today)
    session_rows(rng, sessions, booked, rows)
    for row in rows["patient"]:
        rows["audit_event"].append(("patient.create", "Patient", row["id"], ref.practitioner_ids[0], row["created_at"]))
    for row in rows["allergy"]:
        rows["audit_event"].append(("allergy.record", "Patient", row["patient_id"], row["recorded_by_id"],
                                    row["recorded_at"]))
    rows["audit_event"] = _audit_rows(rows["audit_event"], first_audit_id)
    return rows


def _audit_rows(events: list[tuple], first_id: int) -> list[dict]:
    from formulary.auth.models import User
    from formulary.extensions import db

    names = dict(db.session.execute(select(User.id, User.username)).all())
    events.sort(key=lambda event: event[4])
    return [
        {"id": first_id + i, "at": when, "user_id": user_id, "username": names.get(user_id, ""), "action": action,
         "record_type": record_type, "record_id": record_id, "detail": "", "address": "127.0.0.1"}
        for i, (action, record_type, record_id, user_id, when) in enumerate(events)
    ]


def insert_rows(rows: dict[str, list[dict]]) -> None:
    """Bulk inserts (COPY, or one executemany), table by table, in one transaction."""
    from formulary.extensions import db
    from formulary.stock.outflows import rebuild

    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":  # a fresh file: no fsync, and a cache that holds the indexes
            raw = connection.connection.driver_connection
            raw.execute("PRAGMA synchronous = OFF")
            raw.execute("PRAGMA cache_size = -400000")
        with connection.begin():
            tables = [db.metadata.tables[name] for name in TABLES]
            with bulk.indexes_dropped(connection, tables):
                for table in tables:
                    bulk.insert(connection, table, rows[table.name])
        with connection.begin():
            # Movements inserted in bulk, not through the ledger: their outflow sums are derived here, as the
            # migration that made those tables derived them for the ledger already written.
            rebuild(connection)


def finish(url: str) -> None:
    """PostgreSQL: each id sequence moved past the ids given by hand, then VACUUM ANALYZE, as autovacuum
    soon does after so many inserts (and would otherwise do in the middle of a bench run): the statistics,
    and the visibility map that lets index-only scans skip the table; SQLite: the WAL folded into the file."""
    from formulary.extensions import db

    with db.engine.begin() as connection:
        if url.startswith("postgresql"):
            for table in db.metadata.sorted_tables:
                if "id" in table.c:
                    connection.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 0) + 1 FROM \"{table.name}\"), false)"))
    if url.startswith("postgresql"):
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    db.engine.dispose()
    if url.startswith("sqlite"):  # fold the WAL into the file, so that the file alone can be copied
        connection = sqlite3.connect(url.split("///", 1)[1])
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()


def generate(scale: int, url: str, today: date | None = None, quiet: bool = False) -> dict[str, float]:
    """Empty the database and build the dataset of this scale in it; the seconds each step took."""
    from formulary.audit.models import AuditEvent
    from formulary.extensions import db
    from formulary.provision import set_up

    os.environ.setdefault("FORMULARY_ADMIN_PASSWORD", BENCH_ADMIN_PASSWORD)
    say = (lambda *a: None) if quiet else print
    today = today or date.today()
    timings, started = {}, time.perf_counter()
    empty_database(url)
    app = make_app(url)
    with app.app_context():
        set_up(demo=scale == 1)  # flask db upgrade, the reference library, the first admin (and the demo)
        timings["schema and reference"] = time.perf_counter() - started
        if scale > 1:
            manager, practitioners = _users()
            ref = load_reference(manager, practitioners)
            mark = time.perf_counter()
            first_audit_id = (db.session.scalar(select(func.max(AuditEvent.id))) or 0) + 1
            db.session.commit()
            rows = build_rows(scale, ref, today, first_audit_id)
            db.session.remove()  # its read transaction would hold SQLite's lock
            timings["rows built in Python"] = time.perf_counter() - mark
            mark = time.perf_counter()
            insert_rows(rows)
            timings["bulk inserts"] = time.perf_counter() - mark
            say("  " + ", ".join(f"{len(rows[t]):,} {t}" for t in TABLES if rows[t]))
        mark = time.perf_counter()
        finish(url)
        timings["finish"] = time.perf_counter() - mark
    timings["total"] = time.perf_counter() - started
    return timings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=100, help="1 (the demo), 10 or 100 (the large dataset)")
    parser.add_argument("--database-url", help="a PostgreSQL URL (its public schema is DROPPED); "
                                               "default: a SQLite file in the temp folder")
    args = parser.parse_args(argv)
    if args.scale < 1:
        parser.error("--scale must be 1 or more")
    url = args.database_url or sqlite_url(default_path(args.scale))
    print(f"Building scale {args.scale} in {url}")
    timings = generate(args.scale, url)
    for step, seconds in timings.items():
        print(f"  {step}: {seconds:.1f} s")
    print(f"Done in {timings['total']:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
