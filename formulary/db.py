"""The SQLAlchemy base, its naming convention, and the per-connection SQLite settings."""

import sqlite3
import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    MetaData,
    Select,
    String,
    bindparam,
    cast,
    event,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.engine import Connection, CursorResult, Engine, Result
from sqlalchemy.orm import DeclarativeBase, registry, scoped_session
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.types import TypeDecorator

# Alembic can only alter constraints on SQLite (batch mode) when they have names.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timestamp that is always an aware UTC datetime in Python, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: formulary stores aware UTC times")
        value = value.astimezone(UTC)
        # SQLite has no time zones; its text column holds the UTC wall time.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    """Declarative base for every formulary model."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime},
    )


def built_on(dialect_name: str):
    """Alembic's include_object hook for one database: it leaves out what the models build on another
    database only (Index.ddl_if), so that comparing models and schema finds no false drift."""

    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        condition = getattr(obj, "_ddl_if", None)
        return condition is None or condition.dialect is None or condition.dialect == dialect_name

    return include_object


def one_of(column: str, values: type[StrEnum], name: str) -> CheckConstraint:
    """A CHECK that the column holds one of the enum's values, in the enum's order: "column IN ('a', 'b')"."""
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


def insert_for(session, table):
    """An INSERT that can say ON CONFLICT … DO UPDATE (PostgreSQL's or SQLite's, by the session's database)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _utc(column, dialect: str):
    # PostgreSQL: a timestamptz as its UTC wall time, whatever the connection's TimeZone; a date as a plain
    # timestamp (left to itself, date_trunc would take it as a timestamptz of the connection's zone: slower, and
    # zone-dependent). SQLite stores the UTC text already.
    if dialect == "sqlite":
        return column
    return func.timezone("UTC", column) if isinstance(column.type, UTCDateTime) else cast(column, DateTime())


def day_of(column, dialect: str):
    """A timestamp's calendar day (UTC), comparable with a Date column, on either database."""
    return func.date(column) if dialect == "sqlite" else cast(_utc(column, dialect), Date)


def week_of(column, dialect: str):
    """The Monday on or before a date or a timestamp's UTC day."""
    if dialect == "sqlite":
        return func.date(column, "-6 days", "weekday 1")
    return cast(func.date_trunc("week", _utc(column, dialect)), Date)


def month_of(column, dialect: str):
    """The first day of the month holding a date or a timestamp's UTC day."""
    if dialect == "sqlite":
        # The text's first seven characters: a third cheaper than date(…, 'start of month').
        return func.substr(column, 1, 7).concat("-01")
    return cast(func.date_trunc("month", _utc(column, dialect)), Date)


def utcnow() -> datetime:
    """Now, in UTC, as stored in every timestamp column."""
    return datetime.now(UTC)


BUSY_TIMEOUT_MS = 10_000  # how long a statement waits for a lock before "database is locked"
WRITE_TURN_POLL_SECONDS = 0.0005


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # pysqlite opens transactions lazily and behind SQLAlchemy's back; take that over so
    # that BEGIN, SAVEPOINT and COMMIT happen exactly when SQLAlchemy says.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


@contextmanager
def write_lock_first():
    """The transactions begun inside take SQLite's write lock up front (see `_begin_sqlite`)."""
    from flask import g

    g.write_lock_first = True
    try:
        yield
    finally:
        g.write_lock_first = False


@contextmanager
def writes_after_reading(session):
    """Write at the end of a request that read, committed on leaving; on SQLite in a short transaction
    of its own, the reading one ended first.

    On SQLite the write lock is then held for these writes alone, not for the whole request: two
    requests that read for a while (a page, a check) do so side by side. What the request loaded
    stays loaded as it was read (that first commit expires nothing). PostgreSQL locks rows, not the
    database: there the writes join the reading transaction (two round trips fewer).
    """
    session = session() if isinstance(session, scoped_session) else session  # Flask-SQLAlchemy's db.session
    if session.get_bind().dialect.name == "sqlite":
        keep = session.expire_on_commit
        session.expire_on_commit = False
        try:
            session.commit()
        finally:
            session.expire_on_commit = keep
    with write_lock_first():
        yield
        session.commit()


@contextmanager
def reading_only():
    """The transactions begun inside take no write lock on SQLite (see `_begin_sqlite`), even in a request that
    takes it up front (an API call): for a long read after the request's writes are committed. Nothing inside
    may write."""
    from flask import g

    g.reading_only = True
    try:
        yield
    finally:
        g.reading_only = False


def writes_on_get(view):
    """Mark a page that writes even when read (an audit row), so SQLite takes the write lock first."""
    view.writes_on_get = True
    return view


def reads_first(view):
    """Mark a view (an API method too) that only reads until its writes, which it makes at the end
    in `writes_after_reading`: on SQLite it reads without taking the write lock up front."""
    view.reads_first = True
    return view


def _marked(mark: str) -> bool:
    """Whether the request's view (a function, or a MethodView's method for the request) bears the mark."""
    from flask import current_app, request

    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, mark, False):
        return True
    method = getattr(getattr(view, "view_class", None), request.method.lower(), None)
    return bool(getattr(method, mark, False))


def _writes_expected() -> bool:
    from flask import g, has_request_context, request

    if not has_request_context():
        return True
    if g.get("reading_only"):
        return False
    if g.get("write_lock_first"):
        return True
    if _marked("reads_first"):
        return False
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        return True
    # API reads may audit an allergy view.
    if request.path.startswith("/api/"):
        return True
    return _marked("writes_on_get")


@event.listens_for(Engine, "begin")
def _begin_sqlite(conn) -> None:
    if conn.dialect.name != "sqlite":
        return
    # A transaction that reads and then writes cannot wait for another writer in WAL mode:
    # SQLite fails it at once ("database is locked"). So a request that may write (any
    # method but GET/HEAD/OPTIONS, an API call, a page marked writes_on_get, and the CLI)
    # takes the write lock up front and waits its turn; reads never block. A view marked reads_first
    # writes only at the end, in a transaction of its own (writes_after_reading).
    immediate = _writes_expected()
    if immediate:
        _begin_immediate(conn)
    else:
        conn.exec_driver_sql("BEGIN")
    # What `sqlite_transaction` answers: the connection's count of rows written when the transaction began, and
    # whether it holds the write lock from its start (the info dict stays with the DBAPI connection: reset each time).
    conn.info["sqlite_changes_at_begin"] = conn.connection.dbapi_connection.total_changes
    conn.info["sqlite_write_lock"] = immediate


def sqlite_transaction(conn) -> tuple[bool, bool]:
    """Of a SQLite connection's open transaction: whether it has written anything yet (committed or not, by
    any statement on this connection: savepoints rolled back still count), and whether it took the write lock
    when it began (then no other connection can have committed since: it reads the database as committed now)."""
    info = conn.info
    began_with = info.get("sqlite_changes_at_begin")
    wrote = began_with is None or conn.connection.dbapi_connection.total_changes != began_with
    return wrote, bool(info.get("sqlite_write_lock"))


def _begin_immediate(conn) -> None:
    """BEGIN IMMEDIATE, trying again every half millisecond while another connection writes.

    SQLite's own busy handler sleeps ever longer between tries (1, 2, 5 … 100 ms): under steady
    load from the other workers a waiting writer keeps waking up just after the lock was taken
    again, and some requests wait seconds. Short, even tries take the lock soon after it is free.
    """
    dbapi_connection = conn.connection.dbapi_connection
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    dbapi_connection.execute("PRAGMA busy_timeout = 0")
    try:
        while time.monotonic() < deadline:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error):
                    break
            time.sleep(WRITE_TURN_POLL_SECONDS)
        # The last try through SQLAlchemy, so that a writer that never let go, or a database gone
        # bad, ends as its OperationalError: the 503 page, not a traceback.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def rowcount(result: Result) -> int:
    """How many rows an INSERT, UPDATE or DELETE touched (Session.execute types its result without the count)."""
    assert isinstance(result, CursorResult)  # what a DML statement gives
    return result.rowcount


@dataclass(frozen=True)
class Reading:
    """A SELECT and the order of its rows, to be read with others in one statement (`read_together`)."""

    select: Select
    order_by: tuple = ()

    @property
    def statement(self) -> Select:
        """The SELECT alone, in its order."""
        return self.select.order_by(*self.order_by)


@dataclass(frozen=True)
class Together:
    """Several SELECTs of different shapes, each alone and merged into one UNION ALL: what `read_together` runs."""

    statement: Any  # the UNION ALL, in the order of its parts and of each part's rows
    names: tuple[str, ...]  # the parts' names, by their number (a row's first column)
    slots: dict[str, tuple[int, ...]]  # each part's columns: where they are in a row of the union
    alone: dict[str, Select]  # each part's own statement, in its order

    @cached_property
    def columns(self) -> dict[str, Callable[[Any], tuple]]:
        """Each part's columns taken out of a row of the union, as a tuple."""
        return {name: itemgetter(*at) if len(at) > 1 else _one_column(at[0]) for name, at in self.slots.items()}


def _one_column(at: int) -> Callable[[Any], tuple]:
    return lambda row: (row[at],)  # itemgetter of one index gives the value, not a tuple


def together(**readings: Reading) -> Together:
    """SELECTs of different shapes merged into one statement: one round trip to PostgreSQL instead of one each.

    Each row of the UNION ALL carries its part's number and its place in that part's order (a row_number
    over the part's ORDER BY, as a union orders only its whole); then the part's columns, each in a slot
    of its exact type that the parts share, the slots a part leaves unused being NULL cast to their type
    (PostgreSQL types an untyped NULL in a union of three parts or more as text). Build it once (the
    statement is long); it takes the parts' bound parameters, shared by name.
    """
    slot_types: list = []  # one type per slot
    slots: dict[str, tuple[int, ...]] = {}
    for name, reading in readings.items():
        taken: list[int] = []
        for column in reading.select.selected_columns:
            key = _slot_kind(column.type)
            free = next((i for i, type_ in enumerate(slot_types) if _slot_kind(type_) == key and i not in taken),
                        None)
            if free is None:
                slot_types.append(column.type)
                free = len(slot_types) - 1
            taken.append(free)
        slots[name] = tuple(taken)
    parts = []
    for number, (name, reading) in enumerate(readings.items()):
        numbered = reading.select.add_columns(func.row_number().over(order_by=reading.order_by).label("seq"))
        inner = numbered.subquery()
        columns = list(inner.c)
        at = {slot: columns[index] for index, slot in enumerate(slots[name])}
        parts.append(select(
            literal_column(str(number)).label("part"), columns[-1].label("seq"),
            *(at[slot] if slot in at else cast(null(), type_) for slot, type_ in enumerate(slot_types)),
        ))
    statement = _constants_written_in(union_all(*parts).order_by("part", "seq"))
    # Each part's columns in a row of the union: after the part's number and its place.
    return Together(statement, tuple(readings), {name: tuple(slot + 2 for slot in taken)
                                                  for name, taken in slots.items()},
                    {name: reading.statement for name, reading in readings.items()})


def _slot_kind(type_) -> str:
    # Texts of any length share a slot (neither database nor SQLAlchemy does anything with the length when
    # reading); any other type its own, exactly (a Numeric's scale, a timestamp's processing).
    return "String" if type(type_) is String else repr(type_)


def _constants_written_in(statement: Any) -> Any:
    """The statement with its constants (`Lot.on_hand > 0`, a status) written in its text, not bound.

    PostgreSQL plans a prepared statement (psycopg prepares those run five times on a connection) for
    each execution's values at first, then keeps one generic plan when its estimate is no worse: with its
    constants bound, the union's generic plan looked worse (a bound `on_hand > $4` is guessed at a third
    of the lots), so PostgreSQL planned the whole union anew on every execution, ~10 ms at 100×; with
    them written in, once. The named parameters (a patient, a version, a day) stay bound.
    """
    def written(element: Any, **_kw: Any) -> Any:
        if isinstance(element, BindParameter) and element.unique and element.value is not None:
            return bindparam(element.key, element.value, type_=element.type, unique=True, literal_execute=True)
        return None

    options: dict[str, Any] = {}
    return visitors.replacement_traverse(statement, options, written)


def read_together(session, reads: Together, parameters: Mapping[str, Any]) -> dict[str, list[tuple]]:
    """Each part's rows of `together`, as it would have read them alone.

    On PostgreSQL in one statement: a round trip costs more than most of these reads. SQLite, in the
    process, has no round trip to spare, and plans the union worse than its parts (4 ms against 1 ms
    for the check's at 100×): there, each part's statement in turn.
    """
    connection = _flushed_connection(session)
    if connection.dialect.name == "sqlite":
        return read_each(connection, reads, parameters)
    return read_as_one(connection, reads, parameters)


def _flushed_connection(session) -> Connection:
    # Through the session's connection, without the ORM's work on every statement (~0.1 ms each: these are
    # plain columns); flushed first, as the session would before a query.
    session = session() if isinstance(session, scoped_session) else session  # Flask-SQLAlchemy's db.session
    if session.autoflush:
        session.flush()
    return session.connection()


def read_as_one(connection: Connection, reads: Together, parameters: Mapping[str, Any]) -> dict[str, list[tuple]]:
    """Each part's rows, read in the one statement of the union."""
    found: dict[str, list[tuple]] = {name: [] for name in reads.names}
    lists = [found[name] for name in reads.names]
    columns = [reads.columns[name] for name in reads.names]
    for row in connection.execute(reads.statement, parameters).all():
        lists[row[0]].append(columns[row[0]](row))
    return found


def read_each(connection: Connection, reads: Together, parameters: Mapping[str, Any]) -> dict[str, list[tuple]]:
    """Each part's rows, read by its own statement."""
    return {name: [tuple(row) for row in connection.execute(statement, parameters)]
            for name, statement in reads.alone.items()}
