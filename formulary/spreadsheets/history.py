"""Past imports: the list, one import with the movements it made."""

from __future__ import annotations

from flask import abort, current_app, render_template
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
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


def register(bp) -> None:
    """The imports list and an import's page, on the spreadsheets blueprint."""

    @bp.route("/imports")
    @permission_required(Permission.VIEW_STOCK)
    def imports():
        """Every import: who, when, which file, what it did."""
        page = db.paginate(imports_query(), per_page=current_app.config["PER_PAGE"], error_out=False)
        return render_template("spreadsheets/imports.html", page=page)

    @bp.route("/imports/<int:import_id>")
    @permission_required(Permission.VIEW_STOCK)
    def import_detail(import_id: int):
        """One import and the movements it made, a page at a time."""
        stock_import = db.session.scalar(imports_query().where(StockImport.id == import_id))
        if stock_import is None:
            abort(404)
        page = db.paginate(import_movements(import_id), per_page=current_app.config["PER_PAGE"],
                           error_out=False)
        return render_template("spreadsheets/import.html", stock_import=stock_import, page=page)
