"""The accent-blind patient search at 20,000 patients: `.venv/bin/python bench/patient_search.py [--database-url URL]`.

Builds 20,000 patients (the large dataset's names, accents included: Lucía, Petrović, Chloé …) in a
fresh SQLite file, or in a schema `bench_search` of the PostgreSQL database given (migrated, so the
trigram index is there), then times one page of the patient list for a few searches, each the median
of 15 runs, next to a reference in the same run: the search as it was (the raw name, LIKE / ILIKE,
which misses the accents). Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402

from bench.dataset import FIRST_NAMES, LAST_NAMES  # noqa: E402
from bench.generate import empty_database, in_schema  # noqa: E402

PATIENTS = 20_000
SEARCHES = ["lucia", "petrovic", "fernandez lucia", "chloe", "C-012345"]
RUNS = 15


def _median_ms(run) -> float:
    run()  # warm-up
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _app(url: str):
    """The real application on this database (production settings, a throwaway secret)."""
    import secrets

    from config import ProductionConfig
    from formulary import create_app

    class SearchBenchConfig(ProductionConfig):
        SQLALCHEMY_DATABASE_URI = url
        SECRET_KEY = secrets.token_urlsafe(48)

    return create_app(SearchBenchConfig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a fresh SQLite file)")
    args = parser.parse_args(argv)
    url = in_schema(args.database_url, "bench_search") if args.database_url else \
        f"sqlite:///{Path(tempfile.mkdtemp()) / 'search.db'}"
    empty_database(url)
    app = _app(url)
    with app.app_context():
        from flask_migrate import upgrade

        from formulary.extensions import db
        from formulary.patients.models import Patient
        from formulary.patients.queries import PatientPage, patient_query

        upgrade()
        rng = random.Random(20)
        rows = [{"name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", "reference": f"C-{n:06d}",
                 "date_of_birth": date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)),
                 "allergy_status": "unknown"} for n in range(1, PATIENTS + 1)]
        db.session.execute(insert(Patient), rows)  # the model's default writes each search key
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE patient"))
            db.session.commit()
        print(f"{db.engine.dialect.name}, {PATIENTS:,} patients; median of {RUNS} runs, one page of 25 and "
              "its count (the machine is shared with other work: compare within this run only)")
        print("| search | folded: found | folded: ms | as it was (raw name): found | as it was: ms |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for search in SEARCHES:
            def folded(search=search):
                return PatientPage(query=patient_query(search), page=1, per_page=25, error_out=False).total

            raw_name = Patient.name.ilike if db.engine.dialect.name == "postgresql" else Patient.name.like

            def raw(search=search, raw_name=raw_name):
                where = [raw_name(f"%{word}%") | Patient.reference.like(f"%{word}%") for word in search.split()]
                query = select(func.count()).select_from(Patient).where(*where)
                return db.session.scalar(query)

            found, found_raw = folded(), raw()
            print(f"| {search} | {found:,} | {_median_ms(folded):.1f} | {found_raw:,} | {_median_ms(raw):.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
