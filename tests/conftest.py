"""Fixtures: one app per test run, each test in a transaction that is rolled back."""

import os
import re

import pytest
from flask.globals import _cv_app
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import text

from config import TestingConfig
from formulary import create_app
from formulary.catalogue.models import Condition, TreatmentGoal
from formulary.cocktails.recipes import ComponentLine, RecipeData, create_cocktail
from formulary.extensions import db
from formulary.patients.records import AllergyData, PatientData, add_allergy, create_patient
from formulary.reference.names import normalize_name

TEST_DATABASE_URL = os.environ.get("FORMULARY_TEST_DATABASE_URL")
PASSWORD = "a-long-test-password"
CSRF_PATTERN = re.compile(r'name="(?:[\w-]+-)?csrf_token"(?: type="hidden")? value="([^"]+)"')


def reset_database(engine) -> None:
    """Empty the test database completely, so that migrations start from nothing."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return TEST_DATABASE_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


class RequestClient(FlaskClient):
    """A test client whose every request gets a fresh `g`, as it would in production.

    Tests run inside an app context, and Flask reuses it for the client's requests; without
    this, `g` (and Flask-Login's cached user in it) would leak from one request to the next.
    """

    def open(self, *args, **kwargs):
        context = _cv_app.get(None)
        if context is None:
            return super().open(*args, **kwargs)
        test_globals, context.g = context.g, self.application.app_ctx_globals_class()
        try:
            return super().open(*args, **kwargs)
        finally:
            context.g = test_globals


@pytest.fixture(scope="session")
def app(database_url):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    app = create_app(Config)
    app.test_client_class = RequestClient
    with app.app_context():
        reset_database(db.engine)
        upgrade()
    return app


class BoundSession(FlaskSession):
    """Flask-SQLAlchemy's session, held to the test's connection so everything rolls back."""

    def get_bind(self, *args, **kwargs):
        return self.bind if self.bind is not None else super().get_bind(*args, **kwargs)


@pytest.fixture(autouse=True)
def _isolated(request):
    """Run each test inside a transaction rolled back at the end (commits become savepoints)."""
    if "live_server" in request.fixturenames:  # browser tests commit for real, elsewhere
        yield
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": BoundSession}
        )
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, url: str = "/login") -> str:
    """Fetch a page and read the CSRF token out of its first form."""
    html = client.get(url, follow_redirects=True).get_data(as_text=True)
    match = CSRF_PATTERN.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


@pytest.fixture
def make_user(app):
    """Builder: make_user(role="manager", username=None, password=PASSWORD) → User."""
    from formulary.auth.users import create_user

    counter = iter(range(1, 10_000))

    def build(role: str = "manager", username: str | None = None, password: str = PASSWORD):
        user = create_user(username or f"{role}{next(counter)}", password, role)
        db.session.commit()
        return user

    return build


def post_form(client, url: str, data: dict, follow: bool = True):
    """Post a form with the CSRF token a browser would send (also for prefixed forms)."""
    token = csrf_token(client, url)
    prefixes = {key.split("-", 1)[0] for key in data if "-" in key}
    tokens = {"csrf_token": token, **{f"{prefix}-csrf_token": token for prefix in prefixes}}
    return client.post(url, data={**tokens, **data}, follow_redirects=follow)


def log_in(client, username: str, password: str = PASSWORD, follow: bool = True):
    """Post the login form as a browser would."""
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=follow,
    )


@pytest.fixture
def login_as(client, make_user):
    """login_as(role) → the user, with the test client logged in as them."""

    def login(role: str = "manager"):
        user = make_user(role)
        response = log_in(client, user.username)
        assert response.status_code == 200
        return user

    return login


@pytest.fixture
def api_token(make_user):
    """api_token(role) → (user, bearer token text)."""
    from formulary.auth.tokens import create_token

    def build(role: str = "manager"):
        user = make_user(role)
        _row, token = create_token(user, "tests", actor=user)
        db.session.commit()
        return user, token

    return build


@pytest.fixture
def make_substance():
    """Builder: make_substance("methylparaben", synonyms=[...], groups=["parabens"]) → Substance."""
    from formulary.catalogue.lookup import find_group, find_substance
    from formulary.catalogue.models import AllergenGroup, Substance, SubstanceSynonym
    from formulary.reference.names import normalize_name

    def build(name: str, *, synonyms=(), groups=(), category: str = "other"):
        substance = find_substance(name)
        if substance is None:
            substance = Substance(name=name, key=normalize_name(name), category=category)
            db.session.add(substance)
        for synonym in synonyms:
            substance.synonyms.append(SubstanceSynonym(name=synonym, key=normalize_name(synonym)))
        for group_name in groups:
            group = find_group(group_name)
            if group is None:
                group = AllergenGroup(name=group_name, key=normalize_name(group_name))
                db.session.add(group)
            group.members.append(substance)
        db.session.flush()
        return substance

    return build


@pytest.fixture
def make_product(make_substance):
    """Builder: make_product("Vitamin C 20% 5 mL", composition=[("ascorbic acid", "active")])."""
    from formulary.catalogue.products import ComponentData, ProductData, create_product

    counter = iter(range(1, 100_000))

    def build(name: str | None = None, *, composition=(("sodium hyaluronate", "active"),),
              category: str = "hyaluronic acid", unit_size="2", single_use=True, **fields):
        for substance_name, _role in composition:
            make_substance(substance_name)
        data = ProductData(
            name=name or f"Product {next(counter)}", category=category, unit_size=unit_size,
            single_use=single_use,
            composition=[ComponentData(substance=s, role=r) for s, r in composition], **fields,
        )
        product = create_product(data, actor=None)
        db.session.flush()
        return product

    return build


@pytest.fixture
def make_lot():
    """Builder: make_lot(product, quantity="10", expiry=date(...), status="available") → Lot."""
    from datetime import date, timedelta
    from decimal import Decimal

    from formulary.stock.ledger import receive, set_status

    counter = iter(range(1, 100_000))

    def build(product, *, quantity="10", expiry: date | None = None, received_on: date | None = None,
              lot_number: str | None = None, status: str = "available", unit_cost=None, supplier=""):
        received_on = received_on or date(2026, 1, 1)
        lot = receive(
            product, lot_number=lot_number or f"L{next(counter):05d}",
            expiry=expiry or date.today() + timedelta(days=365), quantity=Decimal(quantity),
            received_on=received_on, actor=None, unit_cost=unit_cost, supplier=supplier,
        )
        if status != "available":
            set_status(lot, status, actor=None, reason="set up by a test")
        db.session.flush()
        return lot

    return build


# Cocktails and patients ---------------------------------------------------------------------------

@pytest.fixture
def make_goal():
    def build(name: str = "hydration"):
        goal = db.session.query(TreatmentGoal).filter_by(key=normalize_name(name)).one_or_none()
        if goal is None:
            goal = TreatmentGoal(name=name, key=normalize_name(name), description="")
            db.session.add(goal)
            db.session.flush()
        return goal

    return build


@pytest.fixture
def make_cocktail(make_goal):
    """make_cocktail("Hydra glow", [(product, "2")], goals=["hydration"]) → Cocktail."""

    def build(name, components, goals=("hydration",), **fields):
        for goal in goals:
            make_goal(goal)
        data = RecipeData(name=name, goals=list(goals),
                          components=[ComponentLine(p.id, amount) for p, amount in components], **fields)
        return create_cocktail(data, actor=None)

    return build


@pytest.fixture
def make_condition():
    def build(name: str = "pregnancy"):
        condition = db.session.query(Condition).filter_by(key=normalize_name(name)).one_or_none()
        if condition is None:
            condition = Condition(name=name, key=normalize_name(name))
            db.session.add(condition)
            db.session.flush()
        return condition

    return build


@pytest.fixture
def make_patient(make_condition):
    """make_patient("Ana Silva", allergies=["methylparaben"], conditions=["pregnancy"]) → Patient."""

    def build(name: str = "Ana Silva", *, allergies=(), conditions=(), allergy_status=None, **fields):
        for condition in conditions:
            make_condition(condition)
        status = allergy_status or ("recorded" if allergies else "none-known")
        patient = create_patient(
            PatientData(name=name, conditions=list(conditions), allergy_status=status, **fields), actor=None
        )
        for allergen in allergies:
            add_allergy(patient, AllergyData(allergen=allergen, criticality="high"), actor=None)
        return patient

    return build
