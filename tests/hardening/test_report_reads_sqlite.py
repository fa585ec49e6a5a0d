"""A report answered through the API reads without SQLite's write lock: another worker writes meanwhile."""

import sqlite3

import pytest

import formulary.api.reports as api_reports
from tests.hardening.clinic import seed_clinic
from tests.hardening.conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="SQLite's single-writer lock is what this is about")


def test_the_consumption_api_builds_its_answer_while_another_connection_writes(real_app, real_database_url,
                                                                               monkeypatch):
    with real_app.app_context():
        token = seed_clinic(tokens=True).tokens["manager1"]
    path = real_database_url.split("///", 1)[1]
    took_the_lock = []
    real_rows = api_reports.consumption_rows

    def rows_while_another_writes(rng, product_id=None):
        # Mid-answer, another connection (as the other gunicorn worker would) asks for the write lock at once.
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            took_the_lock.append(True)
        except sqlite3.OperationalError as error:
            took_the_lock.append(str(error))
        finally:
            other.close()
        return real_rows(rng, product_id)

    monkeypatch.setattr(api_reports, "consumption_rows", rows_while_another_writes)
    client = real_app.test_client()
    for _ in range(2):  # the first call stamps the token's "last used", the second does not
        answer = client.get("/api/v1/reports/consumption", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.get_json()
    assert took_the_lock == [True, True]
