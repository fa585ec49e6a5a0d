"""Order pages: the list, a suggested order, a draft's lines, sending (print, workbook, e-mail), receiving."""


from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.catalogue.models import Product, Supplier
from formulary.clinic_time import clinic_today
from formulary.extensions import db
from formulary.money import fmt_money
from formulary.purchasing import orders
from formulary.purchasing.blueprint import bp
from formulary.purchasing.errors import OrderRefused, PurchasingError
from formulary.purchasing.forms import LineReceiveForm, OrderLinesForm, ScanReceiveForm
from formulary.purchasing.mail import MailError, SmtpSettings, send_order
from formulary.purchasing.models import PurchaseOrder
from formulary.purchasing.queries import last_unit_costs, load_order, order_page
from formulary.purchasing.receipts import line_balance, receive_line, receive_scan
from formulary.purchasing.suggest import suggested_order
from formulary.purchasing.workbook import order_workbook
from formulary.stock.errors import StockError
from formulary.vocabulary import OrderStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_WORDS = {OrderStatus.DRAFT: "Draft", OrderStatus.SENT: "Sent",
                OrderStatus.PARTLY_RECEIVED: "Partly received", OrderStatus.RECEIVED: "Received"}
STATUS_BADGES = {OrderStatus.DRAFT: "text-bg-secondary", OrderStatus.SENT: "text-bg-primary",
                 OrderStatus.PARTLY_RECEIVED: "text-bg-warning", OrderStatus.RECEIVED: "text-bg-success"}


def _settings() -> dict:
    config = current_app.config
    return {"review_days": config["ORDER_REVIEW_DAYS"], "history_weeks": config["ORDER_HISTORY_WEEKS"]}


def _order_or_404(order_id: int) -> PurchaseOrder:
    order = load_order(order_id)
    if order is None:
        abort(404)
    return order


@bp.context_processor
def _words():
    return {"status_words": STATUS_WORDS, "status_badges": STATUS_BADGES,
            "format_money": lambda value: fmt_money(value, current_app.config["CURRENCY"])}


@bp.route("/")
@permission_required(Permission.VIEW_STOCK)
def index():
    """Orders, newest first, with a way to each supplier's suggested order."""
    status = request.args.get("status", "")
    if status and status not in STATUS_WORDS:
        status = ""
    page = order_page(status or None, request.args.get("page", 1, type=int), current_app.config["PER_PAGE"])
    suppliers = db.session.scalars(select(Supplier).order_by(Supplier.name)).all()
    return render_template("purchasing/index.html", page=page, status=status, suppliers=suppliers)


@bp.route("/suppliers/<int:supplier_id>/suggested")
@permission_required(Permission.VIEW_STOCK)
def suggested(supplier_id: int):
    """What to order from the supplier today, each line with why."""
    supplier = db.get_or_404(Supplier, supplier_id)
    horizon = request.args.get("horizon_days", type=int)
    if horizon is not None and not 1 <= horizon <= 365:
        flash(f"The period must be from 1 to 365 days (got {horizon}): showing lead time plus review.", "warning")
        horizon = None
    lines = suggested_order(clinic_today(), supplier_id=supplier.id, horizon_days=horizon, **_settings())
    return render_template("purchasing/suggested.html", supplier=supplier, lines=lines, horizon=horizon,
                           to_order=[line for line in lines if line.suggested_packs],
                           review_days=_settings()["review_days"])


@bp.route("/suppliers/<int:supplier_id>/draft", methods=["POST"])
@permission_required(Permission.EDIT_STOCK)
def draft(supplier_id: int):
    """Draft an order from the supplier's suggestion as it stands now."""
    supplier = db.get_or_404(Supplier, supplier_id)
    horizon = request.form.get("horizon_days", type=int)  # the period the page showed, when one was asked
    horizon = horizon if horizon is not None and 1 <= horizon <= 365 else None
    try:
        order = orders.draft_from_suggestion(supplier, clinic_today(), actor=current_actor(), horizon_days=horizon,
                                             **_settings())
    except (OrderRefused, PurchasingError) as error:
        db.session.rollback()
        flash(str(error), "warning")
        return redirect(url_for("purchasing.suggested", supplier_id=supplier.id))
    db.session.commit()
    flash(f"Order {order.reference} is drafted: check the packs, then send it.", "success")
    return redirect(url_for("purchasing.order", order_id=order.id))


def _render_order(order: PurchaseOrder, lines_form: OrderLinesForm | None = None, receive_forms=None,
                  status: int = 200, scan_form: ScanReceiveForm | None = None):
    costs = last_unit_costs(line.product_id for line in order.lines)
    if lines_form is None:
        lines_form = OrderLinesForm()
    if order.status == OrderStatus.DRAFT:
        on_order = {line.product_id for line in order.lines}
        products = db.session.execute(
            select(Product.id, Product.name).where(Product.retired.is_(False)).order_by(
                (Product.supplier_id == order.supplier_id).desc(), Product.name)).all()
        lines_form.add_product.choices = [("", "—")] + [(str(pid), name) for pid, name in products
                                                         if pid not in on_order]
    forms = receive_forms or {}
    for line in order.lines:
        if line.id not in forms:
            balance = line_balance(line)
            forms[line.id] = LineReceiveForm(prefix=f"receive-{line.id}", formdata=None,
                                             data={"quantity": balance.short or None, "received_on": clinic_today()})
    if scan_form is None:
        scan_form = ScanReceiveForm(prefix="scan", formdata=None, data={"received_on": clinic_today()})
    return render_template("purchasing/order.html", order=order, lines_form=lines_form, receive_forms=forms,
                           scan_form=scan_form,
                           balances={line.id: line_balance(line) for line in order.lines}, costs=costs), status


@bp.route("/<int:order_id>")
@permission_required(Permission.VIEW_STOCK)
def order(order_id: int):
    """An order: a draft's lines to edit and the ways to send it; a sent order's lines to receive against."""
    return _render_order(_order_or_404(order_id))


@bp.route("/<int:order_id>", methods=["POST"])
@permission_required(Permission.EDIT_STOCK)
def save_lines(order_id: int):
    """Save a draft's packs, removed lines and an added line, all or nothing."""
    found = _order_or_404(order_id)
    form = OrderLinesForm()
    if not form.validate_on_submit():
        flash("The form expired: nothing was changed. Please try again.", "warning")
        return redirect(url_for("purchasing.order", order_id=found.id))
    packs = {line.id: request.form.get(f"packs-{line.id}", "") for line in found.lines}
    remove = {line.id for line in found.lines if request.form.get(f"remove-{line.id}")}
    added = orders.LineData(form.add_product.data, form.add_packs.data) if form.add_product.data else None
    try:
        orders.update_lines(found, packs, remove=remove, add=added, actor=current_actor())
    except OrderRefused as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for("purchasing.order", order_id=found.id))
    except PurchasingError as error:
        db.session.rollback()
        flash("Nothing was changed. " + " ".join(message for _field, message in error.errors), "danger")
        return _render_order(_order_or_404(order_id), form, status=422)
    db.session.commit()
    flash(f"Order {found.reference} is saved.", "success")
    return redirect(url_for("purchasing.order", order_id=found.id))


@bp.route("/<int:order_id>/delete", methods=["POST"])
@permission_required(Permission.EDIT_STOCK)
def delete(order_id: int):
    """Throw a draft away."""
    found = _order_or_404(order_id)
    try:
        orders.delete_draft(found, actor=current_actor())
    except OrderRefused as error:
        flash(str(error), "danger")
        return redirect(url_for("purchasing.order", order_id=found.id))
    db.session.commit()
    flash(f"The draft {found.reference} is deleted.", "success")
    return redirect(url_for("purchasing.index"))


@bp.route("/<int:order_id>/send", methods=["POST"])
@permission_required(Permission.EDIT_STOCK)
def send(order_id: int):
    """Send a draft: print it, download it as a workbook, or e-mail it; from then on it is never edited."""
    found = _order_or_404(order_id)
    how = request.form.get("how", "")
    if how not in ("print", "workbook", "email"):
        abort(400)
    clinic = current_app.config["CLINIC_NAME"]
    try:
        if how == "email":
            address = send_order(found, clinic, order_workbook(found, clinic), SmtpSettings.from_config(
                current_app.config))
            orders.mark_sent(found, f"e-mailed to {address}", actor=current_actor())
        else:
            orders.mark_sent(found, "printed" if how == "print" else "downloaded as a workbook", actor=current_actor())
    except (MailError, OrderRefused) as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for("purchasing.order", order_id=found.id))
    db.session.commit()
    if how == "email":
        flash(f"Order {found.reference} is e-mailed to {found.supplier.email}.", "success")
        return redirect(url_for("purchasing.order", order_id=found.id))
    flash(f"Order {found.reference} is sent: it can no longer be changed.", "success")
    target = "purchasing.print_order" if how == "print" else "purchasing.workbook"
    return redirect(url_for(target, order_id=found.id))


@bp.route("/<int:order_id>/print")
@permission_required(Permission.VIEW_STOCK)
def print_order(order_id: int):
    """The order as the supplier reads it, ready to print."""
    found = _order_or_404(order_id)
    return render_template("purchasing/print.html", order=found, clinic=current_app.config["CLINIC_NAME"])


@bp.route("/<int:order_id>/order.xlsx")
@permission_required(Permission.VIEW_STOCK)
def workbook(order_id: int):
    """The order as a workbook."""
    found = _order_or_404(order_id)
    content = order_workbook(found, current_app.config["CLINIC_NAME"])
    return Response(content, mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{found.reference}.xlsx"'})


@bp.route("/<int:order_id>/lines/<int:line_id>/receive", methods=["POST"])
@permission_required(Permission.EDIT_STOCK)
def receive(order_id: int, line_id: int):
    """Receive one delivered lot against a line, through the ledger."""
    found = _order_or_404(order_id)
    line = next((line for line in found.lines if line.id == line_id), None)
    if line is None:
        abort(404)
    form = LineReceiveForm(prefix=f"receive-{line.id}")
    if form.validate_on_submit():
        expiry, quantity, received_on = form.expiry.data, form.quantity.data, form.received_on.data
        assert expiry is not None and quantity is not None and received_on is not None  # the validators require them
        try:
            receive_line(line, lot_number=form.lot_number.data, expiry=expiry,
                         quantity=quantity, received_on=received_on, actor=current_actor())
        except OrderRefused as error:
            db.session.rollback()
            flash(str(error), "danger")
            return redirect(url_for("purchasing.order", order_id=found.id))
        except StockError as error:
            db.session.rollback()
            target = getattr(form, error.field or "", None)
            (target.errors if target is not None else form.lot_number.errors).append(str(error))
        else:
            db.session.commit()
            flash(f"Received {quantity.normalize():f} {line.product.unit} of {line.product.name} "
                  f"(lot {form.lot_number.data.strip()}) against {found.reference}.", "success")
            return redirect(url_for("purchasing.order", order_id=found.id) + "#receive")
    return _render_order(_order_or_404(order_id), receive_forms={line_id: form}, status=422)


@bp.route("/<int:order_id>/scan", methods=["POST"])
@permission_required(Permission.EDIT_STOCK)
def receive_scanned(order_id: int):
    """Receive a scanned box against the line of its GTIN."""
    found = _order_or_404(order_id)
    form = ScanReceiveForm(prefix="scan")
    if form.validate_on_submit():
        assert form.received_on.data is not None  # the validator requires it
        try:
            receipt = receive_scan(found, form.scan.data or "", quantity=form.quantity.data,
                                   received_on=form.received_on.data, actor=current_actor())
        except OrderRefused as error:
            db.session.rollback()
            flash(str(error), "danger")
            return redirect(url_for("purchasing.order", order_id=found.id))
        except StockError as error:
            db.session.rollback()
            (form.quantity.errors if error.field == "quantity" else form.scan.errors).append(str(error))
        else:
            db.session.commit()
            flash(f"Received {receipt.quantity.normalize():f} {receipt.line.product.unit} of "
                  f"{receipt.line.product.name} (lot {receipt.lot.lot_number}) against {found.reference}.", "success")
            return redirect(url_for("purchasing.order", order_id=found.id) + "#receive")
    return _render_order(_order_or_404(order_id), scan_form=form, status=422)
