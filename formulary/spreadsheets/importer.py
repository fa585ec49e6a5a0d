"""Stock imports: an upload read, checked against preloaded maps, applied in one transaction or not at all.

Reading and validation take a fixed number of queries whatever the row count (the
products, their lots, an earlier import of the same content); applying is bulk INSERTs and
one executemany UPDATE, with the same rules as the ledger: every quantity change is a
movement, on hand never goes below zero, and nothing is half-written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from operator import attrgetter, itemgetter
from typing import NamedTuple

from flask import current_app
from sqlalchemy import select

from formulary.audit.log import record
from formulary.auth.models import User
from formulary.catalogue.models import Product
from formulary.db import utcnow
from formulary.extensions import db
from formulary.spreadsheets import bulk
from formulary.spreadsheets.collector import collector_paused
from formulary.spreadsheets.format import DELIVERY
from formulary.spreadsheets.lines import Same, StockLine, column, stock_lines
from formulary.spreadsheets.plan import NEW_LOT, Change, ImportPlan
from formulary.spreadsheets.reader import read_upload
from formulary.spreadsheets.validation import Catalogue, LotRef, validate
from formulary.stock.errors import fmt_quantity
from formulary.stock.models import Lot, StockImport

CHUNK = 10_000  # changes written per statement: a progress bar moves, memory stays flat
_ID = attrgetter("id")
LOT_FILTER_LIMIT = 1_000  # above this many products, read every lot rather than a long IN list


class PreviousImport(NamedTuple):
    """An earlier import of the same content."""

    id: int
    at: datetime
    username: str | None
    file_name: str


@dataclass
class PreparedImport:
    """An upload read and checked: its plan, its bytes' hash, and an earlier import of the same content."""

    file_name: str
    file_sha256: str
    plan: ImportPlan
    previous: PreviousImport | None = None


class AlreadyImported(Exception):
    """A delivery whose content was imported before, applied again without force."""

    def __init__(self, previous: PreviousImport) -> None:
        self.previous = previous
        who = f" by {previous.username}" if previous.username else ""
        super().__init__(
            f"This delivery was already imported on {previous.at:%Y-%m-%d %H:%M} UTC{who} "
            f"(import #{previous.id}, file {previous.file_name}); nothing was imported. "
            "Import it again only if the same goods arrived twice"
        )


class ImportConflict(Exception):
    """The stock changed between reading and writing (another user, another import): all rolled back."""


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
    lines, line_errors = stock_lines(sheet, mode, date_order)
    plan = validate(sheet, lines, line_errors, mode, load_catalogue(lines), today)
    prepared = PreparedImport(file_name, hashlib.sha256(data).hexdigest(), plan)
    if mode == DELIVERY and not plan.errors:
        prepared.previous = previous_import(plan.content_hash)
    return prepared


def prepare_from_config(data: bytes, file_name: str, mode: str) -> PreparedImport:
    """prepare_import with today's date and the clinic's date order and row limit."""
    config = current_app.config
    return prepare_import(data, file_name, mode, today=date.today(), date_order=config["DATE_ORDER"],
                          max_rows=config["IMPORT_MAX_ROWS"])


def load_catalogue(lines: Sequence[StockLine]) -> Catalogue:
    """Every product (one query), and the lots of the products the lines name (one more)."""
    catalogue = Catalogue.of(
        db.session.execute(select(Product.id, Product.name, Product.gtin, Product.unit, Product.retired))
    )
    product_ids = catalogue.product_ids(lines)
    query = select(Lot.id, Lot.product_id, Lot.lot_number, Lot.expiry, Lot.on_hand, Lot.status)
    if len(product_ids) <= LOT_FILTER_LIMIT:
        query = query.where(Lot.product_id.in_(product_ids))
    catalogue.lots = {(row.product_id, row.lot_number): LotRef(*row) for row in db.session.execute(query)}
    return catalogue


def previous_import(content_hash: str) -> PreviousImport | None:
    """The latest delivery import of the same content, if any."""
    row = db.session.execute(
        select(StockImport.id, StockImport.at, User.username, StockImport.file_name)
        .outerjoin(User, User.id == StockImport.user_id)
        .where(StockImport.sha256 == content_hash, StockImport.mode == DELIVERY)
        .order_by(StockImport.id.desc())
        .limit(1)
    ).first()
    return PreviousImport(*row) if row else None


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
    plan = prepared.plan
    if plan.errors:
        raise ValueError("an import with errors cannot be applied")
    if prepared.previous is not None and not force:
        raise AlreadyImported(prepared.previous)
    with collector_paused():
        return _apply(prepared, actor, progress)


def _apply(prepared: PreparedImport, actor, progress) -> StockImport:
    plan = prepared.plan
    now = utcnow()
    stock_import = StockImport(
        at=now, user_id=actor.id if actor is not None else None, mode=plan.mode,
        file_name=prepared.file_name[:255] or "upload", sha256=plan.content_hash, rows=plan.rows,
        lots_created=plan.lots_created, lots_changed=plan.lots_changed, quantity_in=plan.quantity_in,
        quantity_out=plan.quantity_out, forced=prepared.previous is not None,
    )
    db.session.add(stock_import)
    db.session.flush()
    common = {
        "user_id": stock_import.user_id, "at": now, "import_id": stock_import.id, "session_id": None,
        "reason": f"{plan.mode} import #{stock_import.id} ({stock_import.file_name})"[:500],
    }
    if plan.lots_changed:
        new = [change for change in plan.changes if change.kind == NEW_LOT]
        others = [change for change in plan.changes if change.kind != NEW_LOT]
    else:  # a delivery of new lots only, as most are
        new, others = plan.changes, []
    try:
        with bulk.large_page_cache():
            _write_new_lots(new, now, common, progress)
            _write_changes(others, common, progress)
    except bulk.LotTaken as error:
        raise ImportConflict(
            "A lot of this file was added by someone else while it was being imported; nothing was "
            "imported. Upload the file again to see what it would change now."
        ) from error
    _expire_lots()
    added, removed = fmt_quantity(plan.quantity_in), fmt_quantity(plan.quantity_out)
    forced = ", forced" if stock_import.forced else ""
    detail = (f"{plan.mode}: {plan.rows} rows, {plan.lots_created} lots created, "
              f"{plan.lots_changed} changed, +{added} / -{removed}{forced}")
    record("stock.import", actor=actor, target=stock_import, detail=detail, username="command line")
    db.session.flush()
    return stock_import


def _write_new_lots(changes: Sequence[Change], now: datetime, common: dict, progress) -> None:
    """The new lots holding their quantity, then one receive movement for each."""
    if not changes:
        return
    after_id = bulk.last_lot_id()
    # By expiry, the leading column of most of the lot table's indexes: each new entry then lands
    # beside the last one instead of anywhere in the tree (a third of the inserting time).
    expiries = column(changes, "expiry")
    order = sorted(range(len(changes)), key=expiries.__getitem__)
    ids = list(map(_ID, column(changes, "product")))
    columns = {
        "product_id": ids, "lot_number": column(changes, "lot"), "expiry": expiries,
        "on_hand": column(changes, "quantity"), "received_on": column(changes, "received"),
        "supplier": column(changes, "supplier"), "unit_cost": column(changes, "unit_cost"),
    }
    if len(order) > 1:  # itemgetter of one index gives the value, not a tuple
        pick = itemgetter(*order)
        columns = {name: pick(values) for name, values in columns.items()}
    same = {"status": Same("available"), "created_at": Same(now)}
    for start in range(0, len(changes), CHUNK):
        chunk = {name: values[start : start + CHUNK] for name, values in columns.items()}
        bulk.insert_lots(chunk | same, len(chunk["lot_number"]))
        if progress:
            progress(len(chunk["lot_number"]))
    bulk.receive_new_lots(after_id, now, len(changes), common)


def _write_changes(changes: list[Change], common: dict, progress) -> None:
    """More of existing lots, or stocktake differences: the guarded UPDATE and a movement each."""
    for start in range(0, len(changes), CHUNK):
        chunk = changes[start : start + CHUNK]
        try:
            bulk.change_on_hand([(change.lot_id, change.on_hand, change.quantity) for change in chunk])
        except bulk.OnHandChanged:
            _name_conflict(chunk)
        columns = _columns(chunk, lot_id="lot_id", kind="kind", quantity="quantity", on_hand_after="after")
        same = {name: Same(value) for name, value in common.items()}
        bulk.insert_many(bulk.MOVEMENT, columns | same, len(chunk))
        if progress:
            progress(len(chunk))


def _columns(changes: list[Change], **attributes: str) -> dict[str, list]:
    """Table columns from the changes' attributes: lot_number="lot" → the lot of each change."""
    return {column: list(map(attrgetter(name), changes)) for column, name in attributes.items()}


def _name_conflict(changes: list[Change]) -> None:
    """Find the lot that changed since it was read, and say so."""
    now = bulk.on_hand_now([change.lot_id for change in changes])
    for change in changes:
        current = now.get(change.lot_id)
        if current is None or abs(current - change.on_hand) >= bulk.EPSILON:
            held = "is gone" if current is None else f"now holds {fmt_quantity(current)} {change.unit}"
            raise ImportConflict(
                f"Lot {change.lot} of {change.product.name} changed while the file was being imported "
                f"(it held {fmt_quantity(change.on_hand)} {change.unit}, it {held}); nothing was imported. "
                "Upload the file again to see what it would change now."
            )
    raise ImportConflict("The stock changed while the file was being imported; nothing was imported.")


def _expire_lots() -> None:
    """Lots loaded in this session have on hand read before the bulk UPDATE: read them again."""
    for instance in list(db.session.identity_map.values()):
        if isinstance(instance, Lot):
            db.session.expire(instance, ["on_hand"])
