"""This database's identifier: made once, on the first export, the same for every app server."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from formulary.db import insert_for
from formulary.extensions import db
from formulary.spreadsheets.models import DatabaseIdentity

_ROW = 1  # the one row: two servers exporting at once both insert it, one of them wins


def database_identifier(*, create: bool = True) -> str | None:
    """The identifier written into this database's workbooks; made on first use unless `create` is false.

    Flushes, never commits.
    """
    found = db.session.scalar(select(DatabaseIdentity.uuid).where(DatabaseIdentity.id == _ROW))
    if found is not None or not create:
        return found
    statement = insert_for(db.session, DatabaseIdentity.__table__).values(id=_ROW, uuid=str(uuid.uuid4()))
    db.session.execute(statement.on_conflict_do_nothing(index_elements=["id"]))
    return db.session.scalar(select(DatabaseIdentity.uuid).where(DatabaseIdentity.id == _ROW))
