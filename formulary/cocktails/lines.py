"""A recipe's lines as FEFO needs them, and the stock they draw on: plain values, no database."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from formulary.stock.fefo import DrawRule, LotStock, Need


@dataclass(frozen=True)
class RecipeLine:
    """One component of a recipe with what FEFO needs of its product."""

    product_id: int
    product_name: str
    unit: str
    amount: Decimal
    single_use: bool
    unit_size: Decimal
    margin_days: int
    opened_shelf_life_days: int | None = None

    @classmethod
    def of(cls, product, amount: Decimal) -> "RecipeLine":
        """The line for an amount of a catalogue product (a saved component, or one being composed)."""
        return cls(product.id, product.name, product.unit, amount, product.single_use, product.unit_size,
                   product.expiry_margin_days, product.opened_shelf_life_days)

    def rule(self, on: date) -> DrawRule:
        """The FEFO rule this line's draw follows on the day."""
        return DrawRule.for_product(on, margin_days=self.margin_days, single_use=self.single_use,
                                    unit_size=self.unit_size, opened_shelf_life_days=self.opened_shelf_life_days)

    def need(self, on: date) -> Need:
        """What one session on the day needs of this line's product."""
        return Need(self.product_id, self.amount, self.rule(on))


@dataclass(frozen=True)
class RecipeStock:
    """A recipe's lines with the lots of their products (the lots with stock, by product id)."""

    lines: tuple[RecipeLine, ...]
    lots: Mapping[int, tuple[LotStock, ...]]

    def lots_of(self, line: RecipeLine) -> tuple[LotStock, ...]:
        """The lots of the line's product."""
        return self.lots.get(line.product_id, ())

    def needs(self, on: date) -> list[Need]:
        """What one session of the recipe on the day needs, line by line."""
        return [line.need(on) for line in self.lines]
