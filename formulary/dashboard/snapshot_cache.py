"""The dashboard's figures kept per process while the database stays as it is: exact, never stale.

The heavy figures (the stock panels and sums, the expiry months, the opened vials and waste, the
session forecast) are the same for every user and depend only on the clinic's day, two settings and
the data committed. Each process keeps the last few sets (data, never HTML: the page carries the
user's name, CSRF token and role-dependent parts) under a key of the day, the settings and a marker
of the committed database that changes whenever any transaction commits anywhere, by any process:

* PostgreSQL: `pg_current_snapshot()`, read in the request's transaction. Two snapshots with the same
  text see the same committed transactions (those below xmax and not in progress), and any commit
  changes it (it leaves the in-progress list or moves xmax). Read-only transactions take no xid, so
  pages being read change nothing.
* SQLite: `PRAGMA data_version` on one connection per process kept for that alone (the watcher). It
  changes whenever another connection commits, in any process, WAL mode included; the watcher never
  writes, so every commit is another connection's. It never repeats a value.

Why a kept set is never stale: the figures kept under a marker are read from data at least as new as
that marker (PostgreSQL reads each statement in a snapshot taken after the marker's, or the same one;
on SQLite the request's read transaction, begun when the user was loaded, is ended first on a miss, so
that the figures are read in one begun after the marker was). A later request finds the same marker
only while nothing has been committed since, so the set it gets is the database as it is then. A
request whose own transaction has written (or holds unflushed changes) neither reads nor keeps sets:
no other connection could see what it shows. The counts overdue also depend on the moment (a lot
falls overdue 90 days after its count, at that time of day): that set says until when it holds
(`StockDashboard.holds_until`) and is read again after.

FORMULARY_DASHBOARD_CACHE=0 turns it off (every request reads every figure: what a miss costs).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any, TypeVar

from flask import Flask, current_app
from sqlalchemy import text

from formulary.db import sqlite_transaction, utcnow
from formulary.extensions import db

KEPT = 4  # sets of figures per process: only the newest marker's is ever read again; a few ride out a change
T = TypeVar("T")


class _Store:
    """One app's sets of figures in this process, and its SQLite watcher connection."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sets: OrderedDict[Hashable, dict[str, tuple[Any, datetime | None]]] = OrderedDict()
        self.watcher: sqlite3.Connection | None = None
        self.watcher_pid = 0
        self.watchers = 0  # watchers opened: a new one counts its data_version afresh

    def data_version(self, path: str) -> tuple[int, int]:
        """The watcher's `PRAGMA data_version`, opened in this process (never one inherited over a fork), with
        which watcher read it: the values of two connections are not comparable."""
        with self.lock:
            if self.watcher is None or self.watcher_pid != os.getpid():
                # Autocommit: each PRAGMA looks at the database as committed now, holding no snapshot between.
                self.watcher = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
                self.watcher_pid = os.getpid()
                self.watchers += 1
            return self.watchers, self.watcher.execute("PRAGMA data_version").fetchone()[0]


def _store(app: Flask) -> _Store:
    store = app.extensions.get("dashboard_snapshot_cache")
    if store is None:
        store = app.extensions.setdefault("dashboard_snapshot_cache", _Store())
    return store


def _sqlite_file(url) -> str | None:
    """The database file of a SQLite URL; None for an in-memory database (no other connection sees it)."""
    path = url.database
    if not path or path == ":memory:" or path.startswith("file:") or url.query.get("mode") == "memory":
        return None
    return path


def _marker(store: _Store) -> Hashable | None:
    """The committed database's marker, or None when this request may not use kept figures."""
    session = db.session
    if session.new or session.dirty or session.deleted:
        return None
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        snapshot, wrote = connection.execute(
            text("SELECT pg_current_snapshot()::text, pg_current_xact_id_if_assigned() IS NOT NULL")).one()
        return None if wrote else snapshot
    if dialect == "sqlite":
        wrote, _write_lock = sqlite_transaction(connection)
        path = _sqlite_file(connection.engine.url)
        return None if wrote or path is None else store.data_version(path)
    return None


def _read_from_now() -> bool:
    """Make the statements that follow read the database as committed now, not as it was when the request's
    transaction began; False if that cannot be done (then nothing read may be kept).

    PostgreSQL reads each statement in a snapshot of its own (read committed), or the transaction's (repeatable
    read), the one the marker was read in. A SQLite read transaction keeps the snapshot of its first read: it
    is ended (it wrote nothing, see `_marker`) so that the next statement begins one after the marker was read.
    A transaction that took the write lock when it began already reads the database as committed now.
    """
    session = db.session()  # the request's Session itself (its settings, not the registry's)
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return True
    wrote, write_lock = sqlite_transaction(connection)
    if wrote:
        return False
    if write_lock:
        return True
    raw = connection.connection.dbapi_connection
    assert raw is not None  # a connection in use has its DBAPI connection
    keep = session.expire_on_commit
    session.expire_on_commit = False  # the user loaded stays loaded as read
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep
    # Still in a transaction: the session was joined to one begun outside it (the tests' rolled-back one).
    return not raw.in_transaction


class Figures:
    """One request's access to the kept figures: `get` answers a kept part or computes and keeps it."""

    def __init__(self, store: _Store | None, key: Hashable | None):
        self._store, self._key = store, key
        self._fresh: bool | None = None  # whether this request reads the database as committed now (asked once)

    def get(self, part: str, compute: Callable[[], T], holds_until: Callable[[T], datetime] | None = None) -> T:
        """The part kept under this request's key, or `compute()` (kept when it was read from committed data);
        `holds_until(value)` says until when a figure that depends on the moment holds."""
        store, key = self._store, self._key
        if store is None or key is None:
            return compute()
        with store.lock:
            kept = store.sets.get(key, {}).get(part)
        if kept is not None and (kept[1] is None or utcnow() < kept[1]):
            return kept[0]
        if self._fresh is None:
            self._fresh = _read_from_now()
        value = compute()
        if self._fresh:
            with store.lock:
                parts = store.sets.setdefault(key, {})
                store.sets.move_to_end(key)
                parts[part] = (value, holds_until(value) if holds_until else None)
                while len(store.sets) > KEPT:
                    store.sets.popitem(last=False)
        return value


def figures_for(today, *settings: Hashable) -> Figures:
    """The kept figures for the clinic's day and the settings they depend on, as the database is committed now."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("DASHBOARD_CACHE", True):
        return Figures(None, None)
    store = _store(app)
    marker = _marker(store)
    return Figures(store, None if marker is None else (today, settings, marker))
