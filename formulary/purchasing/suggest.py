"""The suggested order read from the database: each product's facts, lots, bookings and recent use, then the core.

`suggested_order` is the one entry point: the suggested-order page, the API and the daily digest call it.
A bounded number of queries whatever the number of products: products with their suppliers, lots with
stock, the lots' shelf lives, the booked sessions and their recipes, and recent use summed in SQL.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select

from formulary.catalogue.models import Product, Supplier
from formulary.cocktails.queries import recipe_lines
from formulary.extensions import db
from formulary.purchasing.forecast import (
    ProductFacts,
    RecentUse,
    SuggestedLine,
    Window,
    suggest_line,
    typical_shelf_life,
)
from formulary.stock.draws import lot_stocks
from formulary.stock.models import Lot, StockMovement
from formulary.treatments.models import TreatmentSession
from formulary.vocabulary import OPEN_SESSION_STATUSES, MovementKind

REVIEW_DAYS = 7
HISTORY_WEEKS = 8


def _products(supplier_id: int | None, product_ids) -> list[tuple[Product, int]]:
    """The products to suggest for, each with its supplier's lead time (0 without a supplier)."""
    query = (select(Product, func.coalesce(Supplier.lead_time_days, 0))
             .outerjoin(Supplier, Supplier.id == Product.supplier_id)
             .where(Product.retired.is_(False)).order_by(Product.name))
    if supplier_id is not None:
        query = query.where(Product.supplier_id == supplier_id)
    if product_ids is not None:
        query = query.where(Product.id.in_(list(product_ids)))
    return [(product, int(lead)) for product, lead in db.session.execute(query)]


def _booked(product_ids: set[int], start: date, end: date) -> dict[int, list[tuple[date, Decimal]]]:
    """Each product's need per open (planned or checked) session from start to end, as (day, amount)."""
    rows = db.session.execute(
        select(TreatmentSession.scheduled_for, TreatmentSession.cocktail_version_id)
        .where(TreatmentSession.status.in_(OPEN_SESSION_STATUSES),
               TreatmentSession.scheduled_for >= start, TreatmentSession.scheduled_for <= end)
    ).all()
    recipes = recipe_lines({version_id for _day, version_id in rows})
    booked: defaultdict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for scheduled, version_id in rows:
        # A session booked at a time of day is still needed on its day.
        day = scheduled.date() if isinstance(scheduled, datetime) else scheduled
        for line in recipes.get(version_id, ()):
            if line.product_id in product_ids:
                booked[line.product_id].append((day, line.amount))
    return booked


def _recent_use(product_ids: set[int], today: date, weeks: int) -> dict[int, Decimal]:
    """What sessions administered and wasted of each product over the last weeks (summed in SQL).

    Waste counts only when a session made it (the rest of an opened single-use unit): stock thrown
    away because it expired or broke is not demand.
    """
    since = datetime.combine(today - timedelta(weeks=weeks), time(), tzinfo=UTC)
    rows = db.session.execute(
        select(Lot.product_id, func.sum(-StockMovement.quantity))
        .join(Lot, Lot.id == StockMovement.lot_id)
        .where(Lot.product_id.in_(product_ids), StockMovement.at >= since,
               or_(StockMovement.kind == MovementKind.ADMINISTER,
                   (StockMovement.kind == MovementKind.WASTE) & StockMovement.session_id.is_not(None)))
        .group_by(Lot.product_id)
    )
    return {product_id: Decimal(str(total or 0)) for product_id, total in rows}


def _lot_dates(product_ids: set[int]) -> dict[int, list[tuple[date, date]]]:
    """Each product's lots as (received on, expiry), emptied ones included: how long its deliveries keep."""
    dates: defaultdict[int, list[tuple[date, date]]] = defaultdict(list)
    for product_id, received, expiry in db.session.execute(
        select(Lot.product_id, Lot.received_on, Lot.expiry).where(Lot.product_id.in_(product_ids))
    ):
        dates[product_id].append((received, expiry))
    return dates


def product_facts(product: Product) -> ProductFacts:
    """What the core needs of a catalogue product."""
    return ProductFacts(
        product_id=product.id, name=product.name, unit=product.unit, single_use=product.single_use,
        unit_size=product.unit_size, margin_days=product.expiry_margin_days, pack_size=product.pack_size,
        minimum_packs=product.minimum_order_packs, reorder_level=product.reorder_level,
    )


def suggested_order(today: date, *, supplier_id: int | None = None, horizon_days: int | None = None,
                    review_days: int = REVIEW_DAYS, history_weeks: int = HISTORY_WEEKS,
                    product_ids=None) -> list[SuggestedLine]:
    """The suggested order line of every active product (of one supplier, or of the products named), by name.

    Lines with nothing to order are included (suggested_packs 0): their reason says why.
    """
    products = _products(supplier_id, product_ids)
    if not products:
        return []
    ids = {product.id for product, _lead in products}
    windows = {product.id: Window(today, lead, review_days, horizon_days) for product, lead in products}
    booked = _booked(ids, today, max(window.end for window in windows.values()))
    lots = lot_stocks(ids, expiring_from=today)
    used = _recent_use(ids, today, history_weeks)
    lot_dates = _lot_dates(ids)
    lines = []
    for product, _lead in products:
        dates = lot_dates.get(product.id, [])
        # A product first received three weeks ago has three weeks of use, not eight.
        first = min((received for received, _expiry in dates), default=None)
        weeks = 0 if first is None else max(1, min(history_weeks, -(-(today - first).days // 7)))
        use = RecentUse(used.get(product.id, Decimal(0)), weeks)
        lines.append(suggest_line(product_facts(product), lots.get(product.id, ()), booked.get(product.id, []),
                                  use, windows[product.id], typical_shelf_life(dates)))
    return lines
