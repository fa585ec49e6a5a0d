"""No N+1: the suggested order and an order's page cost the same statements for one product as for five."""

from datetime import date, timedelta

from formulary.extensions import db
from formulary.purchasing.orders import LineData, create_order, mark_sent
from formulary.purchasing.receipts import receive_line
from tests.performance.conftest import statements_for

TODAY = date.today()


def stocked(make_product, make_lot, make_cocktail, book, supplier, count):
    products = []
    for index in range(count):
        product = make_product(f"Serum {supplier.id}-{index}", supplier_id=supplier.id, pack_size="10",
                               reorder_level="5")
        make_lot(product, quantity="3", received_on=TODAY - timedelta(days=90))
        make_lot(product, quantity="1", received_on=TODAY - timedelta(days=30), unit_cost="2")
        book(make_cocktail(f"Cocktail {supplier.id}-{index}", [(product, "2")]), TODAY + timedelta(days=2))
        products.append(product)
    return products


def test_the_suggested_order_page_does_not_grow_with_its_products(client, login_as, make_supplier, make_product,
                                                                  make_lot, make_cocktail, book):
    login_as("manager")
    small, large = make_supplier(), make_supplier()
    stocked(make_product, make_lot, make_cocktail, book, small, 1)
    stocked(make_product, make_lot, make_cocktail, book, large, 5)
    db.session.commit()
    client.get(f"/orders/suppliers/{small.id}/suggested")  # warm-up
    assert statements_for(client, f"/orders/suppliers/{small.id}/suggested") == \
        statements_for(client, f"/orders/suppliers/{large.id}/suggested")


def test_an_order_page_does_not_grow_with_its_lines(client, login_as, make_supplier, make_product, make_lot,
                                                    make_cocktail, book):
    login_as("manager")
    ids = []
    for count in (1, 5):
        supplier = make_supplier()
        products = stocked(make_product, make_lot, make_cocktail, book, supplier, count)
        order = create_order(supplier, [LineData(p.id, 1) for p in products], actor=None)
        mark_sent(order, "printed", actor=None)
        for line in order.lines:
            receive_line(line, lot_number=f"R{line.id}", expiry=TODAY + timedelta(days=300), quantity="4",
                         received_on=TODAY, actor=None)
        ids.append(order.id)
    db.session.commit()
    client.get(f"/orders/{ids[0]}")
    assert statements_for(client, f"/orders/{ids[0]}") == statements_for(client, f"/orders/{ids[1]}")
