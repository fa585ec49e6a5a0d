"""The lot list: filters, sort, pagination, badges, and one query for the page whatever its size."""

from datetime import date, timedelta

import pytest
from sqlalchemy import event

from formulary.extensions import db

TODAY = date.today()


def lot_numbers(html: str, numbers) -> list[str]:
    """The given lot numbers in the order the page shows them."""
    found = [(html.find(f">{n}</a>"), n) for n in numbers]
    return [n for position, n in sorted(found) if position >= 0]


@pytest.fixture
def stock(make_product, make_lot):
    """Five lots of two products in two categories, with every display status."""
    ha = make_product("Hyaluronic Acid 1% 2 mL", category="hyaluronic acid")
    vit = make_product("Vitamin C 20% 5 mL", category="vitamin", composition=[("ascorbic acid", "active")])
    lots = {
        "A-OK": make_lot(ha, lot_number="A-OK", quantity="10", expiry=TODAY + timedelta(days=200),
                         received_on=TODAY - timedelta(days=5), supplier="MesoSupply", unit_cost="4.50"),
        "A-SOON": make_lot(ha, lot_number="A-SOON", quantity="3", expiry=TODAY + timedelta(days=10),
                           received_on=TODAY - timedelta(days=50)),
        "A-OLD": make_lot(ha, lot_number="A-OLD", quantity="1.5", expiry=TODAY - timedelta(days=1),
                          received_on=TODAY - timedelta(days=400)),
        "V-HOLD": make_lot(vit, lot_number="V-HOLD", quantity="7", expiry=TODAY + timedelta(days=90),
                           received_on=TODAY - timedelta(days=20), status="quarantined"),
        "V-BAD": make_lot(vit, lot_number="V-BAD", quantity="2", expiry=TODAY + timedelta(days=300),
                          received_on=TODAY - timedelta(days=10), status="recalled"),
    }
    return ha, vit, lots


ALL = ["A-OK", "A-SOON", "A-OLD", "V-HOLD", "V-BAD"]


def test_lists_every_lot_with_its_facts_and_status(client, login_as, stock):
    login_as("practitioner")
    html = client.get("/stock").get_data(as_text=True)
    assert lot_numbers(html, ALL) == ["A-OLD", "A-SOON", "V-HOLD", "A-OK", "V-BAD"]  # by expiry
    for badge in ("Available", "Expires soon", "Expired", "Quarantined", "Recalled"):
        assert f">{badge}</span>" in html
    assert "1.5 mL" in html and "4.50" in html and "MesoSupply" in html
    assert (TODAY + timedelta(days=200)).isoformat() in html
    assert "Receive stock" not in html  # a practitioner may look, not receive


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=expired", ["A-OLD"]),
        ("status=expiring", ["A-SOON"]),
        ("status=expiring&within=100", ["A-SOON"]),  # V-HOLD (90 days) is quarantined
        ("status=expiring&within=250", ["A-SOON", "A-OK"]),
        ("status=available", ["A-OK"]),
        ("status=quarantined", ["V-HOLD"]),
        ("status=recalled", ["V-BAD"]),
        ("category=vitamin", ["V-HOLD", "V-BAD"]),
        ("q=soon", ["A-SOON"]),
        ("q=vitamin+c", ["V-HOLD", "V-BAD"]),
        ("q=_", []),  # a LIKE wildcard is searched for literally
        ("q=1%25", ["A-OLD", "A-SOON", "A-OK"]),  # "1%" is in the name
    ],
)
def test_filters(client, login_as, stock, query, expected):
    login_as("manager")
    html = client.get(f"/stock?{query}").get_data(as_text=True)
    assert lot_numbers(html, ALL) == expected
    if not expected:
        assert "No lots match" in html


def test_filter_by_product(client, login_as, stock):
    _ha, vit, _lots = stock
    login_as("manager")
    html = client.get(f"/stock?product_id={vit.id}").get_data(as_text=True)
    assert lot_numbers(html, ALL) == ["V-HOLD", "V-BAD"]
    assert 'name="product" value="Vitamin C 20% 5 mL"' in html  # the link's product, named in the filter


def test_filter_by_a_product_name_typed_in_any_case(client, login_as, stock):
    login_as("manager")
    html = client.get("/stock?product=vitamin+c+20%25+5+ML").get_data(as_text=True)
    assert lot_numbers(html, ALL) == ["V-HOLD", "V-BAD"]
    assert 'name="product" value="Vitamin C 20% 5 mL"' in html
    sorted_link = client.get("/stock?product=Vitamin+C+20%25+5+mL&sort=on_hand").get_data(as_text=True)
    assert f'href="/stock?product_id={stock[1].id}&amp;sort=on_hand&amp;dir=desc"' in sorted_link


def test_an_unknown_product_name_is_reported_and_ignored(client, login_as, stock):
    login_as("manager")
    html = client.get("/stock?product=Vitamin").get_data(as_text=True)
    assert "No product is named &#39;Vitamin&#39;: pick one of the suggestions." in html
    assert lot_numbers(html, ALL) == ["A-OLD", "A-SOON", "V-HOLD", "A-OK", "V-BAD"]
    html = client.get("/stock?product_id=999999").get_data(as_text=True)
    assert "There is no product with id 999999." in html


def test_the_product_filter_suggests_names_as_they_are_typed(client, login_as, stock, make_product):
    make_product("Vitamin C 10% 2 mL (old)", category="vitamin").retired = True  # retired ones come last
    db.session.commit()
    login_as("practitioner")
    html = client.get("/stock").get_data(as_text=True)
    assert "<option" not in html.split('id="product"')[1].split("</datalist>")[0]  # no list of every product
    answer = client.get("/stock/product-suggestions?q=VITAMIN c")
    assert answer.status_code == 200
    assert [item["name"] for item in answer.json["items"]] == ["Vitamin C 20% 5 mL", "Vitamin C 10% 2 mL (old)"]
    assert client.get("/stock/product-suggestions?q=_").json["items"] == []  # a LIKE wildcard, taken literally
    assert client.get("/stock/product-suggestions?q=").json["items"] == []


def test_empty_lots_are_hidden_unless_asked_for(client, login_as, stock, make_user):
    from formulary.stock import ledger

    _ha, _vit, lots = stock
    ledger.waste(lots["A-OK"], "10", actor=make_user(), reason="broken")
    db.session.commit()
    login_as("manager")
    assert "A-OK" not in client.get("/stock").get_data(as_text=True)
    html = client.get("/stock?show_empty=1").get_data(as_text=True)
    assert lot_numbers(html, ALL) == ["A-OLD", "A-SOON", "V-HOLD", "A-OK", "V-BAD"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sort=expiry&dir=desc", ["V-BAD", "A-OK", "V-HOLD", "A-SOON", "A-OLD"]),
        ("sort=on_hand", ["A-OLD", "V-BAD", "A-SOON", "V-HOLD", "A-OK"]),
        ("sort=on_hand&dir=desc", ["A-OK", "V-HOLD", "A-SOON", "V-BAD", "A-OLD"]),
        ("sort=received", ["A-OLD", "A-SOON", "V-HOLD", "V-BAD", "A-OK"]),
        ("sort=product", ["A-OLD", "A-SOON", "A-OK", "V-HOLD", "V-BAD"]),
        ("sort=nonsense", ["A-OLD", "A-SOON", "V-HOLD", "A-OK", "V-BAD"]),
    ],
)
def test_sort(client, login_as, stock, query, expected):
    login_as("manager")
    assert lot_numbers(client.get(f"/stock?{query}").get_data(as_text=True), ALL) == expected


def test_column_headers_sort_and_keep_the_filters(client, login_as, stock):
    login_as("manager")
    html = client.get("/stock?category=vitamin&sort=on_hand").get_data(as_text=True)
    assert 'href="/stock?category=vitamin&amp;sort=on_hand&amp;dir=desc"' in html
    assert 'href="/stock?category=vitamin&amp;sort=expiry&amp;dir=asc"' in html


def test_bad_filter_values_are_reported_not_fatal(client, login_as, stock):
    login_as("manager")
    response = client.get("/stock?status=mouldy&within=soon&product_id=x")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Unknown status &#39;mouldy&#39;" in html and "Days must be a whole number" in html
    assert lot_numbers(html, ALL) == ["A-OLD", "A-SOON", "V-HOLD", "A-OK", "V-BAD"]


def test_pagination_keeps_the_filters(app, client, login_as, make_product, make_lot, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    product = make_product("Glutathione 600 mg", category="antioxidant")
    for day in range(5):
        make_lot(product, lot_number=f"G{day}", expiry=TODAY + timedelta(days=100 + day))
    make_lot(make_product("Other"), lot_number="OTHER", expiry=TODAY + timedelta(days=50))
    db.session.commit()
    login_as("manager")
    numbers = [f"G{day}" for day in range(5)] + ["OTHER"]
    first = client.get("/stock?category=antioxidant").get_data(as_text=True)
    assert lot_numbers(first, numbers) == ["G0", "G1"]
    assert "1–2 of 5" in first
    assert 'href="/stock?category=antioxidant&amp;page=2"' in first
    third = client.get("/stock?category=antioxidant&page=3").get_data(as_text=True)
    assert lot_numbers(third, numbers) == ["G4"]
    assert lot_numbers(client.get("/stock?category=antioxidant&page=9").get_data(as_text=True), numbers) == []


def test_empty_state_invites_a_manager_to_receive(client, login_as):
    login_as("manager")
    html = client.get("/stock").get_data(as_text=True)
    assert "No stock yet" in html and 'href="/stock/receive"' in html


def count_statements(client, url: str) -> int:
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert response.status_code == 200
    return len([s for s in statements if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))])


def test_the_page_costs_the_same_queries_for_5_or_30_lots(app, client, login_as, make_product, make_lot,
                                                           monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 50)
    for i in range(5):  # a product each, so that a lazy load per row could not hide in the identity map
        make_lot(make_product(f"Product {i}"), lot_number=f"FIVE{i}")
    db.session.commit()
    login_as("manager")
    client.get("/stock")  # warm up: the first request may load things once
    five = count_statements(client, "/stock")
    for i in range(25):
        make_lot(make_product(f"More {i}"), lot_number=f"MORE{i}")
    db.session.commit()
    thirty = count_statements(client, "/stock")
    assert five == thirty <= 6  # the user, the products for the filter, the count, the page
    assert "MORE24" in client.get("/stock").get_data(as_text=True)
