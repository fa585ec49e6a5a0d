"""A small clinic with a row behind every id a URL can take."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from formulary.auth.models import ApiToken, User
from formulary.auth.tokens import create_token
from formulary.catalogue.models import AllergenGroup, Product, Substance
from formulary.cocktails.models import Cocktail
from formulary.extensions import db
from formulary.patients.models import Allergy, Patient
from formulary.purchasing.models import PurchaseOrder
from formulary.purchasing.orders import LineData, create_order, mark_sent
from formulary.purchasing.suppliers import SupplierData, create_supplier
from formulary.stock.models import Lot, StockImport
from formulary.treatments.course_models import Course
from formulary.treatments.courses import CoursePlan, start_course
from formulary.treatments.models import SafetyCheck, TreatmentSession
from formulary.treatments.sessions import administer, check_session, plan_session
from tests.figures import Figures

TODAY = date.today()
FIGURES = Figures("security figures")
pytest_terminal_summary = FIGURES.summary
figures = FIGURES.fixture()


@dataclass
class Clinic:
    """Every row the tests need an id of; `tokens` holds each role's bearer token text."""

    users: dict[str, User]
    tokens: dict[str, str]
    token_rows: dict[str, ApiToken]
    other: User  # a user nobody logs in as: the admin pages act on them
    substance: Substance
    group: AllergenGroup
    product: Product
    lot: Lot
    cocktail: Cocktail
    patient: Patient  # allergic to an excipient of the cocktail: every check is blocked
    allergy: Allergy
    session: TreatmentSession  # planned and checked: blocked
    check: SafetyCheck
    clear_patient: Patient  # no known allergies
    given: TreatmentSession  # administered from `lot`
    stock_import: StockImport
    order: PurchaseOrder  # sent to `supplier`, one line of `product`: never edited again
    course: Course  # two sessions for clear_patient, from tomorrow


@pytest.fixture
def clinic(make_user, make_substance, make_product, make_lot, make_cocktail, make_patient) -> Clinic:
    users = {role: make_user(role) for role in ("admin", "manager", "practitioner")}
    other = make_user("practitioner")
    token_rows, tokens = {}, {}
    for role, user in users.items():
        token_rows[role], tokens[role] = create_token(user, f"{role} script", actor=user)
    substance = make_substance("methylparaben", groups=["parabens"])
    ha = make_product("HA 1% 2 mL", unit_size="2", single_use=True)
    vitamin = make_product("Vitamin Complex B 2 mL", unit_size="2", category="vitamin",
                           composition=[("thiamine", "active"), ("methylparaben", "excipient")])
    lot = make_lot(ha, lot_number="HA-1", quantity="20", expiry=TODAY + timedelta(days=300))
    make_lot(vitamin, lot_number="VB-1", quantity="20", expiry=TODAY + timedelta(days=200))
    cocktail = make_cocktail("Hydra glow", [(ha, "1.5"), (vitamin, "1")])
    plain = make_cocktail("Plain HA", [(ha, "1")])
    patient = make_patient("Ana Silva", allergies=["parabens"], reference="P-0001")
    clear_patient = make_patient("Ben Costa", reference="P-0002")
    practitioner = users["practitioner"]
    session = plan_session(patient, cocktail, TODAY, practitioner=practitioner, actor=practitioner)
    _result, check = check_session(session, actor=practitioner)
    given = plan_session(clear_patient, plain, TODAY, practitioner=practitioner, actor=practitioner)
    administer(given, actor=practitioner, today=TODAY)
    course = start_course(CoursePlan(clear_patient, plain, 2, 14, TODAY + timedelta(days=1)),
                          practitioner=practitioner, actor=practitioner, today=TODAY)
    stock_import = StockImport(user=users["manager"], mode="delivery", file_name="delivery.xlsx",
                               sha256="0" * 64)
    db.session.add(stock_import)
    supplier = create_supplier(SupplierData(name="Mesolab", lead_time_days=7), actor=None)
    order = mark_sent(create_order(supplier, [LineData(ha.id, 2)], actor=None), "printed", actor=None)
    db.session.commit()
    assert check.outcome == "blocked" and given.status == "administered"
    return Clinic(
        users=users, tokens=tokens, token_rows=token_rows, other=other, substance=substance,
        group=substance.groups[0], product=ha, lot=lot, cocktail=cocktail, patient=patient,
        allergy=patient.allergies[0], session=session, check=check, clear_patient=clear_patient, given=given,
        stock_import=stock_import, order=order, course=course,
    )
