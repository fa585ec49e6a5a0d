"""Past imports' pages: the list, and one import with the movements it made."""

from __future__ import annotations

from flask import abort, current_app, render_template

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.extensions import db
from formulary.spreadsheets.blueprint import bp
from formulary.spreadsheets.history import import_movements, imports_query
from formulary.stock.models import StockImport


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
