"""The printable count sheet: the lots in stock by storage place and product, with blank boxes to count into."""

from flask import render_template, request

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.catalogue.models import Product
from formulary.db import utcnow
from formulary.extensions import db
from formulary.stock.barcodes import gs1_element_string, lot_barcode_svg
from formulary.stock.blueprint import bp
from formulary.stock.counting import CountScope, count_sheet, scope_choices


@bp.route("/count-sheet")
@permission_required(Permission.VIEW_STOCK)
def count_sheet_page():
    """A4 landscape, fitting the page: one table per storage place, a barcode for each lot with a GTIN."""
    scope = CountScope.from_args(request.args)
    product = db.session.get(Product, scope.product_id) if scope.product_id else None
    places = count_sheet(scope)
    barcodes = {
        lot.lot_id: (lot_barcode_svg(item.gtin, lot.expiry, lot.lot_number),
                     gs1_element_string(item.gtin, lot.expiry, lot.lot_number) if item.gtin else "")
        for products in places.values() for item in products for lot in item.lots
    }
    storages, categories, products = scope_choices()
    return render_template(
        "stock/count_sheet.html", scope=scope, described=scope.describe(product.name if product else None),
        places=places, barcodes=barcodes, printed_at=utcnow(), lots=sum(
            len(item.lots) for items in places.values() for item in items),
        storages=storages, categories=categories, products=products,
    )

