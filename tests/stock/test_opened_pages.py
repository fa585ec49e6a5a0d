"""Opened vials on the dashboard, the lot page and the product page; one-click discard."""

from datetime import timedelta
from decimal import Decimal

from formulary.extensions import db
from formulary.stock.opened_models import OpenedUnit
from formulary.treatments.sessions import administer, plan_session
from tests.conftest import post_form
from tests.stock.test_opened_units import TODAY


def opened_five_weeks_ago(make_product, make_lot, make_cocktail, make_patient, user):
    product = make_product("Vitamin C 5 mL multi-dose", unit_size="5", single_use=False, opened_shelf_life_days=28,
                           category="vitamin")
    lot = make_lot(product, lot_number="VC-1", quantity="15", expiry=TODAY + timedelta(days=300), unit_cost="4")
    cocktail = make_cocktail("Glow", [(product, "2")])
    earlier = TODAY - timedelta(days=35)
    session = plan_session(make_patient("Ana"), cocktail, earlier, practitioner=user, actor=user)
    administer(session, actor=user, today=earlier)
    db.session.commit()
    return product, lot


def html(response):
    return response.get_data(as_text=True)


def test_a_lapsed_vial_waits_on_the_dashboard_and_one_click_discards_it(client, login_as, make_product, make_lot,
                                                                         make_cocktail, make_patient):
    user = login_as("practitioner")
    product, lot = opened_five_weeks_ago(make_product, make_lot, make_cocktail, make_patient, user)
    page = html(client.get("/"))
    assert "Opened vials to discard" in page and "VC-1" in page and "3 mL" in page
    unit = db.session.scalars(db.select(OpenedUnit)).one()
    page = html(post_form(client, f"/stock/opened-units/{unit.id}/discard", {"next": "/"}))
    assert f"Opened vial #{unit.id} of lot VC-1 discarded (lapsed: opened" in page
    assert "No opened vial is past its use-by." in page
    assert "€12.00" in page  # 3 mL at 4.00 a mL, lapsed within 90 days, in the clinic's currency
    db.session.expire_all()
    assert db.session.get(OpenedUnit, unit.id).discarded_content == Decimal("3")
    assert lot.movements[-1].reason.startswith(f"opened vial #{unit.id}: lapsed")


def test_lot_and_product_pages_show_sealed_units_and_opened_content_apart(client, login_as, make_product, make_lot,
                                                                          make_cocktail, make_patient):
    user = login_as("manager")
    product, lot = opened_five_weeks_ago(make_product, make_lot, make_cocktail, make_patient, user)
    page = html(client.get(f"/stock/lots/{lot.id}"))
    assert "Sealed units" in page and "2 × 5 mL" in page and "3 mL in 1 opened vial" in page and "lapsed" in page
    page = html(client.get(f"/catalogue/products/{product.id}"))
    assert "Sealed <strong" in page and "2 units" in page and "1 lapsed, to discard" in page


def test_the_api_lists_lapsed_units_and_the_lot_answers_sealed_units(client, api_token, make_product, make_lot,
                                                                      make_cocktail, make_patient, make_user):
    user, token = api_token("manager")
    product, lot = opened_five_weeks_ago(make_product, make_lot, make_cocktail, make_patient, user)
    headers = {"Authorization": f"Bearer {token}"}
    body = client.get(f"/api/v1/lots/{lot.id}", headers=headers).json
    assert body["sealed_units"] == 2 and body["on_hand"] == 13
    (unit,) = body["opened_units"]
    assert unit["content_left"] == 3 and unit["lapsed"] is True
    listed = client.get("/api/v1/stock/opened-units?lapsed=true", headers=headers).json["items"]
    assert [(u["lot_id"], u["product_id"]) for u in listed] == [(lot.id, product.id)]
    assert client.get("/api/v1/stock/opened-units?lapsed=false", headers=headers).json["items"] == []
