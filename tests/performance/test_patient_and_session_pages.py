"""No N+1 on a patient's profile and a session's page."""

from datetime import date

from formulary.extensions import db
from formulary.treatments.sessions import administer, check_session, plan_session

TODAY = date.today()


def _patient(tag, n, make_patient, make_substance):
    """n allergies of each kind (substance, group, free text) and n conditions."""
    allergens = []
    for i in range(n):
        make_substance(f"{tag} substance {i}", groups=[f"{tag} group {i}"])
        allergens += [f"{tag} substance {i}", f"{tag} group {i}", f"{tag} nothing known {i}"]
    patient = make_patient(f"{tag} Patient", allergies=allergens, conditions=[f"{tag} condition {i}" for i in range(n)])
    db.session.commit()
    return patient


def test_a_profile_costs_the_same_for_3_or_15_allergies_and_conditions(client, login_as, count, make_patient,
                                                                         make_substance):
    login_as("practitioner")
    small = _patient("Small", 1, make_patient, make_substance)
    large = _patient("Large", 5, make_patient, make_substance)
    few, many = count(f"/patients/{small.id}"), count(f"/patients/{large.id}")
    page = client.get(f"/patients/{large.id}").get_data(as_text=True)
    assert "Large substance 4" in page and "Large group 4" in page and "Large condition 4" in page
    assert many == few, f"{few} statements for 3 allergies, {many} for 15"


def _session(tag, n, user, make_patient, make_product, make_lot, make_cocktail):
    """An administered session of n products, drawn across two lots each, checked n times first."""
    products = []
    for i in range(n):
        product = make_product(f"{tag} product {i}", unit_size="1")
        make_lot(product, lot_number=f"{tag}{i}A", quantity="1")  # the draw of 1.5 takes from both lots
        make_lot(product, lot_number=f"{tag}{i}B", quantity="5")
        products.append(product)
    cocktail = make_cocktail(f"{tag} cocktail", [(p, "1.5") for p in products])
    session = plan_session(make_patient(f"{tag} Patient"), cocktail, TODAY, practitioner=user, actor=user)
    for _ in range(n):
        check_session(session, actor=user)
    administer(session, actor=user, today=TODAY)
    db.session.commit()
    return session


def test_a_session_page_costs_the_same_for_1_or_5_products_lots_and_checks(
        client, login_as, count, make_patient, make_product, make_lot, make_cocktail):
    user = login_as("practitioner")
    small = _session("Small", 1, user, make_patient, make_product, make_lot, make_cocktail)
    large = _session("Large", 5, user, make_patient, make_product, make_lot, make_cocktail)
    few, many = count(f"/sessions/{small.id}"), count(f"/sessions/{large.id}")
    page = client.get(f"/sessions/{large.id}").get_data(as_text=True)
    assert "Large4B" in page and "Large product 4" in page
    assert many == few, f"{few} statements for 1 product, {many} for 5"


def _history(tag, n, user, make_patient, make_product, make_lot, make_cocktail):
    """A patient with n sessions: given (from two lots each, with a reaction), blocked, planned."""
    from formulary.treatments.sessions import record_reaction

    product = make_product(f"{tag} product", unit_size="1")
    make_lot(product, lot_number=f"{tag}A", quantity=str(n))
    make_lot(product, lot_number=f"{tag}B", quantity="100")
    cocktail = make_cocktail(f"{tag} cocktail", [(product, "1.5")])
    patient = make_patient(f"{tag} Patient")
    for i in range(n):
        session = plan_session(patient, cocktail, TODAY, practitioner=make_user_for(tag, i), actor=user)
        check_session(session, actor=user)
        if i % 3 == 0:
            administer(session, actor=user, today=TODAY)
            record_reaction(session, "Redness for a day", actor=user)
    db.session.commit()
    return patient


def make_user_for(tag, i):
    """A practitioner of its own per session: a lazy load per row could not hide behind the identity map."""
    from formulary.auth.users import create_user

    return create_user(f"{tag.lower()}-practitioner-{i}", "a long enough password 1", "practitioner")


def test_a_patient_page_costs_the_same_for_2_or_10_sessions(client, login_as, count, make_patient, make_product,
                                                            make_lot, make_cocktail):
    user = login_as("practitioner")
    small = _history("Small", 2, user, make_patient, make_product, make_lot, make_cocktail)
    large = _history("Large", 10, user, make_patient, make_product, make_lot, make_cocktail)
    few, many = count(f"/patients/{small.id}"), count(f"/patients/{large.id}")
    page = client.get(f"/patients/{large.id}").get_data(as_text=True)
    assert page.count('class="list-group-item patient-session"') == 10
    assert "lot LargeA" in page and "Redness for a day" in page and ">Given</span>" in page
    assert many == few, f"{few} statements for 2 sessions, {many} for 10"
