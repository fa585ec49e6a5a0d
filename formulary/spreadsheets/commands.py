"""`formulary stock export FILE.xlsx` and `formulary stock import FILE --mode …`: the pages' services."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from formulary.clinic_time import clinic_today, local_text
from formulary.spreadsheets.plan import NEW_LOT
from formulary.vocabulary import ImportMode, MovementKind

PROGRESS_FROM = 1_000  # changes: below this, applying takes no visible time
SHOWN_CHANGES = 50  # changes printed; the totals count them all


@click.group("stock")
def stock():
    """Stock workbooks: export the stock, import a delivery or a stocktake."""


@stock.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--storage", default="", help="Cycle count: only the lots kept at this storage place.")
@click.option("--category", default="", help="Cycle count: only this category.")
@click.option("--product-id", type=int, default=None, help="Cycle count: only this product.")
@with_appcontext
def export_command(path: Path, storage: str, category: str, product_id: int | None):
    """Write the stock workbook (Stock and Products sheets, and its count record) to PATH (.xlsx)."""
    from formulary.extensions import db
    from formulary.spreadsheets.exporter import export_stock
    from formulary.stock.counting import CountScope

    if path.suffix.lower() != ".xlsx":
        raise click.BadParameter("the file name must end in .xlsx", param_hint="PATH")
    scope = CountScope(storage.strip(), category.strip(), product_id)
    counts = export_stock(str(path), clinic_today(), current_app.config["EXPIRY_WARNING_DAYS"], scope=scope)
    db.session.commit()  # this database's identifier, made on its first export
    click.echo(f"Wrote {path}: {counts.lots:,} lots of {counts.products:,} products ({scope.describe()}).")


@stock.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mode", required=True, type=click.Choice([mode.value for mode in ImportMode]),
              help="delivery: stock received; stocktake: quantities counted.")
@click.option("--dry-run", is_flag=True, help="Check and show what would change; write nothing.")
@click.option("--force", is_flag=True, help="Import a delivery even if its content was imported before.")
@click.option("--zero-not-counted", "zero", default="", metavar="all|ID,ID…",
              help="Stocktake: zero the lots the count left out, all of them or these lot ids.")
@with_appcontext
def import_command(path: Path, mode: str, dry_run: bool, force: bool, zero: str):
    """Check a delivery or stocktake workbook (.xlsx or .csv) and apply it in one transaction."""
    from formulary.extensions import db
    from formulary.spreadsheets.errors import WorkbookRefused
    from formulary.spreadsheets.importer import apply_import, check_upload
    from formulary.spreadsheets.prepared import ImportConflict, ImportRefused

    text = zero.strip().lower()
    choice: str | list[int] = text
    if text not in ("", "all"):
        if not all(part.strip().isdigit() for part in text.split(",")):
            raise click.BadParameter("all, or lot ids separated by commas", param_hint="--zero-not-counted")
        choice = [int(part) for part in text.split(",")]
    try:
        prepared = check_upload(path.read_bytes(), path.name, mode, force=force, zero=choice)
    except WorkbookRefused as refused:
        raise click.ClickException(f"{path.name}: {refused.message} Nothing was imported.") from None
    except ImportRefused as refused:  # some rows cannot be used, or a delivery imported before
        raise _refusal(refused, path.name) from None
    _print_preview(prepared)
    changes = prepared.plan.changes
    counted = prepared.plan.counted
    if dry_run or not (changes or (counted and counted.counted)):  # a count that agrees is still recorded
        click.echo("Dry run: nothing was written." if dry_run else "Nothing to change.")
        return
    try:
        if len(changes) >= PROGRESS_FROM:
            with click.progressbar(length=len(changes), label="Importing", show_pos=True) as bar:
                stock_import = apply_import(prepared, actor=None, force=force, progress=bar.update)
        else:
            stock_import = apply_import(prepared, actor=None, force=force)
        db.session.commit()
    except ImportConflict as conflict:
        db.session.rollback()
        raise click.ClickException(str(conflict)) from None
    click.echo(f"Imported as import #{stock_import.id}.")


def _refusal(refused, file_name: str) -> click.ClickException:
    """Why nothing was imported: every cell error, or what a delivery imported before would do again."""
    from formulary.spreadsheets.prepared import ImportHasErrors

    plan = refused.prepared.plan
    if not isinstance(refused, ImportHasErrors):
        _print_preview(refused.prepared)
        return click.ClickException(f"{refused}: then add --force.")
    _print_ignored(plan)
    for error in plan.errors:
        where = f"{error.sheet}!row {error.row}, column {error.column}"
        click.echo(f'{where}, value "{error.value}": {error.message}', err=True)
    count = len(plan.errors)
    return click.ClickException(f"{count:,} error{'s' if count != 1 else ''} in {file_name}; nothing was imported.")


def _print_ignored(plan) -> None:
    """The columns the file has that are not ours."""
    for column in plan.ignored_columns:
        click.echo(f"Column {column} is not one of ours: ignored.")


def _print_preview(prepared) -> None:
    """What the import does: the columns ignored, the totals, then the first changes."""
    from formulary.stock.errors import fmt_quantity

    plan = prepared.plan
    _print_ignored(plan)
    click.echo(f"{prepared.file_name} ({plan.mode}): {plan.rows:,} rows, {plan.lots_created:,} new lots, "
               f"{plan.lots_changed:,} lots changed, {plan.unchanged:,} unchanged.")
    for unit, (added, removed) in plan.by_unit().items():
        sides = [f"+{fmt_quantity(added)}" if added else "", f"-{fmt_quantity(removed)}" if removed else ""]
        click.echo(f"  {unit}: {' / '.join(side for side in sides if side)}")
    for change in plan.changes[:SHOWN_CHANGES]:
        unit = change.product.unit
        what = {NEW_LOT: "new lot", MovementKind.RECEIVE: "received", MovementKind.ADJUST: "counted"}[change.kind]
        before, after = fmt_quantity(change.on_hand), fmt_quantity(change.after)
        click.echo(f"  row {change.row}: {change.product.name}, lot {change.lot} (expires {change.expiry}): "
                   f"{what}, {before} → {after} {unit}")
    if len(plan.changes) > SHOWN_CHANGES:
        click.echo(f"  … and {len(plan.changes) - SHOWN_CHANGES:,} more changes.")
    if plan.counted is not None:
        _print_count(plan.counted)


def _print_count(counted) -> None:
    """A stocktake's moment, the lots that moved since it and those it did not count."""
    from formulary.spreadsheets.stocktake import moved_text

    if counted.counted_at is None:
        click.echo("No count record in this file (typed by hand?): read as counted now.")
    else:
        click.echo(f"Counted at {local_text(counted.counted_at)} ({counted.scope}); "
                   "what moved since stands.")
    for lot in counted.moved[:SHOWN_CHANGES]:
        click.echo(f"  moved since the count: {lot.product}, lot {lot.lot_number} (#{lot.lot_id}): {moved_text(lot)}")
    zeroed = set(counted.zeroed)
    for lot in counted.not_counted[:SHOWN_CHANGES]:
        what = "zeroed, as asked" if lot.lot_id in zeroed else "left as it is (--zero-not-counted to zero it)"
        click.echo(f"  not counted: {lot.product.name}, lot {lot.lot_number} (#{lot.lot_id}): {what}")
    hidden = max(len(counted.not_counted), len(counted.moved)) - SHOWN_CHANGES
    if hidden > 0:
        click.echo(f"  … and more: {len(counted.moved):,} moved, {len(counted.not_counted):,} not counted in all.")
