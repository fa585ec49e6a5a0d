"""CPU per request, in process: each bench page through Flask's test client, one request at a time.

    .venv/bin/python bench/cpu.py [--scale 1,100] [--database-url URL [--reuse]] [--repeat 30] [--profile KEY]

Far less sensitive to the machine's other work than the wrk figures of `bench/pages.py`: it
counts the process's CPU time (`time.process_time`), not the wall clock, and prints the median
per page and the SQL statements each request ran. On PostgreSQL it also prints the server's own
CPU per request (its backend's, read from /proc: the server runs on this machine) and the wall
clock, which holds both and the round trips. `--profile dashboard` prints where one page's time
goes (cProfile, sorted by cumulative time). `--reuse` works on the bench_scale<N> schema an earlier
run built, instead of rebuilding it (PostgreSQL; its data are as that run left them).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from bench.generate import in_schema  # noqa: E402
from bench.pages import PASSWORD, TARGETS, USER, database_for, pick_ids  # noqa: E402
from bench.server import _csrf  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def _server_cpu(pid: int | None) -> float:
    """The CPU seconds a PostgreSQL backend on this machine has used so far (0 when not known)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def _client(url: str):
    """A logged-in test client of the real app on that database, and its app."""
    # As the page bench serves it: production configuration (https cookies, so an https client). A class,
    # not the environment: config.py read the environment once already if this process built the dataset.
    from bench.app import create_app
    from config import ProductionConfig

    class BenchConfig(ProductionConfig):
        SQLALCHEMY_DATABASE_URI = url
        SECRET_KEY = secrets.token_hex(32)

    app = create_app(BenchConfig)
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_REFERER": "https://localhost/"})
    csrf = _csrf(client.get("/login").get_data(as_text=True))
    answer = client.post("/login", data={"username": USER, "password": PASSWORD, "csrf_token": csrf})
    if answer.status_code != 302:
        raise RuntimeError(f"could not log in as {USER}: HTTP {answer.status_code}")
    return app, client


def _call(client, target, ids, token):
    path = target.path.format(**ids)
    if target.body:
        return client.post(path, data=target.body.format(**ids), content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    if target.auth == "token":  # the API's GETs read the token, not the session cookie
        return client.get(path, headers={"Authorization": f"Bearer {token}"})
    return client.get(path)


def _backends(app) -> set[int]:
    """The PostgreSQL backend the app's requests use (none on SQLite): the test client asks one request at a time,
    so the pool holds a single connection, reused."""
    from formulary.extensions import db

    if db.engine.dialect.name != "postgresql":
        return set()
    with db.engine.connect() as connection:
        return {connection.connection.driver_connection.info.backend_pid}


def measure(url: str, targets, repeat: int, profile: str | None) -> dict[str, tuple]:
    """Median CPU milliseconds, statements, PostgreSQL's CPU milliseconds and wall milliseconds per request, by
    target key (the last two None on SQLite)."""
    app, client = _client(url)
    ids = pick_ids(url)
    with app.app_context():
        from formulary.auth.tokens import create_token
        from formulary.auth.users import find_user
        from formulary.extensions import db

        user = find_user(USER)
        token = create_token(user, "bench cpu", actor=user)[1]
        db.session.commit()
    statements = []
    with app.app_context():
        from formulary.extensions import db

        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(1))
    found = {}
    for target in targets:
        answer = _call(client, target, ids, token)
        if answer.status_code != 200:
            raise RuntimeError(f"{target.label}: HTTP {answer.status_code} for {target.path.format(**ids)}")
        if profile == target.key:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(repeat):
                _call(client, target, ids, token)
            profiler.disable()
            pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(45)
        with app.app_context():
            backends = _backends(app)
        times, server, wall = [], [], []
        for _ in range(repeat):
            statements.clear()
            before = sum(_server_cpu(pid) for pid in backends)
            started, clock = time.process_time(), time.perf_counter()
            _call(client, target, ids, token)
            wall.append((time.perf_counter() - clock) * 1000)
            times.append((time.process_time() - started) * 1000)
            server.append((sum(_server_cpu(pid) for pid in backends) - before) * 1000)
        found[target.key] = (statistics.median(times), len(statements),
                             statistics.mean(server) if backends else None, statistics.median(wall))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="1,100")
    parser.add_argument("--database-url", help="PostgreSQL URL (its bench_scale<N> schemas are rebuilt)")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--only", help="comma-separated target keys")
    parser.add_argument("--profile", help="a target key to profile (with one scale)")
    parser.add_argument("--reuse", action="store_true", help="PostgreSQL: the bench_scale<N> schema as built before")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    targets = [t for t in TARGETS if t.key != "login" and (not args.only or t.key in args.only.split(","))]
    scales = [int(s) for s in args.scale.split(",")]
    if len(scales) == 1:
        if args.reuse and args.database_url:
            url = in_schema(args.database_url, f"bench_scale{scales[0]}")
        else:
            url = database_for(scales[0], args.database_url, lambda line: print(line, file=sys.stderr))
        results = {scales[0]: measure(url, targets, args.repeat, args.profile)}
        if args.json:
            print(json.dumps(results[scales[0]]))
            return
    else:
        # config.py reads the environment once per process: one process per scale.
        results = {}
        for scale in scales:
            command = [sys.executable, __file__, "--scale", str(scale), "--repeat", str(args.repeat), "--json"]
            command += ["--database-url", args.database_url] if args.database_url else []
            command += ["--reuse"] if args.reuse else []
            command += ["--only", args.only] if args.only else []
            out = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
            results[scale] = json.loads(out.strip().splitlines()[-1])
    server = args.database_url is not None
    headers = [f"{s}× CPU" + (f" | {s}× PostgreSQL CPU | {s}× wall" if server else "") for s in scales]
    print("| page | " + " | ".join(headers) + " | statements |")
    print("| --- | " + " | ".join("---:" for _ in range(len(scales) * (3 if server else 1))) + " | ---: |")
    for target in targets:
        cells = []
        for s in scales:
            cpu, _count, backend, wall = results[s][target.key]
            cells.append(f"{cpu:.1f} ms")
            if server:
                cells += [f"{backend:.1f} ms" if backend is not None else "–", f"{wall:.1f} ms"]
        counts = " / ".join(str(results[s][target.key][1]) for s in scales)
        print(f"| {target.label} | " + " | ".join(cells) + f" | {counts} |")


if __name__ == "__main__":
    main()
