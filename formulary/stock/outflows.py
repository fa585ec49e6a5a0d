"""The ledger's outflows summed as they are written (stock/outflow_models.py): the sums the reports read.

One derivation (`_add`) turns administer and waste movements into the sums, in SQL, from the movement rows as
they stand. It runs:
- when a transaction commits, over the movements it wrote (the ledger's `move` notes each one). The sums are
  written last and in key order, so two transactions never wait on each other's rows in opposite orders
  (no deadlock on PostgreSQL) and hold them only until their commit;
- when a report reads the sums (`catch_up`), over what this transaction wrote and has not committed yet;
- over the whole ledger (`rebuild`): the migration that made the tables, and data loaded in bulk.
Receipts, stocktake adjustments and returns are not outflows: the bulk import, which writes only those, pays
nothing for these sums.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import (
    Connection,
    and_,
    case,
    column,
    delete,
    event,
    false,
    func,
    literal,
    literal_column,
    select,
    table,
    true,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, scoped_session

from formulary.db import day_of, month_of, week_of
from formulary.stock.models import Lot, StockMovement
from formulary.stock.outflow_models import REASON_LENGTH, DailyOutflow, ProductOutflow, SessionDayCost, Span
from formulary.vocabulary import MovementKind

OUTFLOW_KINDS = (MovementKind.ADMINISTER.value, MovementKind.WASTE.value)
NOTED = "formulary.outflows"  # Session.info key: ids of this transaction's outflow movements not yet summed
CHUNK = 5_000  # ids per statement, well under SQLite's limit of bound parameters

MOVEMENT, LOT = StockMovement.__table__, Lot.__table__
MOVEMENTS = MOVEMENT.join(LOT, LOT.c.id == MOVEMENT.c.lot_id)  # each movement with its lot
PRODUCT, DAILY, SESSIONS = ProductOutflow.__table__, DailyOutflow.__table__, SessionDayCost.__table__
# The treatment session a movement names (treatments sit above stock: its table by name, not its model).
SESSION = table("treatment_session", column("id"), column("scheduled_for"), column("cocktail_version_id"))


def note(session: Session | scoped_session, movement_id: int) -> None:
    """Sum this administer or waste movement when its transaction commits (or a report reads first)."""
    session.info.setdefault(NOTED, set()).add(movement_id)


def catch_up(session: Session | scoped_session) -> None:
    """Add this transaction's noted movements to the sums now (a report is about to read them)."""
    noted = session.info.pop(NOTED, None)
    if not noted:
        return
    session.flush()
    ids = sorted(noted)
    connection = session.connection()
    for start in range(0, len(ids), CHUNK):
        # Ids of movements a rolled-back savepoint took away match no row, and add nothing.
        _add(connection, MOVEMENT.c.id.in_(ids[start : start + CHUNK]))


def rebuild(connection: Connection) -> None:
    """Sum the whole ledger again, from nothing (after loading movements in bulk, or to check the sums)."""
    for model in (ProductOutflow, DailyOutflow, SessionDayCost):
        connection.execute(delete(model))
    _add(connection, true())


# A wasted preparation's waste (treatments/preparations.py writes "PREP-12 wasted: dropped"): a session's
# waste kept apart from the single-use remainders, under the reason the waste report shows.
PREPARATION_WASTE_NOTE_LIKE = "PREP-% wasted: %"
PREPARATION_WASTED = "prepared and not given"
# An opened vial discarded (stock/opened.py writes "opened vial #12: lapsed: opened 2026-11-01, use by …"): summed
# under what was said of it, not under the vial's number and dates, which would make a reason of every vial.
OPENED_UNIT_NOTE_LIKE = "opened vial #%: %"
OPENED_LAPSED_NOTE_LIKE = "opened vial #%: lapsed%"
OPENED_LAPSED = "opened vial past its use-by"
OPENED_DISCARDED = "opened vial: "  # then the reason given, as written (lower case)


class _Facts:
    """What a movement row says as the sums see it (SQL expressions over stock_movement joined to lot)."""

    def __init__(self, dialect: str) -> None:
        kind = MOVEMENT.c.kind
        self.day = day_of(MOVEMENT.c.at, dialect)  # its UTC day
        self.starts = {Span.DAY: self.day, Span.WEEK: week_of(MOVEMENT.c.at, dialect),
                       Span.MONTH: month_of(MOVEMENT.c.at, dialect)}
        self.expired = case((and_(kind == MovementKind.WASTE.value, self.day > LOT.c.expiry), true()), else_=false())
        self.by_session = case((MOVEMENT.c.session_id.is_not(None), true()), else_=false())
        waste_now = and_(kind == MovementKind.WASTE.value, self.expired == false())
        written = func.lower(func.trim(MOVEMENT.c.reason))
        # What follows the vial's number: "#12: " ends at the first ": " of the note.
        said = func.trim(func.substr(written, (func.instr if dialect == "sqlite" else func.strpos)(written, ": ") + 2))
        apart = and_(waste_now, self.by_session == false())  # waste of no session: summed under its reason
        self.reason = case(
            (and_(apart, written.like(OPENED_LAPSED_NOTE_LIKE)), OPENED_LAPSED),
            (and_(apart, written.like(OPENED_UNIT_NOTE_LIKE)),
             func.substr(literal(OPENED_DISCARDED) + said, 1, REASON_LENGTH)),
            (apart, func.substr(written, 1, REASON_LENGTH)),
            (and_(waste_now, MOVEMENT.c.reason.like(PREPARATION_WASTE_NOTE_LIKE)), PREPARATION_WASTED),
            else_="")
        self.left = -MOVEMENT.c.quantity  # positive: what left stock
        self.value = self.left * func.coalesce(LOT.c.unit_cost, 0)
        waste = kind == MovementKind.WASTE.value
        self.classes = {"administered": kind == MovementKind.ADMINISTER.value,
                        "wasted": and_(waste, self.expired == false()), "expired": and_(waste, self.expired == true())}


# The kind tested on the row, not looked up in the ledger's index on (kind, at): with the index, SQLite would read
# every administration ever made to find the few ids a commit sums (half a second at a chain's scale), where the
# ids themselves lead straight to their rows. (The test stays: an id a rolled-back savepoint gave up may be taken
# again by a receipt.)
OUTFLOW = (MOVEMENT.c.kind + "").in_(OUTFLOW_KINDS)


def _summed(which, keys, sums, extra=(), movements=MOVEMENTS, ordered=True):
    """The outflow movements `which` selects, summed by `keys` in key order (see the module's docstring)."""
    summed = select(*extra, *keys, *sums).select_from(movements).where(OUTFLOW, which).group_by(*keys)
    return summed.order_by(*keys) if ordered else summed


def _add(connection: Connection, which) -> None:
    """Add the outflow movements `which` selects to every sum."""
    facts = _Facts(connection.dialect.name)
    # A product's row holds every class in its own columns: a report then reads one row per product and span,
    # without telling kinds apart.
    by_class = [func.round(func.sum(case((where, facts.left), else_=0)), 3).label(name)
                for name, where in facts.classes.items()]
    by_class += [func.round(func.sum(case((where, facts.value), else_=0)), 7).label(f"{name}_value")
                 for name, where in facts.classes.items()]
    spans = union_all(*(_summed(which, (start.label("start"), LOT.c.product_id), by_class, ordered=False,
                                extra=(literal_column(f"'{span.value}'").label("span"),))
                        for span, start in facts.starts.items()))
    rows = spans.order_by(*(spans.selected_columns[name] for name in ("span", "start", "product_id")))
    _upsert(connection, PRODUCT, rows, [column.name for column in by_class])  # the three spans in one statement
    totals = (func.count().label("movements"), func.round(func.sum(facts.left), 3).label("quantity"),
              func.round(func.sum(facts.value), 7).label("value"))
    keys = (facts.day.label("day"), MOVEMENT.c.kind, facts.expired.label("expired"),
            facts.by_session.label("by_session"), facts.reason.label("reason"))
    _upsert(connection, DAILY, _summed(which, keys, totals), ("movements", "quantity", "value"))
    by_session = MOVEMENTS.join(SESSION, SESSION.c.id == MOVEMENT.c.session_id)
    rows = _summed(which, (SESSION.c.scheduled_for.label("day"), SESSION.c.cocktail_version_id), totals[2:],
                   movements=by_session)
    _upsert(connection, SESSIONS, rows, ("value",))


def _upsert(connection: Connection, table, rows, sums: Iterable[str]) -> None:
    """INSERT the rows, or add them to the sums already kept under the same key (rounded back to the places the
    column holds: SQLite sums in floating point, and rounding each time keeps its float the exact decimal's)."""
    insert = (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(table)
    statement = insert.from_select([c.name for c in rows.selected_columns], rows)
    added = {}
    for name in sums:
        total = table.c[name] + statement.excluded[name]
        places = None if name == "movements" else 7 if name.endswith("value") else 3
        added[name] = total if places is None else func.round(total, places)
    connection.execute(statement.on_conflict_do_update(index_elements=list(table.primary_key.columns),
                                                       set_=added))


@event.listens_for(Session, "before_commit")
def _sum_at_commit(session: Session) -> None:
    # The outermost commit only: a savepoint released now may still be undone with its parent.
    if not session.in_nested_transaction():
        catch_up(session)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    # A transaction rolled back: what it noted is gone with it.
    if transaction.parent is None:
        session.info.pop(NOTED, None)
