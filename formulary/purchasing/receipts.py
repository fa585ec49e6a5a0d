"""Receiving against an order: each delivered lot goes through the ledger, and is booked against its line.

The order's status follows what arrived: partly received until every line has at least what it
ordered, then received. Short and over deliveries are what `line_balance` shows.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from formulary.audit.log import record
from formulary.extensions import db
from formulary.purchasing.errors import OrderRefused
from formulary.purchasing.models import OrderLine, OrderReceipt, PurchaseOrder
from formulary.quantity import fmt_quantity
from formulary.stock import ledger
from formulary.stock.errors import InvalidStockInput
from formulary.stock.models import Lot, StockImport, StockMovement
from formulary.stock.scan import ScanError, parse_scan
from formulary.vocabulary import MovementKind, OrderStatus

RECEIVABLE = (OrderStatus.SENT, OrderStatus.PARTLY_RECEIVED, OrderStatus.RECEIVED)


@dataclass(frozen=True)
class LineBalance:
    """What a line ordered and what came: short (positive), over (negative) or exact (zero)."""

    ordered: Decimal
    received: Decimal

    @property
    def short(self) -> Decimal:
        """How much is still to come."""
        return max(self.ordered - self.received, Decimal(0))

    @property
    def over(self) -> Decimal:
        """How much more came than was ordered."""
        return max(self.received - self.ordered, Decimal(0))


def line_balance(line: OrderLine) -> LineBalance:
    """The line's ordered and received quantities."""
    return LineBalance(line.quantity, line.received)


def settle_status(order: PurchaseOrder) -> None:
    """Received when every line has what it ordered, partly received when anything came, else as sent."""
    if order.status == OrderStatus.DRAFT:
        return
    balances = [line_balance(line) for line in order.lines]
    if all(balance.short == 0 for balance in balances):
        order.status = OrderStatus.RECEIVED
    elif any(balance.received > 0 for balance in balances):
        order.status = OrderStatus.PARTLY_RECEIVED
    else:
        order.status = OrderStatus.SENT


def _receivable(order: PurchaseOrder) -> None:
    if order.status not in RECEIVABLE:
        raise OrderRefused(f"Order {order.reference} is a draft: send it before receiving against it.")


def receive_line(line: OrderLine, *, lot_number: str, expiry: date, quantity, received_on: date, actor,
                 unit_cost=None) -> OrderReceipt:
    """Receive a lot against an order line through the ledger: a new lot, or more of the same lot and expiry."""
    order = line.order
    _receivable(order)
    product = line.product
    number = (lot_number or "").strip()
    existing = db.session.scalar(select(Lot).where(Lot.product_id == product.id, Lot.lot_number == number))
    reason = f"order {order.reference}"
    if existing is not None and existing.expiry == expiry:
        movement = ledger.receive_more(existing, quantity, actor=actor, reason=reason)
        lot = existing
    elif existing is not None:
        raise InvalidStockInput(
            f"{product.name} already has a lot {number} expiring {existing.expiry:%Y-%m-%d}, not "
            f"{expiry:%Y-%m-%d}: check the expiry on the box.", "expiry")
    else:
        lot = ledger.receive(product, lot_number=number, expiry=expiry, quantity=quantity, received_on=received_on,
                             actor=actor, supplier=order.supplier.name, unit_cost=unit_cost, reason=reason)
        db.session.flush()
        movement = lot.movements[-1]
    receipt = OrderReceipt(line=line, lot=lot, movement=movement, quantity=movement.quantity,
                           user_id=actor.id if actor is not None else None)
    db.session.add(receipt)
    db.session.flush()
    settle_status(order)
    record("order.receive", actor=actor, target=order,
           detail=f"{order.reference}: {product.name} lot {number} +{fmt_quantity(movement.quantity)}")
    return receipt


def receive_import(order: PurchaseOrder, stock_import: StockImport, *, actor) -> list[str]:
    """Book a delivery import's receipts against the order's lines, by product; what the order lacks is listed.

    The hook a delivery import naming `order_id` calls after it is applied, in the same transaction.
    """
    _receivable(order)
    lines = {line.product_id: line for line in order.lines}
    not_ordered = []
    movements = db.session.scalars(
        select(StockMovement).join(Lot).where(StockMovement.import_id == stock_import.id,
                                              StockMovement.kind == MovementKind.RECEIVE)
        .order_by(StockMovement.id)
    ).all()
    for movement in movements:
        line = lines.get(movement.lot.product_id)
        if line is None:
            not_ordered.append(f"{movement.lot.product.name} lot {movement.lot.lot_number} is not on {order.reference}")
            continue
        db.session.add(OrderReceipt(line=line, lot=movement.lot, movement=movement, quantity=movement.quantity,
                                    user_id=actor.id if actor is not None else None, import_id=stock_import.id))
    db.session.flush()
    db.session.expire(order)
    settle_status(order)
    record("order.receive", actor=actor, target=order,
           detail=f"{order.reference}: delivery import #{stock_import.id}, {len(movements)} lot(s)")
    return not_ordered


def receive_scan(order: PurchaseOrder, scan: str, *, quantity, received_on: date, actor) -> OrderReceipt:
    """Receive a scanned box against the order line of its GTIN: lot and expiry from the barcode.

    A blank quantity means one pack of the line. Anything the scan cannot settle is refused, naming it.
    """
    _receivable(order)
    try:
        result = parse_scan(scan)
    except ScanError as error:
        raise InvalidStockInput(f"{error}.", "scan") from None
    line = next((line for line in order.lines if line.product.gtin == result.gtin), None)
    if line is None:
        raise InvalidStockInput(f"GTIN {result.gtin} is not on {order.reference}: receive it from Stock, or add "
                                "the GTIN to the product in the catalogue.", "scan")
    if not result.lot_number or not result.expiry:
        missing = " and ".join(word for word, value in (("lot", result.lot_number), ("expiry", result.expiry))
                               if not value)
        raise InvalidStockInput(f"The scan of {line.product.name} has no {missing}: type them in its line below.",
                                "scan")
    return receive_line(line, lot_number=result.lot_number, expiry=result.expiry,
                        quantity=line.pack_size if quantity in (None, "") else quantity,
                        received_on=received_on, actor=actor)
