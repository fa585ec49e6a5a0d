"""Purchase orders: draft (by hand or from the suggestion), edit while a draft, send once, never edit again.

Plain functions that flush, never commit; the request commits once. Receiving is in receipts.py.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select

from formulary.audit.log import record
from formulary.catalogue.models import Product, Supplier
from formulary.extensions import db
from formulary.purchasing.errors import OrderRefused, PurchasingError
from formulary.purchasing.models import OrderLine, PurchaseOrder
from formulary.purchasing.suggest import suggested_order
from formulary.vocabulary import OrderStatus

MAX_PACKS = 100_000
MAX_ID = 2**31 - 1


@dataclass
class LineData:
    """One line as typed or sent: a product and a number of packs (text or number, checked here)."""

    product_id: int | str | None
    packs: int | str | None
    reason: str = ""


def _packs(value, field: str, line_name: str, errors: list[tuple[str, str]]) -> int | None:
    """A whole number of packs, at least one; a refusal names the line."""
    try:
        packs = int(str(value).strip())
    except ValueError:
        errors.append((field, f"{line_name}: the number of packs must be a whole number (got {value!r})."))
        return None
    if packs <= 0:
        errors.append((field, f"{line_name}: an order line needs at least one pack (got {packs}); "
                              "remove the line instead."))
        return None
    if packs > MAX_PACKS:
        errors.append((field, f"{line_name}: {packs} packs is more than an order can hold ({MAX_PACKS})."))
        return None
    return packs


def _pack_size(product: Product) -> Decimal:
    """The pack the line orders: the product's pack size, or one unit (vial, ampoule) when it has none."""
    return product.pack_size or product.unit_size


def _checked_lines(lines: list[LineData]) -> list[tuple[Product, int, str]]:
    """Every line's product and packs, or every refusal at once, each naming its line."""
    errors: list[tuple[str, str]] = []
    checked, seen = [], set()
    ids: list[int | None] = []
    for line in lines:
        try:
            product_id = int(str(line.product_id))
        except ValueError:
            product_id = None
        # An id beyond the INTEGER column is no product (PostgreSQL would raise on it rather than find none).
        ids.append(product_id if product_id is not None and 0 < product_id <= MAX_ID else None)
    products = {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_([i for i in ids if i])))}
    for index, (line, product_id) in enumerate(zip(lines, ids, strict=True)):
        product = products.get(product_id) if product_id else None
        name = f"Line {index + 1}" + (f" ({product.name})" if product else "")
        if product is None:
            errors.append((f"lines.{index}.product_id", f"{name}: no product with id {line.product_id!r}."))
            continue
        if product.retired:
            errors.append((f"lines.{index}.product_id", f"{name}: the product is retired."))
            continue
        if product.id in seen:
            errors.append((f"lines.{index}.product_id", f"{name}: the product is on the order twice."))
            continue
        seen.add(product.id)
        packs = _packs(line.packs, f"lines.{index}.packs", name, errors)
        if packs is not None:
            checked.append((product, packs, (line.reason or "").strip()))
    if not lines:
        errors.append(("lines", "An order needs at least one line."))
    if errors:
        raise PurchasingError(errors)
    return checked


def create_order(supplier: Supplier, lines: list[LineData], *, actor) -> PurchaseOrder:
    """A draft order to the supplier with these lines; nothing is written when any line is refused."""
    checked = _checked_lines(lines)
    order = PurchaseOrder(supplier=supplier, status=OrderStatus.DRAFT,
                          created_by_id=actor.id if actor is not None else None)
    order.lines = [OrderLine(product=product, packs=packs, pack_size=_pack_size(product), position=position,
                             reason=reason) for position, (product, packs, reason) in enumerate(checked)]
    db.session.add(order)
    db.session.flush()
    record("order.draft", actor=actor, target=order, detail=f"{order.reference} to {supplier.name}")
    return order


def draft_from_suggestion(supplier: Supplier, today: date, *, actor, **settings) -> PurchaseOrder:
    """A draft of the supplier's suggested order: every line with packs to order, and its reason."""
    lines = [LineData(line.product_id, line.suggested_packs, line.reason)
             for line in suggested_order(today, supplier_id=supplier.id, **settings) if line.suggested_packs]
    if not lines:
        raise OrderRefused(f"Nothing to order from {supplier.name} today: the suggestion has no line.")
    return create_order(supplier, lines, actor=actor)


def _draft_only(order: PurchaseOrder) -> None:
    if order.status != OrderStatus.DRAFT:
        raise OrderRefused(f"Order {order.reference} was {order.status} and cannot be changed: "
                           "a sent order stays as it was sent.")


def update_lines(order: PurchaseOrder, packs_by_line: Mapping[int, object], *, remove=(), add: LineData | None = None,
                 actor) -> PurchaseOrder:
    """Change the packs of a draft's lines, remove some, add one; all refusals at once, each naming its line."""
    _draft_only(order)
    errors: list[tuple[str, str]] = []
    changes = []
    for index, line in enumerate(order.lines):
        if line.id in remove or line.id not in packs_by_line:
            continue
        packs = _packs(packs_by_line[line.id], f"lines.{index}.packs", f"Line {index + 1} ({line.product.name})",
                       errors)
        if packs is not None:
            changes.append((line, packs))
    added = None
    if add is not None and str(add.product_id or "").strip():
        try:
            added = _checked_lines([add])[0]
        except PurchasingError as error:
            errors += [("add." + field.split(".")[-1], message.replace("Line 1", "The new line", 1))
                       for field, message in error.errors]
        else:
            if any(line.product_id == added[0].id for line in order.lines if line.id not in remove):
                errors.append(("add.product_id", f"{added[0].name} is already on the order: change its packs."))
    kept = [line for line in order.lines if line.id not in remove]
    if not kept and added is None:
        errors.append(("lines", "An order needs at least one line: delete the draft instead."))
    if errors:
        raise PurchasingError(errors)
    for line, packs in changes:
        line.packs = packs
    order.lines = kept
    db.session.flush()
    if added is not None:
        product, packs, reason = added
        order.lines.append(OrderLine(product=product, packs=packs, pack_size=_pack_size(product),
                                     position=max((line.position for line in kept), default=-1) + 1, reason=reason))
    db.session.flush()
    record("order.edit", actor=actor, target=order, detail=order.reference)
    return order


def delete_draft(order: PurchaseOrder, *, actor) -> None:
    """Throw a draft away (a sent order is history and stays)."""
    _draft_only(order)
    record("order.delete", actor=actor, target=order, detail=order.reference)
    db.session.delete(order)
    db.session.flush()


def mark_sent(order: PurchaseOrder, how: str, *, actor) -> PurchaseOrder:
    """Send a draft as it stands: from now on it is never edited. Sending it again only says so."""
    if order.status == OrderStatus.DRAFT:
        if not order.lines:
            raise OrderRefused(f"Order {order.reference} has no lines to send.")
        order.status = OrderStatus.SENT
        order.sent_at = datetime.now(UTC)
        order.sent_by_id = actor.id if actor is not None else None
    order.sent_how = how[:300]
    db.session.flush()
    record("order.send", actor=actor, target=order, detail=f"{order.reference} to {order.supplier.name}: {how}"[:300])
    return order
