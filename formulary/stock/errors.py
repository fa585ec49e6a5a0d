"""Stock errors as values the user can act on; str() is the sentence to show."""

from decimal import Decimal

from formulary.quantity import fmt_quantity


class StockError(ValueError):
    """A stock change that the rules refuse."""

    field: str | None = None


class InvalidStockInput(StockError):
    """A value that is not acceptable (zero quantity, expiry before receipt …)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class DuplicateLot(StockError):
    """The product already has a lot with this number."""

    field = "lot_number"

    def __init__(self, product: str, lot_number: str, expiry):
        super().__init__(
            f"{product} already has a lot {lot_number} (expires {expiry:%Y-%m-%d}); a lot number "
            "is unique per product. To add stock to it, use “Receive more” on that lot."
        )
        self.lot_number = lot_number


class InsufficientStock(StockError):
    """More was asked of a lot (or of a product) than it holds."""

    field = "quantity"

    def __init__(self, product: str, needed: Decimal, available: Decimal, unit: str, lot: str | None = None):
        where = f"lot {lot} of {product}" if lot else product
        super().__init__(
            f"Not enough stock: {fmt_quantity(needed)} {unit} needed from {where}, "
            f"only {fmt_quantity(available)} {unit} available."
        )
        self.product, self.needed, self.available, self.lot = product, needed, available, lot
