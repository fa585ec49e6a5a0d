"""Purchase orders: a supplier's order with its lines, and the receipts booking each delivered lot to a line."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from formulary.catalogue.models import Product, Supplier
from formulary.db import one_of, utcnow
from formulary.extensions import Model
from formulary.stock.models import QUANTITY, Lot, StockMovement
from formulary.vocabulary import OrderStatus


class PurchaseOrder(Model):
    """An order to one supplier: a draft the manager edits, then sent as it stands and received against."""

    __tablename__ = "purchase_order"
    __table_args__ = (one_of("status", OrderStatus, "status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=OrderStatus.DRAFT)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    sent_at: Mapped[datetime | None]
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # How it was sent last: "print", "workbook" or "e-mail to …" (an order is sent once, shown many ways).
    sent_how: Mapped[str] = mapped_column(String(300), default="")

    supplier: Mapped[Supplier] = relationship()
    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.position"
    )
    created_by = relationship("User", foreign_keys=[created_by_id])
    sent_by = relationship("User", foreign_keys=[sent_by_id])

    @property
    def reference(self) -> str:
        """How the order is named to the supplier and on its pages."""
        return f"PO-{self.id:05d}"


class OrderLine(Model):
    """So many packs of one product; the pack size is kept as ordered, whatever the catalogue says later."""

    __tablename__ = "order_line"
    __table_args__ = (
        UniqueConstraint("order_id", "product_id"),
        CheckConstraint("packs > 0", name="packs_positive"),
        CheckConstraint("pack_size > 0", name="pack_size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    packs: Mapped[int]
    pack_size: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    position: Mapped[int] = mapped_column(default=0)
    # Why it was suggested, when the line came from the suggestion.
    reason: Mapped[str] = mapped_column(Text, default="")

    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()
    receipts: Mapped[list["OrderReceipt"]] = relationship(back_populates="line", order_by="OrderReceipt.id")

    @property
    def quantity(self) -> Decimal:
        """What the line orders, in the product's stock unit."""
        return self.packs * self.pack_size

    @property
    def received(self) -> Decimal:
        """What deliveries against the line have brought so far."""
        return sum((receipt.quantity for receipt in self.receipts), Decimal(0))


class OrderReceipt(Model):
    """Stock received against an order line: the lot it went into and its receive movement in the ledger."""

    __tablename__ = "order_receipt"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), index=True)
    movement_id: Mapped[int] = mapped_column(ForeignKey("stock_movement.id"), unique=True)
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Set when a delivery workbook import brought it (the import names the order).
    import_id: Mapped[int | None] = mapped_column(ForeignKey("stock_import.id"), index=True)

    line: Mapped[OrderLine] = relationship(back_populates="receipts")
    lot: Mapped[Lot] = relationship()
    movement: Mapped[StockMovement] = relationship()
