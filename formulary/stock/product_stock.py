"""A product's stock as the catalogue's pages show it: on-hand totals, its lots and each lot's state."""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from formulary.catalogue.models import Product
from formulary.extensions import db
from formulary.stock.draws import draw_rule, lot_stock
from formulary.stock.fefo import lot_unusable_reason
from formulary.stock.models import Lot
from formulary.vocabulary import LotDisplayStatus, LotStatus

ZERO = Decimal(0)
# The states whose lots FEFO may still draw.
USABLE_STATES = ("Available", "Expires soon")


def on_hand_totals(product_ids) -> dict[int, tuple[Decimal, int]]:
    """On hand summed over each product's lots, with the number of lots holding stock: one query."""
    product_ids = list(product_ids)
    if not product_ids:
        return {}
    query = (
        select(Lot.product_id, func.coalesce(func.sum(Lot.on_hand), 0),
               func.count(Lot.id).filter(Lot.on_hand > 0))
        .where(Lot.product_id.in_(product_ids))
        .group_by(Lot.product_id)
    )
    return {product_id: (Decimal(total), count) for product_id, total, count in db.session.execute(query)}


def product_lots(product: Product) -> list[Lot]:
    """A product's lots, those holding stock first, then by expiry."""
    query = select(Lot).where(Lot.product_id == product.id)
    return list(db.session.scalars(query.order_by((Lot.on_hand > 0).desc(), Lot.expiry, Lot.id)))


def lot_state(lot: Lot, product: Product, today: date, warning_days: int) -> tuple[str, str]:
    """A lot's state as a badge (label, Bootstrap colour): status first, then its dates."""
    reason = lot_unusable_reason(lot_stock(lot), draw_rule(product, today))
    if reason in (LotStatus.RECALLED, LotStatus.QUARANTINED):
        return reason.capitalize(), "danger" if reason == LotStatus.RECALLED else "warning"
    if lot.on_hand <= 0:
        return "Used up", "light"
    if lot.expiry < today:
        return "Expired", "danger"
    if reason == LotDisplayStatus.EXPIRED:
        return "Within expiry margin", "danger"
    if lot.expiry <= today + timedelta(days=warning_days):
        return "Expires soon", "warning"
    return "Available", "success"


def product_stock(product: Product, today: date, warning_days: int) -> tuple[list, dict]:
    """A product's lots, each with its state (lot, label, colour), and its totals: on hand, usable, value."""
    lots = [(lot, *lot_state(lot, product, today, warning_days)) for lot in product_lots(product)]
    values = [lot.value for lot, _, _ in lots if lot.value is not None and lot.on_hand > 0]
    totals = {
        "on_hand": sum((lot.on_hand for lot, _, _ in lots), ZERO),
        "usable": sum((lot.on_hand for lot, label, _ in lots if label in USABLE_STATES), ZERO),
        "value": sum(values, ZERO) if values else None,
    }
    return lots, totals
