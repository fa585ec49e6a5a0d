"""The demo clinic's suppliers, with lead times, and the products each sells in packs."""

from decimal import Decimal

from sqlalchemy import select

from formulary.catalogue.models import Product, Supplier
from formulary.extensions import db
from formulary.purchasing.orders import LineData, create_order, mark_sent

# (name, lead time in days, contact, e-mail, phone, the manufacturers it distributes, minimum packs)
SUPPLIERS = [
    ("MesoSupply GmbH", 5, "Jana Weber", "orders@mesosupply.example", "+49 30 5550 1200",
     ("Lumière Derm", "Aqualis Labs", "Gallica Bio", "Revitalis", "Nucleo Bio"), 1),
    ("PharmaDerm Direct", 10, "Luis Ortega", "pedidos@pharmaderm.example", "+34 91 555 0143",
     ("Nutriderm", "Cobalis", "Anestica", "Oligomed"), 1),
    ("Aesthetic Distribution Ltd", 21, "Priya Shah", "trade@aesthetic-distribution.example", "+44 20 7946 0321",
     ("Clarté Pharma", "Peptiva", "Tensiline", "Botanica Meso"), 2),
]


def pack_units(unit_size: Decimal) -> int:
    """Vials a box holds: ten of the small ones, five of 5 mL, one of anything bigger."""
    if unit_size <= 2:
        return 10
    return 5 if unit_size <= 5 else 1


def load() -> list[str]:
    """Add the demo suppliers and give their products a supplier, pack size and minimum order (once)."""
    if db.session.scalar(select(Supplier.id).limit(1)) is not None:
        return ["Demo suppliers already there."]
    assigned, first = 0, None
    for name, lead, contact, email, phone, makers, minimum in SUPPLIERS:
        supplier = Supplier(name=name, lead_time_days=lead, contact_person=contact, email=email, phone=phone)
        db.session.add(supplier)
        first = first or supplier
        for product in db.session.scalars(select(Product).where(Product.manufacturer.in_(makers))):
            product.supplier = supplier
            product.pack_size = product.unit_size * pack_units(product.unit_size)
            product.minimum_order_packs = minimum if minimum > 1 else None
            assigned += 1
    db.session.flush()
    # One order already sent and waiting for its delivery, so the orders page has something to show.
    assert first is not None
    sold = sorted(first.products, key=lambda product: product.name)[:2]
    mark_sent(create_order(first, [LineData(product.id, 2) for product in sold], actor=None), "e-mailed", actor=None)
    return [f"Demo suppliers: {len(SUPPLIERS)} added, {assigned} products assigned with their packs, "
            "1 order sent."]
