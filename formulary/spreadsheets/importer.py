"""Stock imports: an upload read, checked against preloaded maps, applied in one transaction or not at all.

Reading and validation take a fixed number of queries whatever the row count (the
products, their lots, an earlier import of the same content); applying hands the changes to
the ledger's bulk writes (stock/bulk.py), with the same rules as one movement at a time:
every quantity change is a movement, on hand never goes below zero, and nothing is
half-written. A delivery already imported is refused unless forced: refuse_if_imported,
which the pages, the command line and the API all meet through check_upload.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Sequence
from datetime import date
from operator import attrgetter

from flask import current_app
from sqlalchemy import select

from formulary.audit.log import record
from formulary.auth.models import User
from formulary.catalogue.models import Product
from formulary.clinic_time import clinic_today
from formulary.db import utcnow
from formulary.extensions import db
from formulary.spreadsheets import stocktake
from formulary.spreadsheets.collector import collector_paused
from formulary.spreadsheets.count_record import read_count_record
from formulary.spreadsheets.lines import StockLine, column, stock_lines
from formulary.spreadsheets.plan import NEW_LOT, Change
from formulary.spreadsheets.prepared import (
    AlreadyImported,
    ImportConflict,
    ImportHasErrors,
    PreparedImport,
    PreviewOutdated,
    PreviousImport,
)
from formulary.spreadsheets.reader import read_upload
from formulary.spreadsheets.validation import Catalogue, LotRef, validate
from formulary.stock import bulk as stock_bulk
from formulary.stock.bulk import LotChange
from formulary.stock.counting import mark_counted
from formulary.stock.errors import fmt_quantity
from formulary.stock.models import Lot, StockImport
from formulary.vocabulary import ImportMode

_ID = attrgetter("id")
LOT_FILTER_LIMIT = 1_000  # above this many products, read every lot rather than a long IN list


def prepare_import(
    data: bytes, file_name: str, mode: str, *, today: date, date_order: str, max_rows: int
) -> PreparedImport:
    """Read and check an upload; raise WorkbookRefused when the file as a whole cannot be used."""
    with collector_paused():
        return _prepare(data, file_name, mode, today, date_order, max_rows)


def _prepare(data: bytes, file_name: str, mode: str, today: date, date_order: str, max_rows: int) -> PreparedImport:
    # A function of its own: the rows and lines are freed as it returns, before the collector
    # resumes, rather than scanned by it once more (a tenth of the reading time of 50,000 rows).
    sheet = read_upload(data, file_name, mode=mode, max_rows=max_rows)
    record = None
    if mode == ImportMode.STOCKTAKE and data.startswith(b"PK"):  # an .xlsx, guarded by read_upload
        record = read_count_record(data)
        if record is not None:
            stocktake.check_record(record, utcnow())
    lines, line_errors = stock_lines(sheet, mode, date_order)
    catalogue = load_catalogue(lines)
    plan = validate(sheet, lines, line_errors, mode, catalogue, today, record)
    if mode == ImportMode.STOCKTAKE and not plan.errors:
        plan.counted = stocktake.count_outcome(lines, catalogue, record)
    prepared = PreparedImport(file_name, hashlib.sha256(data).hexdigest(), plan)
    if mode == ImportMode.DELIVERY and not plan.errors:
        prepared.previous = previous_import(plan.content_hash)
    return prepared


def prepare_from_config(data: bytes, file_name: str, mode: str) -> PreparedImport:
    """prepare_import with today's date and the clinic's date order and row limit."""
    config = current_app.config
    return prepare_import(data, file_name, mode, today=clinic_today(), date_order=config["DATE_ORDER"],
                          max_rows=config["IMPORT_MAX_ROWS"])


def load_catalogue(lines: Sequence[StockLine]) -> Catalogue:
    """Every product (one query), and the lots of the products the lines name (one more)."""
    catalogue = Catalogue.of(
        db.session.execute(select(Product.id, Product.name, Product.gtin, Product.unit, Product.retired,
                                  Product.unit_size, Product.package))
    )
    product_ids = catalogue.product_ids(lines)
    query = select(Lot.id, Lot.product_id, Lot.lot_number, Lot.expiry, Lot.on_hand, Lot.status, Lot.counted_at)
    if len(product_ids) <= LOT_FILTER_LIMIT:
        query = query.where(Lot.product_id.in_(product_ids))
    catalogue.lots = {(row.product_id, row.lot_number): LotRef(*row) for row in db.session.execute(query)}
    return catalogue


def previous_import(content_hash: str) -> PreviousImport | None:
    """The latest delivery import of the same content, if any."""
    row = db.session.execute(
        select(StockImport.id, StockImport.at, User.username, StockImport.file_name)
        .outerjoin(User, User.id == StockImport.user_id)
        .where(StockImport.sha256 == content_hash, StockImport.mode == ImportMode.DELIVERY)
        .order_by(StockImport.id.desc())
        .limit(1)
    ).first()
    return PreviousImport(*row) if row else None


def refuse_if_imported(prepared: PreparedImport, force: bool) -> None:
    """A delivery already imported is refused unless forced: AlreadyImported."""
    if prepared.previous is not None and not force:
        raise AlreadyImported(prepared)


def check_upload(data: bytes, file_name: str, mode: str, *, force: bool = False,
                 previewed: str | None = None, zero: str | Collection[int] | None = None) -> PreparedImport:
    """An upload read and checked for applying, or the reason it cannot be applied.

    WorkbookRefused (the whole file, or a `zero` naming a lot that was counted), ImportHasErrors
    (some cells), AlreadyImported (unless forced), PreviewOutdated (its changes are no longer
    the `previewed` ones). A stocktake zeroes the lots it did not count only as `zero` says:
    "all", or their ids (chosen after the preview, so outside its fingerprint).
    """
    prepared = prepare_from_config(data, file_name, mode)
    if prepared.plan.errors:
        raise ImportHasErrors(prepared)
    refuse_if_imported(prepared, force)
    if previewed is not None and prepared.plan.changes_digest() != previewed:
        raise PreviewOutdated(prepared)
    if zero and prepared.plan.counted is not None:
        stocktake.add_zeroing(prepared.plan, prepared.plan.counted, zero)
    return prepared


def import_upload(data: bytes, file_name: str, mode: str, *, actor, force: bool = False, dry_run: bool = False,
                  previewed: str | None = None,
                  zero: str | Collection[int] | None = None) -> tuple[PreparedImport, StockImport | None]:
    """check_upload, then apply it unless a dry run: the checked upload and the import made (None for a dry run).

    Flushes, never commits: the caller commits once, or rolls back on ImportConflict.
    """
    prepared = check_upload(data, file_name, mode, force=force, previewed=previewed, zero=zero)
    return prepared, None if dry_run else apply_import(prepared, actor=actor, force=force)


def apply_import(
    prepared: PreparedImport,
    *,
    actor,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
) -> StockImport:
    """Write a checked import: new lots, on-hand changes and their movements, the import, an audit row.

    Flushes, never commits: the caller commits once, or rolls back on ImportConflict.
    """
    if prepared.plan.errors:
        raise ValueError("an import with errors cannot be applied")
    refuse_if_imported(prepared, force)
    with collector_paused():
        return _apply(prepared, actor, progress)


def _apply(prepared: PreparedImport, actor, progress) -> StockImport:
    plan = prepared.plan
    stock_import = StockImport(
        at=utcnow(), user_id=actor.id if actor is not None else None, mode=plan.mode,
        file_name=prepared.file_name[:255] or "upload", sha256=plan.content_hash, rows=plan.rows,
        lots_created=plan.lots_created, lots_changed=plan.lots_changed, quantity_in=plan.quantity_in,
        quantity_out=plan.quantity_out, forced=prepared.previous is not None,
    )
    db.session.add(stock_import)
    db.session.flush()
    reason = f"{plan.mode} import #{stock_import.id} ({stock_import.file_name})"[:500]
    new: Sequence[Change]
    others: list[Change]
    if plan.lots_changed:
        new = [change for change in plan.changes if change.kind == NEW_LOT]
        others = [change for change in plan.changes if change.kind != NEW_LOT]
    else:  # a delivery of new lots only, as most are
        new, others = plan.changes, []
    try:
        stock_bulk.receive_lots(_new_lots(new), stock_import, reason, progress)
        stock_bulk.change_lots(list(map(_lot_change, others)), stock_import, reason, progress)
    except stock_bulk.LotTaken as error:
        raise ImportConflict(
            "A lot of this file was added by someone else while it was being imported; nothing was "
            "imported. Upload the file again to see what it would change now."
        ) from error
    except stock_bulk.OnHandChanged as changed:
        raise _conflict(others, changed) from changed
    _expire_lots()
    added, removed = fmt_quantity(plan.quantity_in), fmt_quantity(plan.quantity_out)
    forced = ", forced" if stock_import.forced else ""
    detail = (f"{plan.mode}: {plan.rows} rows, {plan.lots_created} lots created, "
              f"{plan.lots_changed} changed, +{added} / -{removed}{forced}")
    if plan.counted is not None:  # each lot counted (or zeroed) keeps when and by whom
        counted = plan.counted
        mark_counted([*counted.counted, *counted.zeroed], counted.counted_at or stock_import.at,
                     stock_import.user_id)
        detail = f"{detail}; {stocktake.describe(counted)}"
    record("stock.import", actor=actor, target=stock_import, detail=detail, username="command line")
    db.session.flush()
    return stock_import


def _new_lots(changes: Sequence[Change]) -> dict[str, Sequence]:
    """The new lots' columns, as the ledger receives them."""
    return {
        "product_id": list(map(_ID, column(changes, "product"))), "lot_number": column(changes, "lot"),
        "expiry": column(changes, "expiry"), "on_hand": column(changes, "quantity"),
        "received_on": column(changes, "received"), "supplier": column(changes, "supplier"),
        "unit_cost": column(changes, "unit_cost"),
    }


def _lot_change(change: Change) -> LotChange:
    """A change to a lot already in stock, as the ledger applies it."""
    if change.lot_id is None:
        raise ValueError(f"row {change.row}: only a new lot has no lot id")
    return LotChange(change.lot_id, change.kind, change.on_hand, change.quantity)


def _conflict(changes: list[Change], changed: stock_bulk.OnHandChanged) -> ImportConflict:
    """The lot that changed since it was read, named."""
    change = next((change for change in changes if change.lot_id == changed.lot_id), None)
    if change is None:
        return ImportConflict("The stock changed while the file was being imported; nothing was imported.")
    held = "is gone" if changed.now is None else f"now holds {fmt_quantity(changed.now)} {change.unit}"
    return ImportConflict(
        f"Lot {change.lot} of {change.product.name} changed while the file was being imported "
        f"(it held {fmt_quantity(change.on_hand)} {change.unit}, it {held}); nothing was imported. "
        "Upload the file again to see what it would change now."
    )


def _expire_lots() -> None:
    """Lots loaded in this session have on hand read before the bulk UPDATE: read them again."""
    for instance in list(db.session.identity_map.values()):
        if isinstance(instance, Lot):
            db.session.expire(instance, ["on_hand"])
