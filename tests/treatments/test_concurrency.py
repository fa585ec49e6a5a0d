"""Two practitioners administering the last stock at the same moment, on PostgreSQL, with real commits.

The rest of the suite runs inside one rolled-back transaction; this test needs two connections that
commit, so it builds a database of its own (as tests/browser/conftest.py does) and swaps in real,
per-app-context sessions for its duration.
"""

import os
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, select, text

from config import TestingConfig
from formulary import create_app
from formulary.extensions import db

BASE_URL = os.environ.get("FORMULARY_TEST_DATABASE_URL", "")
TODAY = date.today()

pytestmark = pytest.mark.skipif(
    not BASE_URL.startswith("postgresql"),
    reason="needs PostgreSQL (set FORMULARY_TEST_DATABASE_URL): SQLite serialises every writer, so two "
           "administrations can never meet at the row lock this test is about",
)


@pytest.fixture
def race_app():
    """A freshly migrated app on a database of its own, and real sessions that commit."""
    from flask_migrate import upgrade

    name = BASE_URL.rsplit("/", 1)[1].split("?")[0] + "_race"
    admin = create_engine(BASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = BASE_URL.rsplit("/", 1)[0] + "/" + name

    app = create_app(Config)
    isolated = db.session  # the rolled-back test session; restored below
    db.session = db._make_scoped_session({})
    try:
        with app.app_context():
            upgrade()
        yield app
    finally:
        db.session.remove()
        db.session = isolated
        with app.app_context():
            db.engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _seed() -> tuple[int, int, int]:
    """One 2 mL vial left, two patients booked for a cocktail that needs all of it."""
    from formulary.auth.users import create_user
    from formulary.catalogue.models import Substance, TreatmentGoal
    from formulary.catalogue.products import ComponentData, ProductData, create_product
    from formulary.cocktails.recipes import ComponentLine, RecipeData, create_cocktail
    from formulary.patients.records import PatientData, create_patient
    from formulary.stock.ledger import receive
    from formulary.treatments.sessions import plan_session

    db.session.add(Substance(name="sodium hyaluronate", key="sodiumhyaluronate"))
    db.session.add(TreatmentGoal(name="hydration", key="hydration", description=""))
    db.session.flush()
    product = create_product(ProductData(name="HA 1% 2 mL", category="hyaluronic acid", unit_size="2",
                                         composition=[ComponentData("sodium hyaluronate", "active")]), actor=None)
    lot = receive(product, lot_number="LAST-1", expiry=TODAY + timedelta(days=90), quantity=Decimal(2),
                  received_on=TODAY, actor=None)
    cocktail = create_cocktail(RecipeData(name="Hydra", goals=["hydration"],
                                          components=[ComponentLine(product.id, Decimal(2))]), actor=None)
    users = [create_user(f"practitioner{i}", "a-long-test-password", "practitioner") for i in (1, 2)]
    sessions = [
        plan_session(create_patient(PatientData(name=f"Patient {i}", allergy_status="none-known"), actor=None),
                     cocktail, TODAY, practitioner=users[i], actor=users[i])
        for i in (0, 1)
    ]
    db.session.commit()
    return lot.id, sessions[0].id, sessions[1].id


def test_two_practitioners_race_for_the_last_vial(race_app, monkeypatch):
    from formulary.auth.models import User
    from formulary.stock import opened as ledger_writer  # where a session's draw moves the ledger
    from formulary.stock.errors import InsufficientStock
    from formulary.stock.models import Lot, StockMovement
    from formulary.treatments import sessions as sessions_module
    from formulary.treatments.models import SessionDraw, TreatmentSession

    with race_app.app_context():
        lot_id, first, second = _seed()

    # Both have read the stock and passed the check before either draws: they meet at the lot's row.
    barrier = threading.Barrier(2, timeout=20)
    real_move = ledger_writer.move

    def move_together(lot, kind, delta, **kwargs):
        if kind == "administer":
            barrier.wait()
        return real_move(lot, kind, delta, **kwargs)

    monkeypatch.setattr(ledger_writer, "move", move_together)
    outcomes: dict[int, str] = {}

    def administer(session_id: int, username: str) -> None:
        with race_app.app_context():
            session = db.session.get(TreatmentSession, session_id)
            actor = db.session.scalar(select(User).where(User.username == username))
            try:
                sessions_module.administer(session, actor=actor, today=TODAY)
                db.session.commit()
                outcomes[session_id] = "administered"
            except (sessions_module.SessionError, InsufficientStock) as error:
                db.session.rollback()
                outcomes[session_id] = str(error)

    threads = [threading.Thread(target=administer, args=(first, "practitioner1")),
               threading.Thread(target=administer, args=(second, "practitioner2"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes.values()) == [
        "Not enough stock: 2 mL needed from lot LAST-1 of HA 1% 2 mL, only 0 mL available.", "administered"]
    with race_app.app_context():
        assert db.session.get(Lot, lot_id).on_hand == Decimal(0)
        ledger_sum = db.session.scalar(select(func.sum(StockMovement.quantity)).where(StockMovement.lot_id == lot_id))
        assert ledger_sum == Decimal(0)
        statuses = sorted(db.session.scalars(select(TreatmentSession.status)))
        assert statuses == ["administered", "planned"]
        assert db.session.scalar(select(func.count()).select_from(SessionDraw)) == 1
