"""Receiving by scan: a box of a lot already in stock is more of that lot, not a new lot."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from formulary.catalogue.models import Product
from formulary.extensions import db
from formulary.stock.models import Lot


def lot_already_received(product: Product | int, lot_number: str | None, expiry: date | None) -> Lot | None:
    """The lot with this product, lot number and expiry, when one is already in the ledger.

    The same lot number with another expiry is not the same lot: receiving it stays refused
    (DuplicateLot), since a lot number is unique per product.
    """
    if not lot_number or expiry is None:
        return None
    product_id = product if isinstance(product, int) else product.id
    return db.session.scalar(select(Lot).where(
        Lot.product_id == product_id, Lot.lot_number == lot_number.strip(), Lot.expiry == expiry))
