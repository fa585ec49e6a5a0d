"""The catalogue's product list and product page: they show stock, so they live here, on the catalogue's
blueprint (endpoints catalogue.products and catalogue.product)."""


from flask import abort, current_app, render_template, request

from formulary.catalogue import queries
from formulary.catalogue.blueprint import bp
from formulary.catalogue.models import PRODUCT_CATEGORIES
from formulary.clinic_time import clinic_today
from formulary.extensions import db
from formulary.stock.product_stock import on_hand_totals, product_stock


@bp.route("/products")
def products():
    """Products with their on-hand totals; search by name, manufacturer or GTIN."""
    text = (request.args.get("q") or "").strip()
    category = request.args.get("category") or ""
    retired = request.args.get("retired") == "1"
    page = db.paginate(queries.product_query(text, category, retired),
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template(
        "catalogue/products.html", page=page, q=text, category=category, retired=retired,
        categories=PRODUCT_CATEGORIES, totals=on_hand_totals(p.id for p in page.items),
        filtered=bool(text or category),
    )


@bp.route("/products/<int:product_id>")
def product(product_id: int):
    """One product: its fields, composition, contraindications, lots and totals."""
    product = queries.product_with_details(product_id)
    if product is None:
        abort(404)
    lots, totals = product_stock(product, clinic_today(), current_app.config["EXPIRY_WARNING_DAYS"])
    return render_template(
        "catalogue/product.html", product=product, lots=lots, totals=totals,
        lot_pages="stock.lot" in current_app.view_functions,
    )
