"""The reports and the digest in process: `.venv/bin/python bench/reports.py [--scale 100] [--database-url URL]`.

On the bench's dataset (SQLite cached in the temp folder, or a schema bench_scale<N> of the PostgreSQL
database given, rebuilt), it times each report's build (SQL sums + pandas + chart + the page's HTML),
its workbook, and the daily digest (every section, plain text and HTML; nothing is sent), wall clock,
median and worst of N runs after one warm-up, next to a bare `SELECT 1` round trip in the same run.
The pages' p99 under load comes from `bench/pages.py --only report_consumption,…` (wrk against gunicorn).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages import database_for  # noqa: E402


def timed(fn, runs: int) -> tuple[float, float]:
    """Median and worst wall-clock milliseconds of `runs` calls after one warm-up call."""
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--database-url", help="PostgreSQL: the schema bench_scale<N> in it is dropped and rebuilt")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    url = database_for(args.scale, args.database_url, print)

    from sqlalchemy import func, select, text

    from config import Config
    from formulary import create_app
    from formulary.extensions import db
    from formulary.reports.builders import REPORTS
    from formulary.reports.digest import build_digest
    from formulary.reports.periods import Period, parse_range
    from formulary.reports.views import build, report_page
    from formulary.reports.workbook import write_report
    from formulary.stock.models import StockMovement

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(BenchConfig)
    today = date.today()
    rows = []
    with app.test_request_context("/reports/"):
        movements = db.session.scalar(select(func.count(StockMovement.id)))
        print(f"{db.engine.dialect.name}, scale {args.scale}: {movements:,} movements; "
              f"load {os.getloadavg()[0]:.2f} (2 cores shared with other work)")
        rows.append(("bare `SELECT 1`", *timed(lambda: db.session.execute(text("SELECT 1")), args.runs)))
        for label, (start, by) in {"last quarter, by month": (None, "month"),
                                   "a year, by week": (date(today.year - 1, today.month, 1), "week")}.items():
            rng = parse_range(start, None, by, today)
            for key in REPORTS:
                if key == "turnover" and by == Period.WEEK:
                    continue

                def page(key=key, rng=rng):
                    return report_page(key, build(key, rng), {})

                rows.append((f"{key} page, {label}", *timed(page, args.runs)))
                print(f"  {rows[-1][0]}: {rows[-1][1]:,.0f} ms median, {rows[-1][2]:,.0f} ms worst", flush=True)
            rows.append((f"consumption workbook, {label}",
                         *timed(lambda rng=rng: write_report(io.BytesIO(), build("consumption", rng)), args.runs)))
        digest_ms = timed(lambda: build_digest(today, 30, "bench").html(), max(3, args.runs // 3))
        rows.append(("daily digest (every section, text and HTML)", *digest_ms))
    print("\n| in process, wall clock | median | worst |\n| --- | ---: | ---: |")
    for label, median, worst in rows:
        print(f"| {label} | {median:,.1f} ms | {worst:,.1f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
