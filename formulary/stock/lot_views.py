"""A lot's page: its facts, where FEFO places it, its whole history, and the actions on it."""

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.clinic_time import clinic_today
from formulary.extensions import db
from formulary.quantity import count_size, fmt_quantity, package_name, stock_of
from formulary.stock import ledger
from formulary.stock.blueprint import bp
from formulary.stock.draws import fefo_offer
from formulary.stock.errors import StockError
from formulary.stock.fefo import last_day_of_use
from formulary.stock.forms import ACTION_FORMS
from formulary.stock.models import Lot
from formulary.stock.queries import display_status, lot_with_history
from formulary.stock.typed import counted_in_packages, typed_quantity
from formulary.vocabulary import LotStatus, MovementKind


def _lot_or_404(lot_id: int) -> Lot:
    lot = lot_with_history(lot_id)
    if lot is None:
        abort(404)
    return lot


def _fefo_position(lot: Lot, today: date) -> dict:
    """Where FEFO places this lot today: its rank among the usable lots, or why it is skipped."""
    offer = fefo_offer(lot.product, today)
    ranks = [stock.lot_id for stock in offer.usable]
    skipped = {item.lot_id: item.reason for item in offer.skipped}
    return {
        "rank": ranks.index(lot.id) + 1 if lot.id in ranks else None,
        "of": len(ranks),
        "skipped": skipped.get(lot.id),
    }


def render_lot(lot: Lot, failed_form: FlaskForm | None = None, failed_action: str | None = None):
    """The lot page; after a refused action, that action's form keeps its values and errors."""
    today = clinic_today()
    forms = {action: form_class(prefix=action, formdata=None) for action, form_class in ACTION_FORMS.items()}
    if failed_form is not None and failed_action is not None:
        forms[failed_action] = failed_form
    product_page = None
    if "catalogue.product" in current_app.view_functions:
        product_page = url_for("catalogue.product", product_id=lot.product_id)
    product = lot.product
    packages = package_name(product.package or "vial", 2) if counted_in_packages(product) else None
    if packages:
        for form in forms.values():  # the actions whose quantity may be typed in whole units
            if "count_in" in form:
                form.count_in.choices = [("volume", product.unit), ("units", packages)]
    return render_template(
        "stock/lot.html", lot=lot, forms=forms, failed_action=failed_action, count_packages=packages,
        status=display_status(lot, today, current_app.config["EXPIRY_WARNING_DAYS"]), today=today,
        usable_until=last_day_of_use(lot.expiry, lot.product.expiry_margin_days),
        fefo=_fefo_position(lot, today), product_page=product_page,
    )


@bp.route("/lots/<int:lot_id>")
@permission_required(Permission.VIEW_STOCK)
def lot(lot_id: int):
    """One lot: facts, FEFO hint, history, and (for those who may change stock) the actions."""
    return render_lot(_lot_or_404(lot_id))


@bp.route("/lots/<int:lot_id>/<action>", methods=["POST"])
@permission_required(Permission.EDIT_STOCK)
def lot_action(lot_id: int, action: str):
    """Receive more, waste, adjust, return, quarantine, release or recall: one ledger call, one commit."""
    if action not in ACTION_FORMS:
        abort(404)
    lot = _lot_or_404(lot_id)
    form = ACTION_FORMS[action](prefix=action)
    if form.validate_on_submit():
        try:
            message, category = _apply(action, lot, form)
        except StockError as error:
            db.session.rollback()
            field = getattr(form, error.field or "", None)
            (field.errors if field is not None else form.form_errors).append(str(error))
            lot = _lot_or_404(lot_id)
        else:
            db.session.commit()
            flash(message, category)
            return redirect(url_for("stock.lot", lot_id=lot.id))
    return render_lot(lot, form, action)


def _apply(action: str, lot: Lot, form) -> tuple[str, str]:
    """Call the ledger for one action; returns the flash message and its category."""
    actor = current_actor()
    unit = lot.product.unit
    reason = form.reason.data or ""
    name = f"lot {lot.lot_number}"
    if action == "receive-more":
        quantity, _ = typed_quantity(form, lot.product, "received")
        ledger.receive_more(lot, quantity, actor=actor, reason=reason)
        return f"Received {stock_of(quantity, lot.product)} more of {name}.", "success"
    if action == MovementKind.WASTE:
        quantity, said = typed_quantity(form, lot.product, "wasted")
        ledger.waste(lot, quantity, actor=actor, reason=reason)
        return f"Recorded {said} of {name} as waste.", "success"
    if action == MovementKind.RETURN:
        quantity, said = typed_quantity(form, lot.product, "returned")
        ledger.return_to_supplier(lot, quantity, actor=actor, reason=reason)
        return f"Recorded {said} of {name} as returned.", "success"
    if action == MovementKind.ADJUST:
        before = lot.on_hand
        counted = form.counted(count_size(unit, lot.product.unit_size, lot.product.package),
                               in_packages=counted_in_packages(lot.product))
        movement = ledger.adjust(lot, counted, actor=actor, reason=reason)
        if movement is None:
            return f"The count equals what {name} holds ({stock_of(before, lot.product)}); nothing changed.", "info"
        sign = "+" if movement.quantity > 0 else "−"
        return (f"Stocktake of {name}: counted {stock_of(counted, lot.product)} "
                f"({sign}{fmt_quantity(abs(movement.quantity))} {unit}).", "success")
    status = {
        MovementKind.QUARANTINE: LotStatus.QUARANTINED,
        MovementKind.RELEASE: LotStatus.AVAILABLE,
        MovementKind.RECALL: LotStatus.RECALLED,
    }[MovementKind(action)]
    if ledger.set_status(lot, status, actor=actor, reason=reason) is None:
        return f"Lot {lot.lot_number} is already {status}; nothing changed.", "info"
    return {
        LotStatus.QUARANTINED: f"Lot {lot.lot_number} is quarantined: FEFO skips it until it is released.",
        LotStatus.AVAILABLE: f"Lot {lot.lot_number} is released: it is available again.",
        LotStatus.RECALLED: f"Lot {lot.lot_number} is recalled: it is out of use for good.",
    }[status], "success"
