"""The clinic's procedure kit page: what every session puts on the patient besides the cocktail."""

from flask import flash, redirect, render_template, url_for
from sqlalchemy import select

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.catalogue.models import Product
from formulary.cocktails.blueprint import bp
from formulary.cocktails.kit import KitError, default_kit, set_default_kit
from formulary.cocktails.kit_forms import BLANK_ROWS, KitForm, procedure_lines, product_choices, rows_data
from formulary.extensions import db


def kit_products() -> list[Product]:
    """Products a kit may hold: those not retired, by category and name."""
    return list(db.session.scalars(
        select(Product).where(Product.retired.is_(False)).order_by(Product.category, Product.name)))


def show_kit_errors(rows, error: KitError, form_errors: list[str]) -> None:
    """Every message above the form, and items.N.x also on the Nth filled row."""
    filled = [row for row in rows if row.form.product.data is not None]  # blank rows were left out
    for field_name, message in error.errors:
        form_errors.append(message)
        parts = field_name.split(".")
        if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(filled):
            target = filled[int(parts[1])].form["product" if parts[2] == "product_id" else parts[2]]
            target.errors = [*target.errors, message]


def _page(form: KitForm, items, errors: list[str]):
    choices = product_choices(kit_products())
    for row in form.items:
        row.form.product.choices = choices
    user = current_actor()
    editable = user is not None and user.can(Permission.EDIT_COCKTAILS)
    return render_template("cocktails/kit.html", form=form, items=items, errors=errors, editable=editable)


@bp.route("/kit")
@permission_required(Permission.VIEW_COCKTAILS)
def kit():
    """The default kit: read by everyone who reads cocktails."""
    items = default_kit()
    return _page(KitForm(data={"items": rows_data(items)}), items, [])


@bp.route("/kit", methods=["POST"])
@permission_required(Permission.EDIT_COCKTAILS)
def save_kit():
    """Replace the default kit (or add blank rows to the form)."""
    form = KitForm()
    if form.add_rows.data:
        for _ in range(BLANK_ROWS):
            form.items.append_entry()
    errors: list[str] = []
    if form.submit.data and form.validate_on_submit():
        try:
            saved = set_default_kit(procedure_lines(form.items), actor=current_actor())
        except KitError as error:
            db.session.rollback()
            show_kit_errors(form.items, error, errors)
        else:
            db.session.commit()
            flash(f"The kit is saved: {len(saved)} item{'s' if len(saved) != 1 else ''}, checked before every "
                  f"session with the cocktail's components.", "success")
            return redirect(url_for("cocktails.kit"))
    return _page(form, default_kit(), errors)
