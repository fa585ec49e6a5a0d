"""Events that may come in floods: one audit row per address and window, the rest counted."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, literal, select

from formulary.audit.log import record, request_address
from formulary.audit.models import AuditTally
from formulary.clinic_time import local_time_text
from formulary.db import UTCDateTime, insert_for
from formulary.extensions import db


def window_start(now: datetime, window: timedelta) -> datetime:
    """The start of the fixed window (e.g. the clock hour) that `now` falls in."""
    epoch = datetime(2000, 1, 1, tzinfo=now.tzinfo)
    return now - (now - epoch) % window


def record_counted(action: str, *, now: datetime, window: timedelta, detail: str = "") -> int:
    """Count one event from this request's address; write its audit row only for the window's first.

    Returns the count so far in this window. The count goes up in one statement, so two app
    servers never both think they saw the first.
    """
    address = request_address()
    start = window_start(now, window)
    table = AuditTally.__table__
    at = literal(now, UTCDateTime())
    statement = insert_for(db.session, table).values(
        action=action, address=address, window_start=start, count=1, last_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.action, table.c.address, table.c.window_start],
        set_={"count": table.c.count + 1, "last_at": at},
    ).returning(table.c.count)
    count = db.session.execute(statement).scalar_one()
    if count == 1:
        until = start + window
        record(action, detail=f"{detail}; repeats from this address until {local_time_text(until)} are counted"[:500])
    return count


@dataclass(frozen=True)
class TallySummary:
    """How many counted events since a time, and from how many addresses."""

    events: int
    addresses: int


def tally_since(action: str, since: datetime) -> TallySummary:
    """The counted events of one action in the windows that ended after `since`."""
    events, addresses = db.session.execute(
        select(func.coalesce(func.sum(AuditTally.count), 0), func.count(AuditTally.address.distinct()))
        .where(AuditTally.action == action, AuditTally.last_at >= since)
    ).one()
    return TallySummary(events=int(events), addresses=int(addresses))
