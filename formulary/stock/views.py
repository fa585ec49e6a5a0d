"""Stock pages: the lot list, receiving, and what FEFO offers (a lot's own page is in lot_views, the
catalogue's product pages in product_views)."""

from datetime import date

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.catalogue.models import PRODUCT_CATEGORIES, Product
from formulary.clinic_time import clinic_today
from formulary.extensions import db
from formulary.quantity import stock_of
from formulary.stock import ledger
from formulary.stock.blueprint import bp
from formulary.stock.draws import fefo_offer, parse_amount
from formulary.stock.errors import InvalidStockInput, StockError
from formulary.stock.forms import ReceiveForm, ReceiveMoreForm
from formulary.stock.queries import (
    DISPLAY_STATUSES,
    display_status,
    lot_page,
    parse_filters,
    product_by_gtin,
    product_choices,
    product_suggestions,
    settle_product,
)
from formulary.stock.receiving import lot_already_received
from formulary.stock.typed import typed_quantity

# How the receive form's fields are named when a scan leaves them to be typed.
MISSING_NAMES = {"product": "product", "lot_number": "lot number", "expiry": "expiry date",
                 "quantity": "quantity", "received_on": "date of receipt", "unit_cost": "unit cost",
                 "supplier": "supplier"}


def warning_days() -> int:
    """The "expires soon" window from the configuration."""
    return current_app.config["EXPIRY_WARNING_DAYS"]


@bp.route("")
@permission_required(Permission.VIEW_STOCK)
def lots():
    """All lots, filtered, sorted and a page at a time."""
    today, days = clinic_today(), warning_days()
    filters = parse_filters(request.args)
    settle_product(filters)
    page = lot_page(filters, today, days, current_app.config["PER_PAGE"])

    def sort_url(key: str) -> str:
        direction = "desc" if filters.sort == key and filters.direction == "asc" else "asc"
        return url_for("stock.lots", **{**filters.as_args(), "sort": key, "dir": direction})

    return render_template(
        "stock/lots.html", page=page, filters=filters,
        categories=PRODUCT_CATEGORIES, statuses=DISPLAY_STATUSES, warning_days=days,
        status_of=lambda lot: display_status(lot, today, days), sort_url=sort_url,
    )


@bp.route("/product-suggestions")
@permission_required(Permission.VIEW_STOCK)
def product_names():
    """The product filter's type-ahead: products whose name holds the text typed."""
    found = product_suggestions(request.args.get("q", "")[:200])
    return jsonify({"items": [{"id": ident, "name": name} for ident, name in found]})


@bp.route("/receive", methods=["GET", "POST"])
@permission_required(Permission.EDIT_STOCK)
def receive():
    """Receive a new lot: typed, or filled from a scan and received once the quantity is there."""
    form = ReceiveForm()
    form.product.choices = [("", "Choose a product…")] + product_choices(include_retired=False)
    if not form.is_submitted():
        form.received_on.data = clinic_today()
        _focus(form.scan)
        return render_template("stock/receive.html", form=form)

    had_scan = bool((form.scan.data or "").strip())
    scan_problem = form.scanned(product_by_gtin)
    valid = form.validate()
    notice = None
    if scan_problem:
        for field in form:  # the scan comes first: the other fields wait until it reads
            field.errors = []
        form.scan.errors.append(scan_problem)
    elif had_scan and (existing := _scanned_lot_in_stock(form)) is not None:
        # A box of a lot already received: offer more of that lot rather than a refusal.
        return _offer_more(form, existing)
    elif valid:
        lot = _receive(form)
        if lot is not None:
            flash(f"Received {stock_of(lot.on_hand, lot.product)} of {lot.product.name}, "
                  f"lot {lot.lot_number} (expires {lot.expiry:%Y-%m-%d}).", "success")
            return redirect(url_for("stock.lot", lot_id=lot.id))
    elif had_scan:
        notice = _scan_notice(form)
    _focus(next((field for field in form if field.errors), form.scan))
    return render_template("stock/receive.html", form=form, notice=notice)


def _scanned_lot_in_stock(form: ReceiveForm):
    """The lot a scan named (product, lot and expiry) when it is already in the ledger."""
    if not form.product.data:
        return None
    return lot_already_received(form.product.data, form.lot_number.data, form.expiry.data)


def _offer_more(form: ReceiveForm, lot) -> str:
    """The receive page with the scanned lot named and a form to receive more of it."""
    more = ReceiveMoreForm(prefix="receive-more", formdata=None)
    if form.quantity.data is not None:
        try:
            more.quantity.data, _ = typed_quantity(form, lot.product, "received")
        except InvalidStockInput as error:  # part of a vial: said on the quantity, left for the manager to type
            form.quantity.errors = [*form.quantity.errors, str(error)]
    more.reason.data = "received by scan" + (f"; serial {form.serial.data}" if form.serial.data else "")
    _focus(more.quantity)
    form.scan.data = ""
    return render_template("stock/receive.html", form=form, existing=lot, more=more)


def _receive(form: ReceiveForm):
    """Call the ledger with the form's values; a refusal lands on the field it names."""
    product = db.session.get(Product, form.product.data)
    if product is None:
        form.product.errors.append("Choose the product.")
        return None
    reason = "received" + (f"; serial {form.serial.data}" if form.serial.data else "")
    expiry = form.expiry.data
    assert expiry is not None  # a required field of a form that validated
    try:
        quantity, _ = typed_quantity(form, product, "received")
        lot = ledger.receive(
            product, lot_number=form.lot_number.data, expiry=expiry,
            quantity=quantity, received_on=form.received_on.data, actor=current_actor(),
            supplier=form.supplier.data or "", unit_cost=form.unit_cost.data, reason=reason,
        )
    except StockError as error:
        db.session.rollback()
        field = getattr(form, error.field or "", None) or form.quantity
        field.errors.append(str(error))
        return None
    db.session.commit()
    return lot


def _scan_notice(form: ReceiveForm) -> str:
    """After a scan that read well: what it gave, and which values are still missing."""
    product = db.session.get(Product, form.product.data) if form.product.data else None
    read = [product.name if product else None,
            f"lot {form.lot_number.data}" if form.lot_number.data else None,
            f"expires {form.expiry.data:%Y-%m-%d}" if form.expiry.data else None]
    missing = [MISSING_NAMES.get(field.name, field.name) for field in form if field.errors]
    text = "Scan read: " + ", ".join(part for part in read if part) + "."
    if missing:
        listed = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " and " + missing[-1]
        text += f" Enter the {listed}, then press Receive."
    return text


def _focus(field) -> None:
    """Put the cursor in this field when the page loads (a fresh dict: render_kw is shared)."""
    field.render_kw = {**(field.render_kw or {}), "autofocus": True}


@bp.route("/fefo")
@permission_required(Permission.VIEW_STOCK)
def fefo():
    """What FEFO offers for a product on a day: the lots in the order it draws them, and those it skips."""
    problems = []
    product = None
    product_id = request.args.get("product_id", type=int)
    if product_id:
        product = db.session.get(Product, product_id)
        if product is None:
            problems.append(f"There is no product with id {product_id}.")
    on = clinic_today()
    if request.args.get("date"):
        try:
            on = date.fromisoformat(request.args["date"])
        except ValueError:
            problems.append(f"Date {request.args['date']} is not a date: write YYYY-MM-DD.")
    amount = parse_amount(request.args.get("amount"))
    if request.args.get("amount") and amount is None:
        problems.append(f"Amount {request.args['amount']} is not a positive number.")
    offer = fefo_offer(product, on, amount) if product is not None else None
    return render_template(
        "stock/fefo.html", offer=offer, product=product, on=on, amount=amount,
        products=product_choices(), problems=problems, today=clinic_today(),
    )

