"""Past imports: the latest, all of them, and the movements one made."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from formulary.extensions import db
from formulary.stock.models import Lot, StockImport, StockMovement


def imports_query() -> Select:
    """Every import, newest first, with who made it."""
    return select(StockImport).options(joinedload(StockImport.user)).order_by(StockImport.id.desc())


def recent_imports(limit: int) -> list[StockImport]:
    """The latest imports, for the Import/Export page."""
    return list(db.session.scalars(imports_query().limit(limit)))


def import_movements(import_id: int) -> Select:
    """The movements an import made, with their lots and products, by product and lot."""
    return (
        select(StockMovement)
        .join(StockMovement.lot)
        .options(joinedload(StockMovement.lot).joinedload(Lot.product))
        .where(StockMovement.import_id == import_id)
        .order_by(StockMovement.id)
    )

