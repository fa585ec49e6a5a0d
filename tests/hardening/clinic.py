"""A small clinic seeded into a real database, and a full dump of a database to compare it by."""

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from formulary.extensions import db
from tests.conftest import PASSWORD

TODAY = date.today()
MILLI = Decimal("0.001")


@dataclass
class Clinic:
    """Ids of what seed_clinic made (objects would not outlive their session)."""

    product_ids: list[int]
    lot_ids: list[int]
    cocktail_id: int
    patient_ids: list[int]
    manager: str = "manager1"
    practitioners: list[str] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)


def seed_clinic(components=(("HA 1% 2 mL", "2", "2"),), *, patients: int = 2, practitioners: int = 1,
                single_use: bool = False, tokens: bool = False, expiry_days: int = 300) -> Clinic:
    """Products (name, amount per session, quantity of their one lot or None), a cocktail, patients, users.

    Commits: the clinic is there for every connection and process.
    """
    from formulary.auth.tokens import create_token
    from formulary.auth.users import create_user
    from formulary.catalogue.lookup import find_substance
    from formulary.catalogue.models import Substance, TreatmentGoal
    from formulary.catalogue.products import ComponentData, ProductData, create_product
    from formulary.cocktails.recipes import ComponentLine, RecipeData, create_cocktail
    from formulary.patients.records import PatientData, create_patient
    from formulary.stock.ledger import receive

    if find_substance("sodium hyaluronate") is None:  # the demo clinic has both already
        db.session.add(Substance(name="sodium hyaluronate", key="sodiumhyaluronate"))
    if db.session.scalar(select(TreatmentGoal).where(TreatmentGoal.key == "hydration")) is None:
        db.session.add(TreatmentGoal(name="hydration", key="hydration", description=""))
    db.session.flush()
    products, lots, lines = [], [], []
    for index, (name, amount, quantity) in enumerate(components, start=1):
        product = create_product(ProductData(
            name=name, category="hyaluronic acid", unit_size=amount, single_use=single_use,
            composition=[ComponentData("sodium hyaluronate", "active")]), actor=None)
        if quantity is not None:
            lots.append(receive(product, lot_number=f"LOT-{index}", quantity=Decimal(quantity),
                                expiry=TODAY + timedelta(days=expiry_days), received_on=TODAY, actor=None))
        products.append(product)
        lines.append(ComponentLine(product.id, Decimal(amount)))
    cocktail = create_cocktail(RecipeData(name="Hydra", goals=["hydration"], components=lines), actor=None)
    people = [create_patient(PatientData(name=f"Patient {i}", allergy_status="none-known"), actor=None)
              for i in range(1, patients + 1)]
    users = [create_user("manager1", PASSWORD, "manager")]
    users += [create_user(f"practitioner{i}", PASSWORD, "practitioner") for i in range(1, practitioners + 1)]
    issued = {u.username: create_token(u, "hardening", actor=u)[1] for u in users} if tokens else {}
    clinic = Clinic([p.id for p in products], [lot.id for lot in lots], cocktail.id, [p.id for p in people],
                    practitioners=[u.username for u in users[1:]], tokens=issued)
    # Read nothing after the commit: outside a request a SQLite transaction takes the write lock at once.
    db.session.commit()
    return clinic


def user(username: str):
    """The user row by name, in the current session."""
    from formulary.auth.models import User

    return db.session.scalar(select(User).where(User.username == username))


def plan_sessions(cocktail_id: int, patient_ids, practitioner: str, on: date = TODAY) -> list[int]:
    """One planned session per patient, committed; their ids."""
    from formulary.cocktails.models import Cocktail
    from formulary.patients.models import Patient
    from formulary.treatments.sessions import plan_session

    cocktail = db.session.get(Cocktail, cocktail_id)
    actor = user(practitioner)
    ids = [plan_session(db.session.get(Patient, pid), cocktail, on, practitioner=actor, actor=actor).id
           for pid in patient_ids]
    db.session.commit()
    return ids


def ledger_mismatches() -> list[tuple[str, Decimal, Decimal]]:
    """Lots whose on-hand differs from the sum of their movements: (lot, on hand, ledger sum)."""
    from formulary.stock.models import Lot, StockMovement

    ledger = (select(StockMovement.lot_id, func.coalesce(func.sum(StockMovement.quantity), 0).label("total"))
              .group_by(StockMovement.lot_id).subquery())
    rows = db.session.execute(
        select(Lot.lot_number, Lot.on_hand, func.coalesce(ledger.c.total, 0))
        .outerjoin(ledger, ledger.c.lot_id == Lot.id)
    )
    # SQLite sums NUMERIC in floating point: compare at the ledger's three decimals.
    found = [(number, on_hand, Decimal(str(total)).quantize(MILLI)) for number, on_hand, total in rows]
    return [(number, on_hand, total) for number, on_hand, total in found if total != on_hand]


def dump(engine) -> dict[str, list[tuple]]:
    """Every row of every table in the database (alembic's included), as the driver returns it, sorted.

    Read through a bare DB-API connection: the app's SQLite connections take the write lock when they
    begin, and this must read while another process holds it.
    """
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        postgres = engine.dialect.name == "postgresql"
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'" if postgres else
                       "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        tables = {}
        for (name,) in sorted(cursor.fetchall()):
            cursor.execute(f'SELECT * FROM "{name}"')  # noqa: S608 (names from the database itself)
            tables[name] = sorted((tuple(row) for row in cursor.fetchall()), key=repr)
        return tables
    finally:
        connection.rollback()
        connection.close()


def checksums(tables: dict[str, list[tuple]]) -> dict[str, tuple[int, str]]:
    """Each table's row count and a SHA-256 over its rows."""
    return {name: (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()[:16])
            for name, rows in tables.items()}
