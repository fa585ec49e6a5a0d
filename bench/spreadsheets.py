"""Spreadsheet speed: `.venv/bin/python bench/spreadsheets.py [--rows 50000] [--products 1000] [--repeat 3]`.

Builds, in a temp folder, a SQLite catalogue of ~1,000 products (bulk inserts) and a
50,000-row delivery workbook (XlsxWriter), then measures, each run in a fresh subprocess
so that its peak memory (ru_maxrss: the whole process, interpreter and imports included)
is its own:

- bare python-calamine: parse the delivery workbook into Python rows;
- formulary import: parse, validate and commit that delivery on SQLite (a fresh copy of the
  catalogue each run): 50,000 new lots and their movements;
- bare XlsxWriter: write the cells of the resulting 50,000-lot export (Stock and Products sheets);
- formulary export: query that database and write the same workbook, formatted.

The measurements run round by round (parse, import, write, export, then again), --repeat
rounds, and the least CPU time of each is kept: a shared machine slows some runs, never
speeds one up. The last block of the output is the one to paste into the README.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = {"import": 4, "export": 1.5, "memory_mb": 400}
DELIVERY_HEADERS = ["Product", "GTIN", "Lot", "Expiry", "Qty", "Unit cost", "Supplier", "Received"]
CATEGORIES = ["hyaluronic acid", "vitamin", "antioxidant", "amino acid", "peptide", "mineral", "other"]
SUPPLIERS = ["MesoSupply", "Dermaline Distribution", "Aesthetic Direct", "=Pharma+ (quoted)"]


def make_app(url: str):
    """The real application on this database."""
    from config import Config
    from formulary import create_app

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url

    return create_app(BenchConfig)


# Data ---------------------------------------------------------------------------------------------

def catalogue_rows(count: int) -> list[dict]:
    """Products with valid GTINs, several units and categories."""
    from formulary.catalogue.gtin import gtin_check_digit

    rows = []
    for number in range(1, count + 1):
        body = f"0950600{number:06d}"
        rows.append({
            "id": number, "name": f"{CATEGORIES[number % 7].capitalize()} product {number:04d} 2 mL",
            "category": CATEGORIES[number % 7], "gtin": f"{body}{gtin_check_digit(body)}",
            "unit": "vial" if number % 5 == 0 else "mL", "unit_size": Decimal(2),
            "single_use": number % 3 == 0, "reorder_level": Decimal(10 * (number % 4)) or None,
        })
    return rows


def delivery_rows(count: int, products: list[dict], today: date) -> list[list]:
    """A row per new lot: product name and GTIN, lot, expiry, quantity, cost, supplier, received."""
    rng = random.Random(50_000)
    rows = []
    for number in range(count):
        product = products[number % len(products)]
        received = today - timedelta(days=rng.randrange(0, 400))
        expiry = received + timedelta(days=rng.randrange(60, 900))
        quantity = rng.choice((1, 2, 5, 10, 20, 2.5, 0.5, 12, 48))
        rows.append([product["name"], product["gtin"], f"LOT-{number:06d}", expiry, quantity,
                     round(rng.uniform(1, 90), 2), rng.choice(SUPPLIERS), received])
    return rows


def build(workdir: Path, rows: int, product_count: int) -> None:
    """The catalogue database and the delivery workbook."""
    import xlsxwriter
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from formulary.catalogue.models import Product
    from formulary.extensions import db

    products = catalogue_rows(product_count)
    app = make_app(f"sqlite:///{workdir / 'catalogue.db'}")
    with app.app_context():
        upgrade()
        db.session.execute(insert(Product), products)
        db.session.commit()
        db.engine.dispose()
    workbook = xlsxwriter.Workbook(str(workdir / "delivery.xlsx"), {"constant_memory": True})
    sheet = workbook.add_worksheet("Stock")
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, DELIVERY_HEADERS)
    for number, (name, gtin, lot, expiry, quantity, cost, supplier, received) in enumerate(
        delivery_rows(rows, products, date.today()), start=1
    ):
        sheet.write_string(number, 0, name)
        sheet.write_string(number, 1, gtin)
        sheet.write_string(number, 2, lot)
        sheet.write_datetime(number, 3, expiry, dates)
        sheet.write_number(number, 4, quantity)
        sheet.write_number(number, 5, cost)
        sheet.write_string(number, 6, supplier)
        sheet.write_datetime(number, 7, received, dates)
    workbook.close()


# Measurements, each in its own process ----------------------------------------------------------

class Clock:
    """Wall and CPU time (all threads of this process) since it started."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def read(self) -> dict:
        return {"seconds": time.perf_counter() - self.wall, "cpu": time.process_time() - self.cpu}


def warm_up() -> None:
    """What a running server has done once before any request: configure the ORM, open a connection."""
    from sqlalchemy.orm import configure_mappers

    from formulary.extensions import db

    configure_mappers()
    with db.engine.connect():
        pass


def measure_bare_parse(workdir: Path) -> dict:
    from python_calamine import CalamineWorkbook

    data = (workdir / "delivery.xlsx").read_bytes()
    clock = Clock()
    grid = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    return {**clock.read(), "rows": len(grid) - 1}


def measure_import(workdir: Path, run: int) -> dict:
    database = workdir / f"import-{run}.db"
    shutil.copy(workdir / "catalogue.db", database)
    app = make_app(f"sqlite:///{database}")
    from formulary.extensions import db
    from formulary.spreadsheets.importer import apply_import, prepare_import

    data = (workdir / "delivery.xlsx").read_bytes()
    with app.app_context():
        warm_up()
        clock = Clock()
        prepared = prepare_import(data, "delivery.xlsx", "delivery", today=date.today(), date_order="DMY",
                                  max_rows=100_000)
        checked = clock.read()
        assert not prepared.plan.errors, prepared.plan.errors[:3]
        stock_import = apply_import(prepared, actor=None)
        db.session.commit()
        result = {**clock.read(), "check": checked["cpu"], "lots_created": stock_import.lots_created}
        result["write"] = result["cpu"] - result["check"]
        db.engine.dispose()
    shutil.copy(database, workdir / "stock.db")  # the 50,000-lot database the exports read
    return result


def export_cells(workdir: Path) -> tuple[list[tuple], list[tuple]]:
    """The cells the export writes, as plain values, read without formulary's exporter (not timed).

    Stock rows, in the export's column order: product, GTIN, category, lot, expiry, status, package,
    sealed units, opened content, unit, unit cost, value, supplier, received, quantity at count (text);
    then the lot id and on hand for the count record. Products: name, GTIN, category, unit, on hand,
    in units (text), reorder level.
    """
    from formulary.quantity import count_size, fmt_count, package_label, split_count
    from formulary.spreadsheets.exporter import CENT

    connection = sqlite3.connect(workdir / "stock.db")
    today = date.today()
    stock = []
    for row in connection.execute(
        "SELECT p.name, p.gtin, p.category, l.lot_number, l.expiry, l.status, l.on_hand, p.unit, "
        "l.unit_cost, l.supplier, l.received_on, l.id, p.package, p.unit_size, l.opened_content "
        "FROM lot l JOIN product p ON p.id = l.product_id "
        "WHERE l.on_hand > 0 ORDER BY p.name, l.expiry, l.lot_number"
    ):
        expiry = date.fromisoformat(row[4])
        status = "Expired" if expiry < today else "Available"
        value = float((Decimal(str(row[6])) * Decimal(str(row[8]))).quantize(CENT))
        received = date.fromisoformat(row[10])
        on_hand, unit, package, unit_size = Decimal(str(row[6])), row[7], row[12], Decimal(str(row[13]))
        size = count_size(unit, unit_size, package)
        sealed, opened = split_count(on_hand, Decimal(str(row[14])), size)
        stock.append((*row[:4], expiry, status, package_label(package, unit_size, unit), float(sealed),
                      float(opened), unit, row[8], value, row[9], received,
                      fmt_count(sealed, opened, unit, size, package), row[11], row[6]))
    products = []
    for name, gtin, category, unit, on_hand, reorder, package, unit_size, opened in connection.execute(
        "SELECT p.name, p.gtin, p.category, p.unit, COALESCE(SUM(l.on_hand), 0), p.reorder_level, p.package, "
        "p.unit_size, COALESCE(SUM(l.opened_content), 0) "
        "FROM product p LEFT JOIN lot l ON l.product_id = p.id GROUP BY p.id ORDER BY p.name"
    ):
        size = count_size(unit, Decimal(str(unit_size)), package)
        sealed, loose = split_count(Decimal(str(on_hand)), Decimal(str(opened)), size)
        products.append((name, gtin, category, unit, on_hand, fmt_count(sealed, loose, unit, size, package), reorder))
    connection.close()
    return stock, products


def measure_bare_write(workdir: Path) -> dict:
    import xlsxwriter

    from formulary.spreadsheets.format import EXPORT_HEADERS, PRODUCT_HEADERS
    from formulary.spreadsheets.writer import QUANTITY_AT_COUNT

    stock, products = export_cells(workdir)
    clock = Clock()
    workbook = xlsxwriter.Workbook(str(workdir / "bare.xlsx"), {"constant_memory": True})
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet = workbook.add_worksheet("Stock")
    sheet.write_row(0, 0, (*EXPORT_HEADERS, QUANTITY_AT_COUNT))
    for number, row in enumerate(stock, start=1):
        for column in (0, 1, 2, 3, 5, 6, 9, 12, 14):
            sheet.write_string(number, column, row[column])
        for column in (7, 8, 10, 11):
            sheet.write_number(number, column, row[column])
        sheet.write_datetime(number, 4, row[4], dates)
        sheet.write_datetime(number, 13, row[13], dates)
    sheet = workbook.add_worksheet("Products")
    sheet.write_row(0, 0, PRODUCT_HEADERS)
    for number, row in enumerate(products, start=1):
        for column in (0, 1, 2, 3, 5):
            sheet.write_string(number, column, row[column])
        sheet.write_number(number, 4, row[4])
        if row[6] is not None:
            sheet.write_number(number, 6, row[6])
        sheet.write_string(number, 7, "no")
    # The count record: each lot's id and quantity then, on a sheet of its own.
    sheet = workbook.add_worksheet("Count record")
    for number, row in enumerate(stock, start=6):
        sheet.write_number(number, 0, row[15])
        sheet.write_number(number, 1, row[16])
    workbook.close()
    return {**clock.read(), "rows": len(stock)}


def measure_export(workdir: Path) -> dict:
    app = make_app(f"sqlite:///{workdir / 'stock.db'}")
    from formulary.extensions import db
    from formulary.spreadsheets.exporter import export_stock

    with app.app_context():
        warm_up()
        clock = Clock()
        counts = export_stock(str(workdir / "export.xlsx"), date.today(), 30)
        result = {**clock.read(), "rows": counts.lots}
        db.engine.dispose()
    return result


MEASURES = {
    "bare_parse": measure_bare_parse, "import": measure_import,
    "bare_write": measure_bare_write, "export": measure_export,
}


def run_measure(name: str, workdir: Path, run: int) -> dict:
    """One measurement in a fresh interpreter, with that process's peak memory."""
    command = [sys.executable, __file__, "--measure", name, "--workdir", str(workdir), "--run", str(run)]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(output.strip().splitlines()[-1])


def best(results: list[dict]) -> dict:
    """The least CPU time of the runs (and the least wall time), and the highest peak memory."""
    return {
        **min(results, key=lambda result: result["cpu"]),
        "seconds": min(result["seconds"] for result in results),
        "peak_mb": max(result["peak_mb"] for result in results),
    }


def paired(results: dict[str, list[dict]], step: str, bare: str) -> float:
    """The median, over the rounds, of a step's CPU time over its bare counterpart's in the same round."""
    return statistics.median(a["cpu"] / b["cpu"] for a, b in zip(results[step], results[bare], strict=True))


def report(results: dict[str, list[dict]], rows: int, products: int) -> str:
    """The block for the README: each step's CPU and wall time and peak memory, and the ratios."""
    found = {name: best(runs) for name, runs in results.items()}
    repeat = len(results["import"])
    parse, imported, write, exported = (found[name] for name in MEASURES)
    import_ratio, export_ratio = imported["cpu"] / parse["cpu"], exported["cpu"] / write["cpu"]
    peak = max(imported["peak_mb"], exported["peak_mb"])

    def row(step: str, found: dict, verdict: str = "") -> str:
        times = f"{found['cpu']:.2f} s | {found['seconds']:.2f} s"
        return f"| {step} | {times} | {found['peak_mb']:.0f} MB | {verdict} |"

    def verdict(ratio: float, target: float, against: str) -> str:
        return f"{ratio:.2f}× {against} (target ≤ {target}×): {'met' if ratio <= target else 'MISSED'}"

    return "\n".join([
        f"Spreadsheets, {rows:,} rows over {products:,} products: best of {repeat} runs, each in a fresh "
        f"process ({platform.python_implementation()} {platform.python_version()}, SQLite "
        f"{sqlite3.sqlite_version}, {platform.machine()}, {os.cpu_count()} CPUs). Ratios are of CPU time, "
        "which a busy machine disturbs far less than wall time; memory is each process's peak RSS, "
        "interpreter and imports included.",
        "",
        "| step | CPU | wall | peak memory | against the target |",
        "| --- | ---: | ---: | ---: | --- |",
        row("bare python-calamine: parse the delivery workbook", parse),
        row(f"formulary import: read, check, commit {imported['lots_created']:,} new lots and their "
            "movements (SQLite)", imported, verdict(import_ratio, TARGETS["import"], "the bare parse")),
        f"| … of which reading and checking | {imported['check']:.2f} s | | | |",
        f"| … of which writing and committing | {imported['write']:.2f} s | | | |",
        row(f"bare XlsxWriter: write the same cells ({write['rows']:,} lots, {products:,} products)", write),
        row("formulary export: query, Stock and Products sheets, formatted", exported,
            verdict(export_ratio, TARGETS["export"], "the bare write")),
        "",
        f"Peak memory of the import and the export: {peak:.0f} MB (target < {TARGETS['memory_mb']} MB): "
        f"{'met' if peak < TARGETS['memory_mb'] else 'MISSED'}.",
        f"Round by round (each import against the parse just before it), the median ratios are "
        f"{paired(results, 'import', 'bare_parse'):.2f}× for the import and "
        f"{paired(results, 'export', 'bare_write'):.2f}× for the export.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--products", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=["import", "export"], help="measure one side only")
    parser.add_argument("--measure", choices=list(MEASURES), help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--run", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure = MEASURES[args.measure]
        result = measure(args.workdir, args.run) if args.measure == "import" else measure(args.workdir)
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    workdir = Path(tempfile.mkdtemp(prefix="formulary-spreadsheets-"))
    try:
        started = time.perf_counter()
        print(f"Building {args.products:,} products and a {args.rows:,}-row delivery workbook in {workdir} …",
              flush=True)
        build(workdir, args.rows, args.products)
        size = (workdir / "delivery.xlsx").stat().st_size / 1e6
        print(f"  built in {time.perf_counter() - started:.1f} s (workbook {size:.1f} MB)", flush=True)
        names = list(MEASURES)
        if args.only:  # the export reads the database the import wrote
            names = names[:2] if args.only == "import" else names[1:]
        results: dict[str, list[dict]] = {name: [] for name in names}
        for run in range(args.repeat):  # round by round, so that each pair sees the same machine
            for name in names:
                results[name].append(run_measure(name, workdir, run))
                last = results[name][-1]
                print(f"  round {run + 1}, {name}: CPU {last['cpu']:.2f} s, wall {last['seconds']:.2f} s, "
                      f"{last['peak_mb']:.0f} MB", flush=True)
        print()
        if args.only:
            print("\n".join(f"{name}: {best(runs)}" for name, runs in results.items()))
            step, bare = ("import", "bare_parse") if args.only == "import" else ("export", "bare_write")
            print(f"{step}: {best(results[step])['cpu'] / best(results[bare])['cpu']:.2f}× the {bare} (least CPU "
                  f"times), {paired(results, step, bare):.2f}× round by round (median)")
        else:
            print(report(results, args.rows, args.products))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
