"""No N+1 on the substances list, the cocktails list and a cocktail's page."""

from datetime import date, timedelta

from formulary.cocktails.recipes import ComponentLine, RecipeData, revise_cocktail
from formulary.extensions import db

TODAY = date.today()


def _substances(start, n, make_substance):
    for i in range(start, start + n):  # each with its own synonyms and group
        make_substance(f"perfsubstance {i:02d}", synonyms=[f"perfalias {i:02d}a", f"perfalias {i:02d}b"],
                       groups=[f"perfgroup {i:02d}"])
    db.session.commit()


def test_the_substances_list_costs_the_same_for_5_or_25_substances(app, client, login_as, count, make_substance,
                                                                    monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 50)
    login_as("manager")
    _substances(0, 5, make_substance)
    few = count("/catalogue/substances?q=perfsubstance")
    _substances(5, 20, make_substance)
    many = count("/catalogue/substances?q=perfsubstance")
    assert "perfsubstance 24" in client.get("/catalogue/substances?q=perfsubstance").get_data(as_text=True)
    assert many == few, f"{few} statements for 5 substances, {many} for 25"


def _cocktails(start, n, make_product, make_lot, make_cocktail):
    for i in range(start, start + n):  # a product each: a lazy load per row could not hide in the identity map
        product = make_product(f"Product {i:02d}", composition=[(f"substance {i}", "active")])
        make_lot(product)
        make_cocktail(f"Cocktail {i:02d}", [(product, "1")], goals=[f"goal {i % 3}"])
    db.session.commit()


def test_the_cocktails_list_costs_the_same_for_3_or_15_cocktails(
        client, login_as, count, make_product, make_lot, make_cocktail):
    login_as("practitioner")
    _cocktails(0, 3, make_product, make_lot, make_cocktail)
    few = count("/cocktails/")
    _cocktails(3, 12, make_product, make_lot, make_cocktail)
    many = count("/cocktails/")
    assert "Cocktail 14" in client.get("/cocktails/").get_data(as_text=True)
    assert many == few, f"{few} statements for 3 cocktails, {many} for 15"


def _cocktail(tag, n, make_product, make_lot, make_cocktail):
    """A cocktail of n products (n lots each) with n versions, each version one product longer."""
    products = []
    for i in range(n):
        product = make_product(f"{tag} product {i}", composition=[(f"{tag} substance {i}", "active")])
        for k in range(n):
            make_lot(product, lot_number=f"{tag}{i}-{k}", expiry=TODAY + timedelta(days=60 + 30 * k))
        products.append(product)
    cocktail = make_cocktail(f"{tag} cocktail", [(products[0], "1")])
    for version in range(2, n + 1):
        lines = [ComponentLine(p.id, "1") for p in products[:version]]
        revise_cocktail(cocktail, RecipeData(name=cocktail.name, goals=["hydration"], components=lines), actor=None)
    db.session.commit()
    return cocktail


def test_a_cocktail_page_costs_the_same_for_2_or_10_products_lots_and_versions(
        client, login_as, count, make_product, make_lot, make_cocktail):
    login_as("practitioner")
    small = _cocktail("Small", 2, make_product, make_lot, make_cocktail)
    large = _cocktail("Large", 10, make_product, make_lot, make_cocktail)
    few, many = count(f"/cocktails/{small.id}"), count(f"/cocktails/{large.id}")
    page = client.get(f"/cocktails/{large.id}").get_data(as_text=True)
    assert "Large product 9" in page and "Large substance 9" in page
    assert many == few, f"{few} statements for 2 of each, {many} for 10"
