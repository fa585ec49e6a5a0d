"""The ledger in bulk: an import's new lots, on-hand changes and their movements, in a few statements.

The same rules as one movement at a time (stock/ledger.py): every change of a lot's quantity
is a movement, on hand never goes below zero (the guarded UPDATE, the CHECK), and a lot read
before writing must still hold what was read. Tens of thousands of rows go to the database
as one JSON array per statement, which it unpacks itself (json_each on SQLite,
jsonb_array_elements on PostgreSQL): an executemany of the same rows spends twice the whole
import's reading time binding parameters row by row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Table,
    bindparam,
    cast,
    func,
    insert,
    literal,
    literal_column,
    null,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError

from formulary.db import rowcount
from formulary.extensions import Model, db
from formulary.stock.models import Lot, StockImport, StockMovement
from formulary.vocabulary import LotStatus, MovementKind


def _table(model: type[Model]) -> Table:
    """A model's table (SQLAlchemy types __table__ as any FROM clause; a declarative model's is a Table)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


LOT, MOVEMENT, IMPORT = _table(Lot), _table(StockMovement), _table(StockImport)
CHUNK = 10_000  # rows per statement: a progress bar moves, memory stays flat
LARGE_CACHE_KIB = 64 * 1024
# "On hand as read", within a hair: SQLite sums NUMERIC in floating point (0.1 + 0.2 = 0.30000000000000004).
EPSILON = Decimal("0.0005")
NEW_LOT_COLUMNS = ("product_id", "lot_number", "expiry", "on_hand", "received_on", "supplier", "unit_cost")


class LotTaken(Exception):
    """A new lot's (product, lot number) was taken meanwhile: nothing of the import may stand."""


class OnHandChanged(Exception):
    """A lot no longer holds what was read (lot_id None: which one could not be told)."""

    def __init__(self, lot_id: int | None = None, now: Decimal | None = None) -> None:
        self.lot_id, self.now = lot_id, now
        super().__init__(f"lot {lot_id} now holds {now}" if lot_id is not None else "on hand changed")


class LotChange(NamedTuple):
    """More of an existing lot, or a stocktake difference: its movement kind, on hand as read, the delta."""

    lot_id: int
    kind: str  # MovementKind.RECEIVE or MovementKind.ADJUST
    on_hand: Decimal
    quantity: Decimal


def receive_lots(
    lots: dict[str, Sequence], stock_import: StockImport, reason: str, progress: Callable[[int], None] | None = None
) -> None:
    """New lots holding their quantity (NEW_LOT_COLUMNS, column by column), and a receive movement for each.

    The lots take the import's instant as their creation time; a lot number taken meanwhile
    raises LotTaken.
    """
    count = len(lots["lot_number"])
    if not count:
        return
    # By expiry, the leading column of most of the lot table's indexes: each new entry then lands
    # beside the last one instead of anywhere in the tree (a third of the inserting time).
    expiries = lots["expiry"]
    order = sorted(range(count), key=expiries.__getitem__)
    rows = list(zip(*(_as_text(lots[name]) for name in NEW_LOT_COLUMNS), strict=True))
    if count > 1:  # itemgetter of one index gives the row, not a tuple of rows
        rows = list(itemgetter(*order)(rows))
    after_id = db.session.execute(select(func.coalesce(func.max(LOT.c.id), 0))).scalar_one()
    with _large_page_cache():
        for start in range(0, count, CHUNK):
            chunk = rows[start : start + CHUNK]
            source = _json_rows(
                LOT, NEW_LOT_COLUMNS, chunk, stock_import, literal(LotStatus.AVAILABLE.value), IMPORT.c.at
            )
            try:
                db.session.execute(insert(LOT).from_select([*NEW_LOT_COLUMNS, "status", "created_at"], source))
            except IntegrityError as error:
                raise LotTaken from error
            if progress:
                progress(len(chunk))
        _receive_movements(after_id, stock_import, reason, count)


def _receive_movements(after_id: int, stock_import: StockImport, reason: str, expected: int) -> None:
    """One INSERT … SELECT: a receive movement of its whole quantity for each lot the import made.

    The lots are told by id and creation instant; a count other than expected means another
    writer made one at that instant, and the import is refused rather than guessed.
    """
    source = (
        select(LOT.c.id, literal(MovementKind.RECEIVE.value), LOT.c.on_hand, LOT.c.on_hand, literal(reason),
               IMPORT.c.user_id,
               IMPORT.c.at, null(), IMPORT.c.id)
        .join(IMPORT, IMPORT.c.at == LOT.c.created_at)
        .where(IMPORT.c.id == stock_import.id, LOT.c.id > after_id)
    )
    columns = ["lot_id", "kind", "quantity", "on_hand_after", "reason", "user_id", "at", "session_id", "import_id"]
    statement = insert(MOVEMENT).from_select(columns, source).execution_options(preserve_rowcount=True)
    if rowcount(db.session.execute(statement)) != expected:
        raise LotTaken


def change_lots(
    changes: Sequence[LotChange], stock_import: StockImport, reason: str,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Existing lots' on hand changed by the guarded UPDATE, and a movement each; OnHandChanged if one moved."""
    with _large_page_cache():
        for start in range(0, len(changes), CHUNK):
            chunk = changes[start : start + CHUNK]
            _change_on_hand(chunk)
            rows = [(change.lot_id, change.kind, str(change.quantity), str(change.on_hand + change.quantity))
                    for change in chunk]
            names = ("lot_id", "kind", "quantity", "on_hand_after")
            source = _json_rows(MOVEMENT, names, rows, stock_import, literal(reason), IMPORT.c.user_id, IMPORT.c.at,
                                IMPORT.c.id)
            db.session.execute(insert(MOVEMENT).from_select([*names, "reason", "user_id", "at", "import_id"], source))
            if progress:
                progress(len(chunk))


def _change_on_hand(changes: Sequence[LotChange]) -> None:
    """One executemany UPDATE, each row guarded: the lot still holds what was read, and stays at zero or above."""
    if not changes:
        return
    statement = (
        update(LOT)
        .where(
            LOT.c.id == bindparam("lot_id"),
            LOT.c.on_hand.between(bindparam("low"), bindparam("high")),
            LOT.c.on_hand + bindparam("delta") >= 0,
        )
        .values(on_hand=bindparam("after"))
    )
    params = [
        {"lot_id": change.lot_id, "low": change.on_hand - EPSILON, "high": change.on_hand + EPSILON,
         "delta": change.quantity, "after": change.on_hand + change.quantity}
        for change in changes
    ]
    if rowcount(db.session.execute(statement, params)) != len(params):
        raise _which_changed(changes)


def _which_changed(changes: Sequence[LotChange]) -> OnHandChanged:
    """The first lot that no longer holds what was read (now None: it is gone)."""
    ids = [change.lot_id for change in changes]
    now = dict(db.session.execute(select(LOT.c.id, LOT.c.on_hand).where(LOT.c.id.in_(ids))).all())
    for change in changes:
        current = now.get(change.lot_id)
        if current is None or abs(current - change.on_hand) >= EPSILON:
            return OnHandChanged(change.lot_id, current)
    return OnHandChanged()


def _json_rows(
    table: Table, names: Sequence[str], rows: list[tuple], stock_import: StockImport, *more: ColumnElement
) -> Select:
    """A SELECT of the rows, sent as one JSON array of arrays and unpacked by the database, then `more`
    (columns of the import's row, or constants).

    Dates and decimals travel as their text (_as_text): each database reads that back exactly
    into the column's type.
    """
    payload = json.dumps(rows, separators=(",", ":"))
    if db.session.get_bind().dialect.name == "postgresql":
        elements = func.jsonb_array_elements(cast(bindparam("rows", payload, String), JSONB)).table_valued("value")
        fields = [_typed(elements.c.value.op("->>")(literal_column(str(index))), table.c[name].type)
                  for index, name in enumerate(names)]
    else:  # SQLite: the column's affinity turns the text into its type, as for any bound value
        elements = func.json_each(bindparam("rows", payload, String)).table_valued("value")
        fields = [func.json_extract(elements.c.value, f"$[{index}]") for index in range(len(names))]
    return select(*fields, *more).select_from(elements.join(IMPORT, IMPORT.c.id == stock_import.id))


def _as_text(values: Sequence) -> Sequence:
    """Dates and decimals as their text (ISO dates, exact decimals), each distinct value once; others as they are."""
    sample = next((value for value in values if value is not None), None)
    if not isinstance(sample, date | Decimal):
        return values
    text = {value: None if value is None else str(value) for value in set(values)}
    return list(map(text.__getitem__, values))


def _typed(text: ColumnElement, type_) -> ColumnElement:
    """PostgreSQL's text as the column's type; strings left as text, so that one too long is refused, not cut."""
    return text if isinstance(type_, String) else cast(text, type_)


@contextmanager
def _large_page_cache() -> Iterator[None]:
    """On SQLite, a 64 MiB page cache while writing: the lot table's five B-trees outgrow the default
    2 MiB within a few thousand rows of a large import, and each insert then pays for it."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{LARGE_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")
