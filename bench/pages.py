"""The page and API bench: `.venv/bin/python bench/pages.py [--scale 1,10,100] [--database-url URL]`.

It builds each scale's dataset (SQLite: a file cached in the temp folder, copied so that the run's
own writes never reach the cache; PostgreSQL: a schema bench_scale<N> in the database given,
rebuilt), serves each with gunicorn (`bench.app:create_app()`, 2 workers) on a free port of
127.0.0.1, logs in through the real login form (CSRF and session guards on) and creates an API
token on the Profile page. Then it drives every page with wrk (8 connections, 1 s warm-up, 5 s
measured), each page on every scale in turn so that the figures compared are taken close together,
and prints the figures, their growth from scale to scale, each page's share of the bare route's
throughput and every target as a Markdown block for the README.
"""

from __future__ import annotations

import argparse
import atexit
import json
import math
import os
import shutil
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench import check_speed, report  # noqa: E402
from bench.generate import cached_sqlite, generate, in_schema, sqlite_url  # noqa: E402
from bench.server import Server, create_token, log_in, request  # noqa: E402

USER, PASSWORD = "manager", "formulary-demo"  # the demo manager: stock, patients, checks
SEARCH = "Novak"  # a surname in the demo and in the generated names
WARMUP_SECONDS = 1


@dataclass(frozen=True)
class Target:
    """One URL the bench drives."""

    key: str
    label: str
    path: str  # formatted with the ids picked from the dataset
    auth: str | None = "cookie"  # "cookie", "token" or None
    paginated: bool = False
    body: str = ""  # a JSON body makes it a POST


TARGETS = [
    Target("bare", "bare route `/bench/hello` (the ceiling)", "/bench/hello", auth=None),
    Target("login", "login page", "/login", auth=None),
    Target("dashboard", "dashboard", "/"),
    Target("stock", "stock list, first page", "/stock", paginated=True),
    Target("stock_filtered", "stock list, filtered (expiring soon)", "/stock?status=expiring", paginated=True),
    Target("stock_deep", "stock list, last page", "/stock?page={last_stock_page}", paginated=True),
    Target("product", "product page", "/catalogue/products/{product}"),
    Target("patient_search", f"patient search “{SEARCH}”", f"/patients/?q={SEARCH}", paginated=True),
    Target("patient", "patient profile", "/patients/{patient}"),
    Target("cocktail", "cocktail page with availability", "/cocktails/{cocktail}"),
    Target("check", "`POST /api/v1/checks`", "/api/v1/checks", auth="token",
           body='{{"patient_id": {patient}, "cocktail_id": {cocktail}, "date": "{today}"}}'),
    Target("session", "session page", "/sessions/{session}"),
    # The reports, over their default range (the last 91 days, by month) and a year by week.
    Target("report_consumption", "report: consumption, last quarter", "/reports/consumption"),
    Target("report_consumption_year", "report: consumption, a year by week",
           "/reports/consumption?from={year_ago}&by=week"),
    Target("report_waste", "report: waste and expiry losses", "/reports/waste"),
    Target("report_session_costs", "report: cost per session", "/reports/session-costs"),
    Target("report_sessions", "report: sessions per goal and practitioner", "/reports/sessions"),
    Target("report_turnover", "report: turnover and days of cover", "/reports/turnover"),
    Target("report_api", "`GET /api/v1/reports/consumption`", "/api/v1/reports/consumption", auth="token"),
]


def pick_ids(url: str, per_page: int = 50) -> dict:
    """The records each page shows: the busiest product, patient and cocktail, the latest session."""
    engine = create_engine(url)
    queries = {
        "product": "SELECT product_id FROM session_draw GROUP BY product_id ORDER BY COUNT(*) DESC, product_id",
        "patient": "SELECT patient_id FROM treatment_session GROUP BY patient_id ORDER BY COUNT(*) DESC, patient_id",
        "cocktail": "SELECT v.cocktail_id FROM treatment_session s JOIN cocktail_version v "
                    "ON v.id = s.cocktail_version_id JOIN cocktail c ON c.id = v.cocktail_id "
                    "WHERE NOT c.retired GROUP BY v.cocktail_id ORDER BY COUNT(*) DESC, v.cocktail_id",
        "session": "SELECT MAX(id) FROM treatment_session WHERE status = 'administered'",
        "in_stock": "SELECT COUNT(*) FROM lot WHERE on_hand > 0",
    }
    with engine.connect() as connection:
        ids = {key: connection.execute(text(sql)).scalar() for key, sql in queries.items()}
        counts = {table: connection.execute(text(f'SELECT COUNT(*) FROM "{table}"')).scalar()  # noqa: S608
                  for table in ("product", "lot", "patient", "treatment_session", "stock_movement", "cocktail")}
    engine.dispose()
    ids["last_stock_page"] = max(1, math.ceil(ids.pop("in_stock") / per_page))
    ids["today"] = date.today().isoformat()
    ids["year_ago"] = (date.today() - timedelta(days=364)).isoformat()
    return ids | {"counts": counts}


def wrk(port: int, target: Target, ids: dict, headers: dict, seconds: float) -> dict:
    """One wrk run; the figures from bench/wrk.lua's last line."""
    script = str(ROOT / "bench" / "wrk.lua")
    command = ["wrk", "-t1", "-c8", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s", script]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    env = {**os.environ, "BENCH_METHOD": "POST" if target.body else "GET", "BENCH_BODY": target.body.format(**ids)}
    run = subprocess.run([*command, f"http://127.0.0.1:{port}{target.path.format(**ids)}"], env=env,
                         capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(f"wrk failed for {target.label}: {run.stderr or run.stdout}")
    out = run.stdout
    line = next(line for line in out.splitlines() if line.startswith("BENCH "))
    raw = json.loads(line[len("BENCH "):])
    return {"p50": raw["p50_us"] / 1000, "p99": raw["p99_us"] / 1000, "mean": raw["mean_us"] / 1000,
            "rps": raw["requests"] / (raw["duration_us"] / 1e6), "requests": raw["requests"],
            "not_200": raw["not_200"], "socket_errors": raw["socket_errors"]}


def _headers(target: Target, cookie: str, token: str) -> dict:
    if target.auth == "cookie":
        return {"Cookie": cookie}
    if target.auth == "token":
        return {"Authorization": f"Bearer {token}"}
    return {}


def _first_answer(port: int, target: Target, ids: dict, headers: dict) -> None:
    """Refuse to bench a page that does not answer 200 (a login redirect would look very fast)."""
    body = target.body.format(**ids) or None
    answer = request(port, "POST" if body else "GET", target.path.format(**ids),
                     {**headers, **({"Content-Type": "application/json"} if body else {})}, body)
    if answer.status != 200:
        raise RuntimeError(f"{target.label}: HTTP {answer.status} for {target.path.format(**ids)}")


@dataclass
class Served:
    """One scale's database, served, logged in to."""

    scale: int
    server: Server
    ids: dict
    cookie: str = ""
    token: str = ""


def run(databases: dict[int, str], targets: list[Target], seconds: int, say) -> tuple[dict, dict]:
    """Serve every scale at once and drive each target on each scale in turn, so that the figures
    compared (a page at 1×, 10× and 100×, and the bare route) are measured minutes apart at most,
    under the same background load. The figures by scale and target key, and each scale's ids."""
    results: dict[int, dict] = {scale: {} for scale in databases}
    with ExitStack() as stack:
        served = []
        for scale, url in databases.items():
            entry = Served(scale, stack.enter_context(Server(url)), pick_ids(url))
            entry.cookie = log_in(entry.server.port, USER, PASSWORD)
            entry.token, entry.cookie = create_token(entry.server.port, entry.cookie)
            served.append(entry)
        for target in targets:
            for entry in served:
                headers = _headers(target, entry.cookie, entry.token)
                _first_answer(entry.server.port, target, entry.ids, headers)
                wrk(entry.server.port, target, entry.ids, headers, WARMUP_SECONDS)
                results[entry.scale][target.key] = f = wrk(entry.server.port, target, entry.ids, headers, seconds)
                say(f"  {entry.scale:>3}× {target.label}: {f['p50']:.1f} ms median, {f['p99']:.1f} ms p99, "
                    f"{f['rps']:,.0f} req/s" + (f" ({f['not_200']} answers not 200!)" if f["not_200"] else ""))
    return results, {entry.scale: entry.ids for entry in served}


def database_for(scale: int, database_url: str | None, say) -> str:
    """A database holding this scale's dataset, which the run may write to: on PostgreSQL, a schema
    of its own (bench_scale<N>) in the database given, rebuilt; on SQLite, a copy of the cached file."""
    if database_url:
        url = in_schema(database_url, f"bench_scale{scale}")
        say(f"  building scale {scale} in {url} (that schema is dropped first) …")
        generate(scale, url, quiet=True)
        return url
    cached = cached_sqlite(scale, say)
    # A copy of this process's own (benches may run side by side), removed when the process ends.
    work = cached.with_name(f"{cached.stem}-run-{os.getpid()}.db")
    copies = [work, Path(f"{work}-wal"), Path(f"{work}-shm")]
    for copy in copies:
        copy.unlink(missing_ok=True)
    atexit.register(lambda: [copy.unlink(missing_ok=True) for copy in copies])
    shutil.copyfile(cached, work)
    return sqlite_url(work)


def _describe(counts: dict) -> str:
    return (f"{counts['product']:,} products, {counts['lot']:,} lots, {counts['patient']:,} patients, "
            f"{counts['treatment_session']:,} sessions, {counts['stock_movement']:,} movements")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="1,10,100", help="comma-separated scales (default 1,10,100)")
    parser.add_argument("--database-url", help="a PostgreSQL URL: EVERY TABLE IN IT IS DROPPED and rebuilt "
                                               "for each scale; default: SQLite files in the temp folder")
    parser.add_argument("--seconds", type=int, default=5, help="measured seconds per URL (default 5)")
    parser.add_argument("--only", help="comma-separated target keys: " + ", ".join(t.key for t in TARGETS))
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is missing: install it with `apt-get install wrk` (Debian's package).", file=sys.stderr)
        return 2
    scales = sorted({int(s) for s in args.scale.split(",")})
    keys = set(args.only.split(",")) | {"bare"} if args.only else None
    targets = [t for t in TARGETS if keys is None or t.key in keys]
    command = ".venv/bin/python bench/pages.py" + (f" --scale {args.scale}" if args.scale != "1,10,100" else "") \
        + (" --database-url postgresql+psycopg://…" if args.database_url else "")
    info = report.machine(args.database_url)
    databases = {}
    for scale in scales:
        databases[scale] = database_for(scale, args.database_url, print)
    print("Driving every page on every scale …", flush=True)
    results, ids = run(databases, targets, args.seconds, lambda line: print(line, flush=True))
    datasets = {s: _describe(ids[s]["counts"]) + (" (the demo)" if s == 1 else "") for s in scales}
    largest = scales[-1]
    checks = check_speed.markdown(check_speed.measure(databases[largest]), f"{largest}×")
    info["load_after"] = "{:.2f} / {:.2f}".format(*os.getloadavg()[:2])
    print("\n<!-- performance figures: paste below the README's performance heading -->")
    print(report.block(results, targets, info, checks, command, datasets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
