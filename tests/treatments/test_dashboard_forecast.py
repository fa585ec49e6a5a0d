"""The dashboard's stock forecast: booked sessions served in date order, each draw off the lots FEFO took."""

from datetime import timedelta

from formulary.stock.draws import lot_stocks
from formulary.stock.ledger import waste
from formulary.treatments.dashboard import session_dashboard
from formulary.treatments.sessions import plan_session
from tests.treatments.conftest import TODAY


def book(patient, cocktail, days, user):
    return plan_session(patient, cocktail, TODAY + timedelta(days=days), practitioner=user, actor=user)


def blocked():
    return [(row.session.patient.name, row.shortages) for row in session_dashboard(TODAY).blocked]


def test_a_short_session_draws_nothing_from_its_other_products(make_product, make_lot, make_cocktail,
                                                                make_patient, make_user):
    user = make_user("practitioner")
    serum = make_product("Serum", unit_size="1", single_use=False)
    buffer = make_product("Buffer", unit_size="1", single_use=False)
    make_lot(serum, quantity="2", expiry=TODAY + timedelta(days=90))
    make_lot(buffer, quantity="1", expiry=TODAY + timedelta(days=90))
    both = make_cocktail("Both", [(serum, "1"), (buffer, "1")])
    book(make_patient("First"), both, 1, user)  # serum 2 → 1 mL, buffer 1 → 0 mL
    book(make_patient("Second"), both, 2, user)  # no buffer left: takes no serum either
    book(make_patient("Third"), make_cocktail("Serum only", [(serum, "1")]), 3, user)
    assert blocked() == [("Second", ("Buffer: short by 1 mL",))]


def test_a_draw_over_two_lots_comes_off_both(make_product, make_lot, make_cocktail, make_patient, make_user):
    user = make_user("practitioner")
    serum = make_product("Serum", unit_size="1", single_use=False)
    make_lot(serum, lot_number="FIRST", quantity="1.5", expiry=TODAY + timedelta(days=30))
    make_lot(serum, lot_number="NEXT", quantity="1", expiry=TODAY + timedelta(days=60))
    cocktail = make_cocktail("Serum", [(serum, "1")])
    for day, name in ((1, "One"), (2, "Two"), (3, "Three")):
        book(make_patient(name), cocktail, day, user)
    # One takes 1 of FIRST; Two the last 0.5 of FIRST and 0.5 of NEXT; 0.5 mL is left for Three.
    assert blocked() == [("Three", ("Serum: short by 0.5 mL",))]


def test_a_lot_expiring_today_still_serves_today_one_expired_yesterday_does_not(
        make_product, make_lot, make_cocktail, make_patient, make_user):
    user = make_user("practitioner")
    today_only = make_product("Today only", unit_size="1", single_use=False)
    expired = make_product("Expired", unit_size="1", single_use=False)
    make_lot(today_only, quantity="1", expiry=TODAY, received_on=TODAY - timedelta(days=100))
    make_lot(expired, quantity="5", expiry=TODAY - timedelta(days=1), received_on=TODAY - timedelta(days=100))
    book(make_patient("Served"), make_cocktail("Today", [(today_only, "1")]), 0, user)
    book(make_patient("Not served"), make_cocktail("Old", [(expired, "1")]), 0, user)
    assert blocked() == [("Not served", ("Expired: short by 1 mL",))]


def test_lot_stocks_leaves_out_lots_expired_before_a_day_only_when_asked(make_product, make_lot):
    product = make_product("Serum")
    make_lot(product, lot_number="OLD", expiry=TODAY - timedelta(days=1), received_on=TODAY - timedelta(days=100))
    make_lot(product, lot_number="TODAY", expiry=TODAY, received_on=TODAY - timedelta(days=100))
    waste(make_lot(product, lot_number="EMPTY", quantity="1", expiry=TODAY + timedelta(days=100)), "1", actor=None,
          reason="used up")

    def numbers(**since):
        return sorted(lot.lot_number for lot in lot_stocks([product.id], **since)[product.id])

    assert numbers() == ["OLD", "TODAY"]  # as the cocktail and session pages see them: expired lots too
    assert numbers(expiring_from=TODAY) == ["TODAY"]
