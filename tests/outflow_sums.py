"""The outflow sums the ledger keeps (stock/outflows.py), next to the same sums rebuilt from the whole ledger."""

from sqlalchemy import select

from formulary.extensions import db
from formulary.stock.outflow_models import DailyOutflow, ProductOutflow, SessionDayCost
from formulary.stock.outflows import catch_up, rebuild


def _rows() -> dict[str, set[tuple]]:
    return {model.__tablename__: {tuple(row) for row in db.session.execute(select(*model.__table__.c))}
            for model in (ProductOutflow, DailyOutflow, SessionDayCost)}


def kept_and_rebuilt() -> tuple[dict[str, set[tuple]], dict[str, set[tuple]]]:
    """Every row of the sums as kept (this transaction's movements too), and as rebuilt from the ledger (in a
    savepoint rolled back after)."""
    catch_up(db.session)
    kept = _rows()
    savepoint = db.session.begin_nested()
    rebuild(db.session.connection())
    rebuilt = _rows()
    savepoint.rollback()
    return kept, rebuilt


def mismatches() -> dict[str, tuple[set[tuple], set[tuple]]]:
    """Per table, rows kept but not rebuilt, and rows rebuilt but not kept (empty when the sums tie out)."""
    kept, rebuilt = kept_and_rebuilt()
    return {table: (kept[table] - rebuilt[table], rebuilt[table] - kept[table])
            for table in kept if kept[table] != rebuilt[table]}
