"""A quantity typed on a stock form, in the stock unit (mL) or in whole units (vials, boxes): one reading for the
receive page and the lot page's receive more, waste and return."""

from __future__ import annotations

from decimal import Decimal

from formulary.quantity import count_size, counts_packages_apart, fmt_quantity, package_name, stock_of
from formulary.stock.errors import InvalidStockInput


def counted_in_packages(product) -> bool:
    """Whether a count of this product is sealed packages plus opened content (not a plain total)."""
    return bool(product.unit_size) and counts_packages_apart(product.unit, product.package)


def typed_quantity(form, product, done: str) -> tuple[Decimal, str]:
    """The form's quantity in the stock unit, and how a message says it. Whole units (vials) are turned into the
    stock unit ("2 vials · 4 mL"); a product kept in the packages themselves is counted one each. `done` words a
    refusal of part of a unit: "Vials wasted must be whole (got 0.5)."."""
    quantity = form.quantity.data
    if form.count_in.data != "units" or not counted_in_packages(product):
        return quantity, f"{fmt_quantity(quantity)} {product.unit}"
    if quantity != quantity.to_integral_value():
        units = package_name(product.package or "vial", 2).capitalize()
        raise InvalidStockInput(f"{units} {done} must be whole (got {fmt_quantity(quantity)}).", "quantity")
    quantity = quantity * count_size(product.unit, product.unit_size, product.package)
    return quantity, stock_of(quantity, product)
