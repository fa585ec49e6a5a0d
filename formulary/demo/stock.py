"""The demo clinic's stock: about 150 lots, dated relative to the day the demo is loaded.

A few are expired but still on the shelf, some expire within the month, one is
quarantined and one recalled, and some products sit under their reorder level, so that
every dashboard alert has something to show.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from formulary.catalogue.models import Product
from formulary.extensions import db
from formulary.stock.ledger import receive, set_status, waste
from formulary.stock.models import Lot
from formulary.vocabulary import LotStatus

SUPPLIERS = ["MesoSupply GmbH", "Aesthetic Distribution Ltd", "PharmaDerm Direct", "Clinica Wholesale"]
# Days from today to expiry for the lots of each product, cycled through the catalogue;
# negative means already expired.
EXPIRY_PATTERNS = [
    [-20, 150, 420, 600],
    [12, 240, 540],
    [25, 300, 500, 720],
    [90, 400, 610],
    [-45, 200, 380],
    [60, 330, 700, 820],
    [180, 480, 650],
    [18, 270, 520, 760],
]
# Products left short, so the "under reorder level" alert has rows.
SHORT = {"Vitamin K1 10 mg/mL 1 mL", "Procaine 1% 2 mL", "Growth Factor Oligopeptide 2 mL"}
QUARANTINED = ("Vitamin C 20% 5 mL", "cloudy solution in two vials; awaiting the supplier's answer")
RECALLED = ("Hydra Pure HA 1% 2 mL", "manufacturer's recall notice MR-2026-114 (particles in syringe)")


def _lot_number(rng: random.Random, expiry: date, taken: set[str]) -> str:
    """A plausible lot number, unique for the product (the draw is the same whatever the day)."""
    while True:
        number = f"{expiry:%y}{rng.choice('ABCDEFGHJK')}{rng.randint(100, 999)}"
        if number not in taken:
            taken.add(number)
            return number


def load(today: date) -> list[str]:
    """Receive the demo lots, unless demo stock is already there."""
    if db.session.scalar(select(func.count()).select_from(Lot)):
        return ["Demo stock already there."]
    rng = random.Random(2026)  # the same demo every time
    products = db.session.scalars(select(Product).order_by(Product.id)).all()
    lots = []
    for index, product in enumerate(products):
        pattern = EXPIRY_PATTERNS[index % len(EXPIRY_PATTERNS)]
        taken: set[str] = set()
        for days in pattern:
            expiry = today + timedelta(days=days)
            received = min(today - timedelta(days=rng.randint(5, 60)), expiry - timedelta(days=300))
            units = rng.randint(1, 3) if product.name in SHORT else rng.randint(4, 20)
            cost_per_ml = Decimal(rng.randint(150, 2400)) / 100 / product.unit_size
            lot = receive(
                product, lot_number=_lot_number(rng, expiry, taken), expiry=expiry, received_on=received,
                quantity=product.unit_size * units, actor=None, supplier=rng.choice(SUPPLIERS),
                unit_cost=cost_per_ml.quantize(Decimal("0.0001")), reason="demo delivery",
            )
            lots.append(lot)
    by_product: dict[str, list[Lot]] = {}
    for lot in lots:
        by_product.setdefault(lot.product.name, []).append(lot)
    name, reason = QUARANTINED
    set_status(by_product[name][-1], LotStatus.QUARANTINED, actor=None, reason=reason)
    name, reason = RECALLED
    set_status(by_product[name][1], LotStatus.RECALLED, actor=None, reason=reason)
    # A little history: a vial broken here and there.
    for lot in lots[::17]:
        waste(lot, lot.product.unit_size, actor=None, reason="vial broken on opening")
    return [f"Demo stock: {len(lots)} lots received."]
