"""The pre-session check in process: `bench/check_speed.py [--scale 100] [--database-url URL]`.

Two figures on the large dataset: `run_check` alone, on facts loaded once (the pure rule engine),
and `check_patient`, which loads the facts from the database (formulary/safety/loader.py and exposure.py, the
tolerances in treatments/checks.py) and then runs the check — what every check request pays. Target: 10 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.generate import cached_sqlite, generate, make_app, sqlite_url  # noqa: E402

TARGET_MS = 10.0
PAIRS = 300  # (patient, cocktail version) pairs checked
REPEATS = 5  # runs of run_check per pair


def summary(seconds: list[float]) -> dict[str, float]:
    """Median and 99th percentile, in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    return {"median": statistics.median(ms), "p99": ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))],
            "runs": len(ms)}


def _pairs(rng: random.Random) -> list[tuple[int, int]]:
    """Patients of every kind (allergies coded and free text, none known, never asked, regulars) with
    the current versions of the cocktails in use."""
    from formulary.cocktails.models import Cocktail, CocktailVersion
    from formulary.cocktails.queries import current_version_ids
    from formulary.extensions import db
    from formulary.patients.models import Allergy, Patient
    from formulary.treatments.models import TreatmentSession

    versions = list(db.session.scalars(
        select(CocktailVersion.id).join(Cocktail)
        .where(CocktailVersion.id.in_(current_version_ids()), Cocktail.retired.is_(False))
    ))
    with_allergies = list(db.session.scalars(select(Allergy.patient_id).distinct()))
    others = list(db.session.scalars(select(Patient.id).where(Patient.allergy_status != "recorded")))
    regulars = list(db.session.scalars(
        select(TreatmentSession.patient_id).group_by(TreatmentSession.patient_id)
        .order_by(func.count().desc()).limit(20)))
    patients = (rng.sample(with_allergies, min(len(with_allergies), PAIRS // 2))
                + rng.sample(others, min(len(others), PAIRS // 3)) + regulars)
    return [(patient, rng.choice(versions)) for patient in patients[:PAIRS]]


def ensure_kit() -> int:
    """A procedure kit of three of the dataset's products when the clinic has none, so that every check
    reads a kit as a clinic's would (the kit's products are checked like components); its size."""
    from formulary.catalogue.models import Product
    from formulary.cocktails.kit import ProcedureLine, default_kit, set_default_kit
    from formulary.extensions import db

    if not default_kit():
        ids = db.session.scalars(select(Product.id).order_by(Product.id.desc()).limit(3)).all()
        uses = ["topical anaesthetic", "antiseptic", "gloves"]
        set_default_kit([ProcedureLine(pid, use) for pid, use in zip(ids, uses, strict=False)], actor=None)
        db.session.commit()
    return len(default_kit())


def measure(url: str, today: date | None = None) -> dict:
    """Time the loader plus check, and the check alone, over a few hundred pairs."""
    from formulary.extensions import db
    from formulary.safety.check import run_check
    from formulary.safety.exposure import version_exposure
    from formulary.safety.loader import cross_reaction_facts, lexicon_for, patient_facts
    from formulary.treatments.checks import check_patient, tolerated_facts

    today = today or date.today()
    app = make_app(url)
    with app.app_context():
        kit = ensure_kit()
        pairs = _pairs(random.Random(11))
        for patient, version in pairs[:20]:  # warm up: imports, compiled statements
            check_patient(patient, version, today)
        loaded, alone, outcomes = [], [], {}
        for patient, version in pairs:
            started = time.perf_counter()
            result = check_patient(patient, version, today)
            loaded.append(time.perf_counter() - started)
            outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
        reactions = cross_reaction_facts()
        facts = [(patient_facts(patient, tolerated_facts(patient, today)),
                  version_exposure(version, today).everything)
                 for patient, version in pairs]
        for patient_side, components in facts:
            names = lexicon_for(patient_side)  # free-text allergies are read against the catalogue's names
            for _ in range(REPEATS):
                started = time.perf_counter()
                run_check(patient_side, components, reactions, on=today, lexicon=names)
                alone.append(time.perf_counter() - started)
        db.session.remove()
    return {"check": summary(alone), "loader": summary(loaded), "pairs": len(pairs), "outcomes": outcomes,
            "kit": kit}


def markdown(figures: dict, label: str) -> list[str]:
    """The check's figures as table rows for the README."""
    rows = []
    for key, what in (("check", "`run_check` on facts loaded once"),
                      ("loader", "`check_patient`: load the facts (loader.py, exposure.py) and check")):
        f = figures[key]
        verdict = "PASS" if f["p99"] <= TARGET_MS else "FAIL"
        rows.append(f"| {label} | {what} | {f['median']:.2f} ms | {f['p99']:.2f} ms "
                    f"| {verdict} (≤ {TARGET_MS:.0f} ms) |")
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--database-url", help="a PostgreSQL URL (REBUILT: its public schema is dropped); "
                                               "default: the SQLite file of the scale, built when missing")
    args = parser.parse_args(argv)
    if args.database_url:
        url = args.database_url
        print(f"Building scale {args.scale} in {url} …")
        generate(args.scale, url, quiet=True)
    else:
        url = sqlite_url(cached_sqlite(args.scale))
    figures = measure(url)
    print(f"{figures['pairs']} patient × cocktail pairs at scale {args.scale}; outcomes {figures['outcomes']}; "
          f"procedure kit of {figures['kit']} products")
    print("| data | what | median | p99 | target |")
    print("| --- | --- | ---: | ---: | --- |")
    print("\n".join(markdown(figures, f"{args.scale}×")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
