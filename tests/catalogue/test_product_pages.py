"""Product pages: the list with on-hand totals, a product with its lots, the product form."""

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from formulary.audit.models import AuditEvent
from formulary.catalogue.models import Condition, Product, ProductComponent
from formulary.extensions import db
from tests.conftest import csrf_token, post_form

VALID_GTIN = "4006381333931"


def text(response) -> str:
    """The page as a person reads it: tags dropped, entities decoded, spaces collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(without_tags).split())


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def product_form(name="Vitamin C 20% 5 mL", composition=(), **fields) -> dict:
    """What a browser posts from the product form, with blank rows like the page's."""
    data = {
        "name": name, "category": "vitamin", "manufacturer": "Lumen Labs", "gtin": "", "unit": "mL",
        "unit_size": "5", "use": "single", "opened_shelf_life_days": "", "storage": "2–8 °C",
        "reorder_level": "10", "expiry_margin_days": "7", "notes": "",
    }
    rows = list(composition) + [("", "active", "")] * 2
    for index, (substance, role, strength) in enumerate(rows):
        data[f"composition-{index}-substance"] = substance
        data[f"composition-{index}-role"] = role
        data[f"composition-{index}-strength"] = strength
    data.update(fields)
    return data


@pytest.fixture
def substances(make_substance):
    make_substance("ascorbic acid", synonyms=["vitamin C"])
    make_substance("sodium chloride")
    make_substance("benzyl alcohol")
    make_substance("sodium hyaluronate", synonyms=["hyaluronic acid"])


@pytest.fixture
def pregnancy():
    condition = Condition(name="pregnancy", key="pregnancy")
    db.session.add(condition)
    db.session.flush()
    return condition


def test_manager_creates_a_product_with_its_composition(client, login_as, substances, pregnancy):
    user = login_as("manager")
    data = product_form(composition=[("Vitamin C", "active", "200 mg/mL"), ("benzyl alcohol", "excipient", "")],
                        gtin=VALID_GTIN, **{"contraindications-0-condition": "pregnancy",
                                            "contraindications-0-severity": "caution"})
    response = post_form(client, "/catalogue/products/new", data)
    page = text(response)
    assert response.status_code == 200 and "Product Vitamin C 20% 5 mL saved." in page
    product = db.session.scalar(select(Product).where(Product.name == "Vitamin C 20% 5 mL"))
    assert [(c.substance.name, c.role, c.strength) for c in product.composition] == [
        ("ascorbic acid", "active", "200 mg/mL"), ("benzyl alcohol", "excipient", "")]
    assert product.gtin == "0" + VALID_GTIN and product.expiry_margin_days == 7
    assert product.reorder_level == 10 and product.storage == "2–8 °C" and product.single_use
    assert [(c.condition.name, c.severity) for c in product.contraindications] == [("pregnancy", "caution")]
    # The product page it lands on shows what was saved.
    assert "ascorbic acid active 200 mg/mL" in page and "benzyl alcohol excipient" in page
    assert "caution pregnancy" in page and "stop using 7 days before expiry" in page
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "product.create")).user_id == user.id


def test_a_multi_dose_product_keeps_its_opened_shelf_life(client, login_as, substances):
    login_as("manager")
    data = product_form("Saline 10 mL", [("sodium chloride", "active", "0.9%")], use="multi",
                        opened_shelf_life_days="28", category="diluent")
    assert "Product Saline 10 mL saved." in text(post_form(client, "/catalogue/products/new", data))
    product = db.session.scalar(select(Product).where(Product.name == "Saline 10 mL"))
    assert not product.single_use and product.opened_shelf_life_days == 28
    assert "Multi-dose: keeps 28 days once opened" in text(client.get(f"/catalogue/products/{product.id}"))


def test_an_unknown_substance_is_refused_naming_it_and_nothing_is_saved(client, login_as, substances):
    login_as("manager")
    before = (count(Product), count(ProductComponent), count(AuditEvent))
    data = product_form(composition=[("vitamin C", "active", ""), ("", "active", ""),
                                     ("unobtainium", "excipient", "")])
    response = post_form(client, "/catalogue/products/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nothing was saved" in text(response)
    assert "Unknown substance 'unobtainium': add it to the catalogue first." in text(response)
    # The message sits on the third row, the one that named it, and the typed rows are kept.
    row = re.search(r'<input[^>]*name="composition-2-substance"[^>]*>', page).group(0)
    assert "is-invalid" in row and 'value="unobtainium"' in row
    assert (count(Product), count(ProductComponent), count(AuditEvent)) == before


@pytest.mark.parametrize("gtin, message", [
    ("4006381333932", "GTIN 4006381333932 fails its check digit (expected 1)."),
    ("12ab", "GTIN 12ab is not 8, 12, 13 or 14 digits."),
])
def test_an_invalid_gtin_is_refused_naming_it(client, login_as, substances, gtin, message):
    login_as("manager")
    data = product_form(composition=[("vitamin C", "active", "")], gtin=gtin)
    response = post_form(client, "/catalogue/products/new", data)
    assert message in text(response)
    assert re.search(r'<input class="form-control is-invalid" id="gtin"', response.get_data(as_text=True))
    assert count(Product) == 0


def test_a_duplicate_product_name_is_refused(client, login_as, substances, make_product):
    make_product("Vitamin C 20% 5 mL", composition=[("ascorbic acid", "active")])
    login_as("manager")
    response = post_form(client, "/catalogue/products/new",
                         product_form("Vitamin C 20% 5 mL", [("ascorbic acid", "active", "")]))
    assert "A product named 'Vitamin C 20% 5 mL' already exists." in text(response)
    assert count(Product) == 1


def test_several_refusals_are_shown_together(client, login_as, substances):
    login_as("manager")
    data = product_form("", [], unit_size="0", expiry_margin_days="soon")
    page = text(post_form(client, "/catalogue/products/new", data))
    assert "Enter a whole number of days (got 'soon')." in page
    data = product_form("", [], unit_size="0")
    page = text(post_form(client, "/catalogue/products/new", data))
    assert "A product name is required." in page
    assert "Content per unit must be more than zero (got 0)." in page
    assert "List at least one substance the product contains." in page
    assert count(Product) == 0


def test_a_strength_without_a_substance_and_a_condition_twice_are_refused(client, login_as, substances, pregnancy):
    login_as("manager")
    data = product_form(composition=[("vitamin C", "active", ""), ("", "active", "5 mg")], **{
        "contraindications-0-condition": "pregnancy", "contraindications-0-severity": "block",
        "contraindications-1-condition": "pregnancy", "contraindications-1-severity": "caution"})
    page = text(post_form(client, "/catalogue/products/new", data))
    assert "Name the substance this strength belongs to." in page
    assert "pregnancy is listed twice." in page
    assert count(Product) == 0


def test_add_more_rows_keeps_what_was_typed_and_saves_nothing(client, login_as, substances):
    login_as("manager")
    data = product_form(composition=[("vitamin C", "active", "20%")], add_rows="Add more rows")
    response = post_form(client, "/catalogue/products/new", data)
    page = response.get_data(as_text=True)
    assert 'name="composition-5-substance"' in page and 'name="composition-6-substance"' not in page
    assert 'value="vitamin C"' in page and 'value="20%"' in page
    assert "Nothing was saved" not in page and count(Product) == 0


def test_manager_edits_the_composition(client, login_as, substances, make_product):
    product = make_product("HA 1.5% 2 mL", composition=[("sodium hyaluronate", "active"),
                                                        ("benzyl alcohol", "excipient")])
    login_as("manager")
    form = text(client.get(f"/catalogue/products/{product.id}/edit"))
    assert "Edit HA 1.5% 2 mL" in form
    data = product_form("HA 1.5% 2 mL", [("hyaluronic acid", "active", "15 mg/mL"),
                                         ("sodium chloride", "excipient", "0.9%")], category="hyaluronic acid")
    page = text(post_form(client, f"/catalogue/products/{product.id}/edit", data))
    assert "Product HA 1.5% 2 mL saved." in page
    db.session.refresh(product)
    assert [(c.substance.name, c.role, c.strength) for c in product.composition] == [
        ("sodium hyaluronate", "active", "15 mg/mL"), ("sodium chloride", "excipient", "0.9%")]
    assert "benzyl alcohol" not in page


def test_the_edit_form_starts_with_the_product_as_it_is(client, login_as, make_product):
    product = make_product("Lido HA", composition=[("sodium hyaluronate", "active"), ("lidocaine", "excipient")],
                           gtin=VALID_GTIN, reorder_level="4")
    login_as("manager")
    page = client.get(f"/catalogue/products/{product.id}/edit").get_data(as_text=True)
    assert 'value="Lido HA"' in page and f'value="0{VALID_GTIN}"' in page and 'value="4"' in page
    assert re.search(r'name="composition-1-role"[^>]*>\s*<option value="active">Active</option>\s*'
                     r'<option selected value="excipient">', page)
    assert 'name="composition-4-substance"' in page  # three blank rows to fill


def test_practitioner_browses_products_but_may_not_add_or_edit(client, login_as, make_product):
    product = make_product("HA 1% 1 mL")
    login_as("practitioner")
    listing = text(client.get("/catalogue/products"))
    assert "HA 1% 1 mL" in listing and "New product" not in listing
    page = text(client.get(f"/catalogue/products/{product.id}"))
    assert "Edit product" not in page and "Retire product" not in page
    refused = client.get("/catalogue/products/new")
    assert refused.status_code == 403 and "may not edit the catalogue" in text(refused)
    assert client.get(f"/catalogue/products/{product.id}/edit").status_code == 403
    token = csrf_token(client, "/catalogue/products")
    retire = client.post(f"/catalogue/products/{product.id}/retire", data={"retired": "1", "csrf_token": token})
    assert retire.status_code == 403 and not product.retired


def test_the_list_shows_on_hand_totals(client, login_as, make_product, make_lot):
    login_as("practitioner")
    ha = make_product("HA 1% 1 mL", unit_size="1", reorder_level="20")
    make_lot(ha, quantity="10")
    make_lot(ha, quantity="2.5")
    make_product("Empty shelf 2 mL")
    page = text(client.get("/catalogue/products"))
    assert "HA 1% 1 mL" in page and "12.5 mL below reorder level in 2 lots" in page
    assert "0 mL no stock" in page


def test_search_by_name_manufacturer_gtin_and_filter_by_category(client, login_as, make_product):
    make_product("Vitamin C 20%", category="vitamin", manufacturer="Lumen Labs", gtin=VALID_GTIN)
    make_product("HA 1%", manufacturer="Aqua Derm")
    login_as("manager")
    assert "HA 1%" not in text(client.get("/catalogue/products?q=lumen"))
    assert "Vitamin C 20%" in text(client.get("/catalogue/products?q=333931"))
    by_category = text(client.get("/catalogue/products?category=hyaluronic+acid"))
    assert "HA 1%" in by_category and "Vitamin C 20%" not in by_category
    assert "No products match" in text(client.get("/catalogue/products?q=nothing-like-this"))


def test_retire_hides_a_product_until_shown_and_unretire_brings_it_back(client, login_as, make_product):
    product = make_product("Old HA")
    login_as("manager")
    token = csrf_token(client, f"/catalogue/products/{product.id}")
    page = text(client.post(f"/catalogue/products/{product.id}/retire",
                            data={"retired": "1", "csrf_token": token}, follow_redirects=True))
    assert "Old HA is retired" in page and product.retired
    assert "Old HA" not in text(client.get("/catalogue/products"))
    assert "Old HA retired" in text(client.get("/catalogue/products?retired=1"))
    page = text(client.post(f"/catalogue/products/{product.id}/retire",
                            data={"retired": "0", "csrf_token": token}, follow_redirects=True))
    assert "Old HA is back in use." in page and not product.retired


def test_product_page_lists_lots_with_their_state_and_totals(client, login_as, make_product, make_lot):
    login_as("practitioner")
    product = make_product("Glutathione 600 mg", unit_size="5")
    today = date.today()
    make_lot(product, lot_number="GOOD1", quantity="10", unit_cost="2", expiry=today + timedelta(days=300))
    make_lot(product, lot_number="SOON1", quantity="5", expiry=today + timedelta(days=10))
    make_lot(product, lot_number="OLD1", quantity="3", expiry=today - timedelta(days=2),
             received_on=today - timedelta(days=400))
    make_lot(product, lot_number="BAD1", quantity="4", status="recalled")
    page = text(client.get(f"/catalogue/products/{product.id}"))
    # 5 mL vials: counted in vials, the volume beside; the value in the clinic's currency (EUR by default)
    assert "On hand 4 vials + 2 mL · 22 mL" in page and "Usable today 3 vials · 15 mL" in page
    assert "Value €20.00" in page
    assert f"GOOD1 {today + timedelta(days=300):%Y-%m-%d}" in page
    assert "SOON1" in page and "Expires soon" in page and "Expired" in page and "Recalled" in page
    lot = product_lot(product, "GOOD1")
    html_page = client.get(f"/catalogue/products/{product.id}").get_data(as_text=True)
    # Lot numbers link to the lot's page once the stock pages provide one.
    linked = f'href="/stock/lots/{lot.id}"' in html_page
    assert linked == ("stock.lot" in client.application.view_functions)


def product_lot(product, number):
    from formulary.stock.models import Lot

    return db.session.scalar(select(Lot).where(Lot.product_id == product.id, Lot.lot_number == number))


def test_empty_product_list_invites_editors_to_add_one(client, login_as, make_user):
    login_as("manager")
    page = text(client.get("/catalogue/products"))
    assert "No products yet" in page and "Add the first product" in page
    assert client.get("/catalogue/products/999999").status_code == 404


def test_the_product_list_does_not_query_per_row(app, client, login_as, make_product, make_lot, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 50)
    login_as("manager")

    def statements_for_list(total: int) -> int:
        while count(Product) < total:
            product = make_product(composition=[("sodium hyaluronate", "active"), ("lidocaine", "excipient")])
            make_lot(product, quantity="3")
        db.session.commit()
        db.session.expunge_all()  # the page must load every row itself, not find it in the test's session
        statements = []

        def count_statement(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count_statement)
        try:
            response = client.get("/catalogue/products")
        finally:
            event.remove(db.engine, "before_cursor_execute", count_statement)
        assert response.status_code == 200
        assert response.get_data(as_text=True).count("in 1 lot<") == total
        return len(statements)

    five, twenty_five = statements_for_list(5), statements_for_list(25)
    assert five == twenty_five, f"{five} statements for 5 products, {twenty_five} for 25"
