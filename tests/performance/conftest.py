"""What the statement-count tests share: counting the SQL statements one page costs."""

import pytest
from sqlalchemy import event

from formulary.extensions import db


def statements_for(client, url: str) -> int:
    """The SQL statements one GET of the page sends (savepoints aside: they are the tests' own)."""
    seen = []

    def before(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return len([s for s in seen if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))])


@pytest.fixture
def count(client):
    """count(url) → the statements the page costs, after one warm-up request (first-use loads aside)."""

    def measure(url: str) -> int:
        client.get(url)
        return statements_for(client, url)

    return measure
