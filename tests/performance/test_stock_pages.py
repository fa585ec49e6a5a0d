"""No N+1 on the dashboard, a product's page and a lot's page: the statements stay the same with 5× the rows."""

from datetime import date, timedelta

from formulary.extensions import db
from formulary.stock.ledger import waste
from formulary.treatments.sessions import check_session, plan_session

TODAY = date.today()


def _clinic_rows(start, n, make_product, make_lot, make_cocktail, make_patient, user):
    """n products each with an expired, an expiring and a held lot, and a checked session booked with each."""
    for i in range(start, start + n):
        product = make_product(f"Product {i}", reorder_level="100")
        make_lot(product, lot_number=f"OLD{i}", expiry=TODAY - timedelta(days=3), received_on=TODAY - timedelta(days=400))
        make_lot(product, lot_number=f"SOON{i}", expiry=TODAY + timedelta(days=10), unit_cost="2")
        make_lot(product, lot_number=f"HELD{i}", status="quarantined", expiry=TODAY + timedelta(days=200))
        make_lot(product, lot_number=f"GOOD{i}", quantity="40", expiry=TODAY + timedelta(days=300), unit_cost="3")
        cocktail = make_cocktail(f"Cocktail {i}", [(product, "1")])
        session = plan_session(make_patient(f"Patient {i}"), cocktail, TODAY + timedelta(days=i % 14),
                               practitioner=user, actor=user)
        check_session(session, actor=user)
    db.session.commit()


def test_the_dashboard_costs_the_same_statements_for_3_or_15_of_everything(
        client, login_as, count, make_product, make_lot, make_cocktail, make_patient):
    user = login_as("manager")
    _clinic_rows(0, 3, make_product, make_lot, make_cocktail, make_patient, user)
    few = count("/")
    _clinic_rows(3, 12, make_product, make_lot, make_cocktail, make_patient, user)
    many = count("/")
    page = client.get("/").get_data(as_text=True)
    assert "Patient 14" in page and "SOON" in page  # the panels show the new rows
    assert many == few, f"{few} statements with 3 of everything, {many} with 15"


def _product(tag, n, make_product, make_lot, make_condition):
    conditions = [make_condition(f"condition {tag} {i}").name for i in range(n)]
    product = make_product(
        f"Product {tag}", composition=[(f"substance {tag} {i}", "active" if i == 0 else "excipient") for i in range(n)],
        contraindications=[(name, "block") for name in conditions],
    )
    for i in range(n):
        make_lot(product, lot_number=f"{tag}{i}", expiry=TODAY + timedelta(days=30 * (i + 1)))
    db.session.commit()
    return product


def test_a_product_page_costs_the_same_for_3_or_15_lots_substances_and_conditions(
        client, login_as, count, make_product, make_lot, make_condition):
    login_as("manager")
    small = _product("S", 3, make_product, make_lot, make_condition)
    large = _product("L", 15, make_product, make_lot, make_condition)
    few, many = count(f"/catalogue/products/{small.id}"), count(f"/catalogue/products/{large.id}")
    page = client.get(f"/catalogue/products/{large.id}").get_data(as_text=True)
    assert "substance L 14" in page and "condition L 14" in page and "L14" in page
    assert many == few, f"{few} statements for 3 of each, {many} for 15"


def test_a_lot_page_costs_the_same_for_3_or_15_movements_by_as_many_users(
        client, login_as, count, make_user, make_product, make_lot):
    login_as("manager")
    product = make_product("Vitamin C 2 mL")
    small, large = make_lot(product, lot_number="SMALL", quantity="100"), make_lot(product, lot_number="LARGE",
                                                                                 quantity="100")
    for lot, n in ((small, 2), (large, 14)):  # plus the receipt: 3 and 15 movements
        for _ in range(n):
            waste(lot, "1", actor=make_user("manager"), reason="vial broken on opening")
    db.session.commit()
    few, many = count(f"/stock/lots/{small.id}"), count(f"/stock/lots/{large.id}")
    assert client.get(f"/stock/lots/{large.id}").get_data(as_text=True).count("vial broken on opening") == 14
    assert many == few, f"{few} statements for 3 movements, {many} for 15"
