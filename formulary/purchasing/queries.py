"""What the purchasing pages read: orders with their lines, suppliers with counts, the last price paid."""

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from formulary.catalogue.models import Product, Supplier
from formulary.extensions import db
from formulary.purchasing.models import OrderLine, OrderReceipt, PurchaseOrder
from formulary.stock.models import Lot


def load_order(order_id: int) -> PurchaseOrder | None:
    """An order with its supplier, lines, products and receipts with their lots, in a fixed number of queries."""
    return db.session.scalar(
        select(PurchaseOrder).where(PurchaseOrder.id == order_id).options(
            selectinload(PurchaseOrder.supplier),
            selectinload(PurchaseOrder.lines).selectinload(OrderLine.product),
            selectinload(PurchaseOrder.lines).selectinload(OrderLine.receipts).selectinload(OrderReceipt.lot),
        )
    )


def last_unit_costs(product_ids) -> dict[int, Decimal]:
    """The unit cost of each product's latest lot that has one: the price an order is estimated at."""
    latest = (select(Lot.product_id, func.max(Lot.id).label("lot_id"))
              .where(Lot.product_id.in_(list(product_ids)), Lot.unit_cost.is_not(None))
              .group_by(Lot.product_id).subquery())
    rows = db.session.execute(select(Lot.product_id, Lot.unit_cost).join(latest, latest.c.lot_id == Lot.id))
    return {product_id: cost for product_id, cost in rows if cost is not None}


def supplier_rows() -> list[tuple[Supplier, int, int]]:
    """Every supplier by name, with how many active products it sells and how many orders are open."""
    products = (select(func.count(Product.id)).where(Product.supplier_id == Supplier.id, Product.retired.is_(False))
                .correlate(Supplier).scalar_subquery())
    open_orders = (select(func.count(PurchaseOrder.id))
                   .where(PurchaseOrder.supplier_id == Supplier.id, PurchaseOrder.status != "received")
                   .correlate(Supplier).scalar_subquery())
    return [(s, n, o) for s, n, o in db.session.execute(
        select(Supplier, products, open_orders).order_by(func.lower(Supplier.name)))]


def order_page(status: str | None, page: int, per_page: int):
    """One page of orders, newest first, optionally of one status."""
    query = select(PurchaseOrder).options(selectinload(PurchaseOrder.supplier),
                                          selectinload(PurchaseOrder.lines)).order_by(PurchaseOrder.id.desc())
    if status:
        query = query.where(PurchaseOrder.status == status)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
