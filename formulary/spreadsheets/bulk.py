"""The bulk writes of an import: lots and movements by multi-row INSERTs, on hand by one guarded UPDATE.

An ORM object per row, or even SQLAlchemy's per-row parameter processing, costs more than
reading the whole workbook; here each column's distinct values go through the column
type's own bind processor once, and the rows go a thousand to a statement on SQLite (as
SQLAlchemy's own "insertmanyvalues" does) or to the driver's executemany elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from itertools import repeat
from types import FunctionType

from sqlalchemy import Integer, String, Table, bindparam, func, insert, literal, null, select, update
from sqlalchemy.exc import IntegrityError

from formulary.db import UTCDateTime
from formulary.extensions import db
from formulary.spreadsheets.lines import Same
from formulary.stock.models import Lot, StockMovement

LOT = Lot.__table__
MOVEMENT = StockMovement.__table__
MOVEMENT_COLUMNS = ("lot_id", "kind", "quantity", "on_hand_after", "reason", "user_id", "at", "session_id",
                    "import_id")
# "On hand as read", within a hair: SQLite sums NUMERIC in floating point (0.1 + 0.2 = 0.30000000000000004).
EPSILON = Decimal("0.0005")


LARGE_CACHE_KIB = 64 * 1024


@contextmanager
def large_page_cache() -> Iterator[None]:
    """On SQLite, a 64 MiB page cache while writing: the lot table's five B-trees outgrow the default
    2 MiB within a few thousand rows of a large import, and each insert then pays for it."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{LARGE_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


class LotTaken(Exception):
    """A new lot's (product, lot number) was taken meanwhile."""


class OnHandChanged(Exception):
    """Some lots no longer hold what was read."""


def insert_many(table: Table, columns: dict[str, Sequence | Same], count: int) -> None:
    """INSERT `count` rows given column by column (a list, or Same(value) for every row)."""
    if not count:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    names = list(columns)
    compiled = insert(table).compile(dialect=dialect, column_keys=names)
    converted: dict[str, Sequence | Same] = {}
    for name, values in columns.items():
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is None:
            converted[name] = values
        elif isinstance(values, Same):
            converted[name] = Same(process(values.value))
        elif isinstance(process, FunctionType):  # Python code: each distinct value once
            memo = {value: process(value) for value in set(values)}
            converted[name] = list(map(memo.__getitem__, values))
        else:  # compiled (SQLAlchemy's own, in Cython): quicker on every value than through a dict
            converted[name] = list(map(process, values))
    if dialect.paramstyle != "qmark":
        whole = [repeat(c.value, count) if isinstance(c, Same) else c for c in converted.values()]
        rows = [dict(zip(names, row, strict=True)) for row in zip(*whole, strict=False)]  # repeat(): endless
        connection.exec_driver_sql(str(compiled), rows)
        return
    # SQLite: a thousand rows per INSERT … VALUES (…), (…) take half the time of one executemany step each.
    order = [converted[name] for name in compiled.positiontup]
    width = len(order)
    head, group = str(compiled).rsplit(" VALUES ", 1)
    page = min(dialect.insertmanyvalues_page_size, dialect.insertmanyvalues_max_parameters // width)
    for start in range(0, count, page):
        size = min(page, count - start)
        flat = [None] * (size * width)
        for position, values in enumerate(order):  # column by column into the flat parameter list
            column = [values.value] * size if isinstance(values, Same) else values[start : start + size]
            flat[position::width] = column
        connection.exec_driver_sql(f"{head} VALUES {', '.join([group] * size)}", tuple(flat))


def insert_lots(columns: dict[str, Sequence | Same], count: int) -> None:
    """New lots; LotTaken when one exists by now."""
    try:
        insert_many(LOT, columns, count)
    except IntegrityError as error:
        raise LotTaken from error


def last_lot_id() -> int:
    """The highest lot id so far (0 for none): lots made after it, at one instant, are this import's."""
    return db.session.scalar(select(func.coalesce(func.max(LOT.c.id), 0)))


def receive_new_lots(after_id: int, created_at: datetime, expected: int, common: dict) -> None:
    """One INSERT … SELECT: a receive movement of its whole quantity for each lot this import made.

    The lots are told by id and creation instant; a count other than expected means another
    writer made one at that instant, and the import is refused rather than guessed.
    """
    source = select(
        LOT.c.id, literal("receive", String), LOT.c.on_hand, LOT.c.on_hand, literal(common["reason"], String),
        literal(common["user_id"], Integer), literal(created_at, UTCDateTime()), null(),
        literal(common["import_id"], Integer),
    ).where(LOT.c.id > after_id, LOT.c.created_at == literal(created_at, UTCDateTime()))
    statement = insert(MOVEMENT).from_select(list(MOVEMENT_COLUMNS), source)
    result = db.session.execute(statement.execution_options(preserve_rowcount=True))  # an INSERT's count
    if result.rowcount != expected:
        raise LotTaken


def change_on_hand(rows: list[tuple[int, Decimal, Decimal]]) -> None:
    """One executemany UPDATE of (lot id, on hand as read, quantity) rows, each guarded.

    A lot must still hold what was read (so each movement's on-hand-after is exact) and
    never go below zero; when any row matches no lot, OnHandChanged.
    """
    if not rows:
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
        {"lot_id": lot, "low": before - EPSILON, "high": before + EPSILON, "delta": delta,
         "after": before + delta}
        for lot, before, delta in rows
    ]
    if db.session.execute(statement, params).rowcount != len(params):
        raise OnHandChanged


def on_hand_now(lot_ids: list[int]) -> dict[int, Decimal]:
    """The lots' on hand as the database has it now (to name one that changed)."""
    return dict(db.session.execute(select(LOT.c.id, LOT.c.on_hand).where(LOT.c.id.in_(lot_ids))).all())
