"""Stock as FEFO sees it, read from the database: lots with stock, a product's rule, what FEFO offers."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache

from sqlalchemy import bindparam, func, select

from formulary.catalogue.models import Product
from formulary.extensions import db
from formulary.stock.fefo import Draw, DrawPlan, DrawRule, LotStock, OpenedStock, SkippedLot, fefo_lots, plan_draw
from formulary.stock.models import Lot
from formulary.stock.opened import opened_stocks
from formulary.vocabulary import LotStatus


def lots_in_stock(products):
    """The lots with stock of the products a clause names (a list of ids bound as a parameter, or a subquery):
    the columns `lots_from_rows` reads."""
    return (
        select(Lot.id, Lot.product_id, Lot.lot_number, Lot.expiry, Lot.received_on, Lot.on_hand, Lot.status,
               Lot.opened_content)
        .where(Lot.product_id.in_(products), Lot.on_hand > 0)
    )


@cache
def _lot_stocks_statement(from_a_day: bool):
    # Built once: the dashboard's forecast and the session page read it.
    query = lots_in_stock(bindparam("product_ids", expanding=True))
    return query.where(Lot.expiry >= bindparam("expiring_from")) if from_a_day else query


def lot_stocks(product_ids, *, expiring_from: date | None = None) -> dict[int, tuple[LotStock, ...]]:
    """The lots with stock of each product, as FEFO sees them (one query).

    With `expiring_from`, only the lots expiring on that day or later: a forecast that starts that
    day has no use for the others, and the (product, expiry) index then skips a product's old lots.
    """
    asked = {"product_ids": list(product_ids), "expiring_from": expiring_from}
    rows = db.session.execute(_lot_stocks_statement(expiring_from is not None), asked).all()
    # only lots with opened content need their units read (one more query)
    opened = [lot_id for lot_id, *_columns, opened_content in rows if opened_content]
    return lots_from_rows(rows, opened_stocks(opened) if opened else {})


def lots_from_rows(rows, units: dict[int, tuple[OpenedStock, ...]]) -> dict[int, tuple[LotStock, ...]]:
    """Each product's lots as FEFO sees them, from the rows of `lots_in_stock` and their lots' opened units."""
    lots = defaultdict(list)
    # Unpacked, not read by name: six lookups by name on a Row cost more than building the LotStock.
    for lot_id, product_id, lot_number, expiry, received_on, on_hand, status, _opened in rows:
        lots[product_id].append(LotStock(lot_id, lot_number, expiry, received_on, on_hand, status,
                                         units.get(lot_id, ())))
    return {pid: tuple(items) for pid, items in lots.items()}


def sealed_supply(product_ids, usable_through: date) -> dict[int, Decimal]:
    """Each product's sealed stock in available lots that stay in date through that day (one aggregate)."""
    ids = list(product_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Lot.product_id, func.sum(Lot.on_hand - Lot.opened_content))
        .where(Lot.product_id.in_(ids), Lot.on_hand > 0, Lot.status == LotStatus.AVAILABLE,
               Lot.expiry >= usable_through)
        .group_by(Lot.product_id)
    )
    return {product_id: Decimal(str(total or 0)) for product_id, total in rows}


def lot_stock(lot: Lot) -> LotStock:
    """A lot as FEFO sees it, with its opened units."""
    opened = opened_stocks([lot.id]).get(lot.id, ()) if lot.opened_content else ()
    return LotStock(lot.id, lot.lot_number, lot.expiry, lot.received_on, lot.on_hand, lot.status, opened)


def draw_rule(product: Product, on: date) -> DrawRule:
    """The FEFO rule of a catalogue product on a day, from its settings."""
    return DrawRule.for_product(on, margin_days=product.expiry_margin_days, single_use=product.single_use,
                                unit_size=product.unit_size, opened_shelf_life_days=product.opened_shelf_life_days)


@dataclass(frozen=True)
class FefoOffer:
    """What FEFO offers for a product on a day: usable lots in order, skipped lots, a plan."""

    product: Product
    on: date
    usable: tuple[LotStock, ...]
    skipped: tuple[SkippedLot, ...]
    plan: DrawPlan | None = None

    @property
    def usable_total(self) -> Decimal:
        """All the stock FEFO may draw on the day."""
        return sum((lot.usable_content(self.on) for lot in self.usable), Decimal(0))

    def draw_for(self, lot_id: int) -> Draw | None:
        """What the planned draw takes from a lot, if it takes anything."""
        draws = self.plan.draws if self.plan else ()
        return next((draw for draw in draws if draw.lot_id == lot_id), None)


def fefo_offer(product: Product, on: date, amount: Decimal | None = None) -> FefoOffer:
    """The lots FEFO would draw for the product on the day; with an amount, the draw itself."""
    stocks = lot_stocks([product.id]).get(product.id, ())
    rule = draw_rule(product, on)
    found = fefo_lots(stocks, rule)
    plan = plan_draw(stocks, amount, rule) if amount is not None else None
    return FefoOffer(product=product, on=on, usable=found.usable, skipped=found.skipped, plan=plan)


def parse_amount(text: str | None) -> Decimal | None:
    """A positive amount typed in a query string, or None when absent or not usable."""
    try:
        amount = Decimal((text or "").strip().replace(",", "."))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount > 0 else None
