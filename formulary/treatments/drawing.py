"""Drawing a session's cocktail from stock by FEFO: what administering and preparing both do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from formulary.extensions import db
from formulary.stock.draws import draw_rule, lot_stocks
from formulary.stock.errors import InsufficientStock
from formulary.stock.fefo import plan_draw
from formulary.stock.ledger import move
from formulary.stock.models import Lot
from formulary.stock.opened import take
from formulary.vocabulary import MovementKind


class SessionError(ValueError):
    """A session change the rules refuse; `field` names the input when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Drawn:
    """What one draw took from a lot (and from which opened unit, for a multi-dose vial)."""

    lot_id: int
    product_id: int
    unit_id: int | None
    amount: Decimal
    wasted: Decimal


def draw_components(session, today: date, *, actor, scanned: dict[int, list[int]], reason: str,
                    on_draw: Callable[[Drawn], None]) -> None:
    """Draw every component of the session's cocktail by FEFO (only from scanned lots where some were scanned).

    Movements name the session; opened units are taken first and a sealed vial is opened when
    needed; `on_draw` records each draw as soon as it is made. A component not covered raises
    InsufficientStock: the caller's transaction rolls back.
    """
    components = session.cocktail_version.components
    lots = lot_stocks(c.product_id for c in components)
    for component in components:
        product = component.product
        candidates = lots.get(product.id, ())
        if product.id in scanned:
            candidates = tuple(lot for lot in candidates if lot.lot_id in scanned[product.id])
        rule = draw_rule(product, today)
        plan = plan_draw(candidates, component.amount, rule)
        if not plan.covered:
            raise InsufficientStock(product.name, component.amount, plan.administered, product.unit)
        for draw in plan.draws:
            lot = db.session.get_one(Lot, draw.lot_id)
            unit_id = take(lot, draw, rule, kind=MovementKind.ADMINISTER, actor=actor, reason=reason,
                           session_id=session.id)
            if draw.wasted:
                move(lot, MovementKind.WASTE, -draw.wasted, actor=actor, session_id=session.id,
                     reason=f"rest of an opened single-use unit, {reason}")
            on_draw(Drawn(lot.id, product.id, unit_id, draw.administered, draw.wasted))
