"""Lots and the stock ledger."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, literal_column, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from formulary.catalogue.models import Product
from formulary.db import one_of, utcnow
from formulary.extensions import Model
from formulary.vocabulary import ImportMode, LotStatus, MovementKind

# The allowed values as lists, for the validators that still import them from here.
LOT_STATUSES: list[str] = list(LotStatus)

QUANTITY = Numeric(14, 3)


class Lot(Model):
    """One batch of a product: lot number, expiry, status and the quantity on hand."""

    __tablename__ = "lot"
    __table_args__ = (
        UniqueConstraint("product_id", "lot_number"),
        # The ledger's cached sum; the database itself refuses a negative stock.
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        # What opened units of the lot hold (their content_left summed): never negative; the ledger's
        # guard keeps on_hand at or above it.
        CheckConstraint("opened_content >= 0", name="opened_content_not_negative"),
        one_of("status", LotStatus, "status_known"),
        CheckConstraint("unit_cost IS NULL OR unit_cost >= 0", name="unit_cost_not_negative"),
        Index("ix_lot_product_expiry", "product_id", "expiry"),
        Index("ix_lot_expiry", "expiry"),
        Index("ix_lot_status", "status"),
        # Only lots that hold stock matter to the lists and the dashboard: partial indexes
        # keep years of emptied lots out of their way (the queries write on_hand > 0 inline).
        Index("ix_lot_in_stock", "expiry", "id",
              sqlite_where=text("on_hand > 0"), postgresql_where=text("on_hand > 0")),
        Index("ix_lot_in_stock_status", "status", "expiry", "product_id", "on_hand", "unit_cost",
              sqlite_where=text("on_hand > 0"), postgresql_where=text("on_hand > 0")),
        # The dashboard's sums per product (value, usable stock, counts overdue, sealed supply) in product
        # order, covering: SQLite reads no lot row and sorts nothing (no ANALYZE statistics needed).
        Index("ix_lot_in_stock_product", "product_id", "status", "expiry", "on_hand", "unit_cost", "opened_content",
              "counted_at", "received_on",
              sqlite_where=text("on_hand > 0"), postgresql_where=text("on_hand > 0")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    lot_number: Mapped[str] = mapped_column(String(40))
    expiry: Mapped[date]
    received_on: Mapped[date]
    supplier: Mapped[str] = mapped_column(String(200), default="")
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    status: Mapped[str] = mapped_column(String(12), default=LotStatus.AVAILABLE)
    on_hand: Mapped[Decimal] = mapped_column(QUANTITY, default=Decimal(0))
    # Of on_hand, what sits in opened units (multi-dose vials already opened): kept by ledger.move.
    opened_content: Mapped[Decimal] = mapped_column(QUANTITY, default=Decimal(0), server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last stocktake that counted this lot (the count moment) and who counted it; None: never counted.
    counted_at: Mapped[datetime | None]
    counted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    product: Mapped[Product] = relationship()
    counted_by = relationship("User", foreign_keys=[counted_by_id])
    movements: Mapped[list["StockMovement"]] = relationship(
        back_populates="lot", order_by="StockMovement.id"
    )

    @property
    def value(self) -> Decimal | None:
        """What the stock on hand cost (unit cost is per stock unit)."""
        return None if self.unit_cost is None else (self.on_hand * self.unit_cost).quantize(Decimal("0.01"))

    def __repr__(self) -> str:
        return f"<Lot {self.lot_number} of product {self.product_id}>"


# On hand > 0 written with an inline literal, not a bound parameter: only then may SQLite (and
# PostgreSQL's generic plans) use an index restricted to lots in stock (WHERE on_hand > 0).
IN_STOCK = Lot.on_hand > literal_column("0")


class StockMovement(Model):
    """One line of the ledger: never edited, never deleted; a correction is a new line."""

    __tablename__ = "stock_movement"
    __table_args__ = (
        one_of("kind", MovementKind, "kind_known"),
        CheckConstraint("on_hand_after >= 0", name="on_hand_after_not_negative"),
        Index("ix_stock_movement_lot_id", "lot_id", "id"),
        # By kind, then time: the reports read receipts, adjustments and returns since a day (stock turnover)
        # without the far more numerous administrations; what left stock is summed apart (stock/outflows.py).
        Index("ix_stock_movement_kind_at", "kind", "at"),
        # The rests of single-use units a session wasted, by time: what the waste panels sum (partial and
        # covering, so that the sum reads the index alone).
        Index("ix_stock_movement_session_waste", "at", "lot_id", "quantity",
              sqlite_where=text("kind = 'waste' AND session_id IS NOT NULL"),
              postgresql_where=text("kind = 'waste' AND session_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"))
    kind: Mapped[str] = mapped_column(String(12))
    # Signed: positive into stock, negative out of it.
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    on_hand_after: Mapped[Decimal] = mapped_column(QUANTITY)
    reason: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # What caused it, when it was a treatment session (recall leads from a lot to its patients).
    session_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_session.id"), index=True)
    # Or the workbook import that made it.
    import_id: Mapped[int | None] = mapped_column(ForeignKey("stock_import.id"), index=True)

    lot: Mapped[Lot] = relationship(back_populates="movements")
    user = relationship("User")


class StockImport(Model):
    """One applied workbook import: who, when, which file (name and content hash), what it did."""

    __tablename__ = "stock_import"
    __table_args__ = (
        one_of("mode", ImportMode, "mode_known"),
        Index("ix_stock_import_sha256", "sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    mode: Mapped[str] = mapped_column(String(10))
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(default=0)
    lots_created: Mapped[int] = mapped_column(default=0)
    lots_changed: Mapped[int] = mapped_column(default=0)
    quantity_in: Mapped[Decimal] = mapped_column(QUANTITY, default=Decimal(0))
    quantity_out: Mapped[Decimal] = mapped_column(QUANTITY, default=Decimal(0))
    # A delivery already imported once, applied again on purpose.
    forced: Mapped[bool] = mapped_column(default=False)

    user = relationship("User")
