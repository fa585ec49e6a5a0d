"""Stock in the units people count with the volume beside, and money in the clinic's currency."""

from decimal import Decimal as D

import pytest

from formulary.money import fmt_money, round_money
from formulary.quantity import count_size, fmt_stock, package_name


@pytest.mark.parametrize(("quantity", "unit", "size", "package", "shown"), [
    ("24", "mL", "2", "vial", "12 vials · 24 mL"),
    ("23", "mL", "2", "vial", "11 vials + 1 mL · 23 mL"),
    ("2", "mL", "2", "ampoule", "1 ampoule · 2 mL"),
    ("0.5", "mL", "2", "vial", "0.5 mL"),  # less than one unit: the volume says it all
    ("0", "mL", "2", "syringe", "0 syringes · 0 mL"),
    ("30", "mL", "10", "box", "3 boxes · 30 mL"),
    ("7.5", "ml", "2.5", "cartridge", "3 cartridges · 7.5 ml"),
    ("12", "pair", "1", "piece", "12 pair"),  # stocked in units already: as it is
    ("12", "mL", None, "vial", "12 mL"),
])
def test_stock_is_shown_in_units_with_the_volume_beside(quantity, unit, size, package, shown):
    assert fmt_stock(D(quantity), unit, None if size is None else D(size), package) == shown


def test_package_names_and_units_to_volume():
    assert (package_name("vial", 1), package_name("vial", 2), package_name("box", 0)) == ("vial", "vials", "boxes")
    # One vial of 2.5 mL counts for 2.5 mL; stock kept in vials counts one a vial, whatever a vial holds.
    assert (count_size("mL", D("2.5"), "vial"), count_size("vials", D("2"), "vial")) == (D("2.5"), D(1))


@pytest.mark.parametrize(("amount", "code", "shown"), [
    (D("12.5"), "EUR", "€12.50"),
    (D("1234.005"), "EUR", "€1,234.01"),  # half up, as a till rounds
    (D("1200.4"), "JPY", "¥1,200"),  # no minor unit
    (D("8"), "CHF", "CHF 8.00"),  # a symbol in letters stands apart
    (D("-3"), "USD", "−$3.00"),
    (D("1.2345"), "KWD", "KWD 1.235"),  # three decimals
    (D("5"), "XYZ", "XYZ 5.00"),  # an unknown code shows as itself
    (None, "EUR", "—"),
])
def test_money_has_the_currencys_symbol_and_decimals(amount, code, shown):
    assert fmt_money(amount, code) == shown


def test_rounding_follows_the_minor_unit():
    assert (round_money(D("2.675"), "EUR"), round_money(D("2.5"), "JPY")) == (D("2.68"), D("3"))


def test_pages_show_money_in_the_configured_currency(app, client, login_as, make_product, make_lot):
    from formulary.extensions import db

    lot = make_lot(make_product("Serum 2 mL"), quantity="4", unit_cost="1250")
    db.session.commit()
    login_as("manager")
    app.config["CURRENCY"] = "JPY"
    try:
        html = client.get(f"/stock/lots/{lot.id}").get_data(as_text=True)
        assert "¥1,250 per mL" in html and "¥5,000" in html
        assert "¥1,250" in client.get("/stock").get_data(as_text=True)
    finally:
        app.config["CURRENCY"] = "EUR"
