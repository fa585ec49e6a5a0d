"""The demo clinic's suppliers, with lead times, and the products each sells in packs."""

from decimal import Decimal

from sqlalchemy import select

from formulary.catalogue.models import Product, Supplier
from formulary.extensions import db

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
    assigned = 0
    for name, lead, contact, email, phone, makers, minimum in SUPPLIERS:
        supplier = Supplier(name=name, lead_time_days=lead, contact_person=contact, email=email, phone=phone)
        db.session.add(supplier)
        for product in db.session.scalars(select(Product).where(Product.manufacturer.in_(makers))):
            product.supplier = supplier
            product.pack_size = product.unit_size * pack_units(product.unit_size)
            product.minimum_order_packs = minimum if minimum > 1 else None
            assigned += 1
    db.session.flush()
    return [f"Demo suppliers: {len(SUPPLIERS)} added, {assigned} products assigned with their packs."]
