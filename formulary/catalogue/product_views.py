"""The product form: a new product, a change to one, retiring it (the list and a product's page, which
show its lots, are in stock/product_views)."""

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.catalogue import queries
from formulary.catalogue.blueprint import bp
from formulary.catalogue.errors import CatalogueError
from formulary.catalogue.forms import (
    COMPONENT_ROWS,
    CONDITION_ROWS,
    ProductForm,
    new_product_data,
    product_form_data,
)
from formulary.catalogue.models import Condition, Product, Supplier
from formulary.catalogue.products import create_product, set_retired, update_product
from formulary.extensions import db


def _show_product_errors(form: ProductForm, error: CatalogueError, component_rows, condition_rows) -> list:
    """Put the service's (field, message) pairs on the form; composition.N.x goes to that row."""
    general = []
    for field_name, message in error.errors:
        parts = field_name.split(".")
        target = None
        if parts[0] == "composition" and len(parts) == 3:
            target = form.composition.entries[component_rows[int(parts[1])]].form[parts[2]]
        elif parts[0] == "contraindications" and len(parts) >= 2:
            target = form.contraindications.entries[condition_rows[int(parts[1])]].form.condition
        elif field_name in form and len(parts) == 1 and parts[0] not in ("composition", "contraindications"):
            target = form[field_name]
        if target is not None:
            target.errors = [*target.errors, message]
        else:
            general.append((parts[0], message))
    return general


def _messages(form: ProductForm) -> list[str]:
    """Every message on the form's fields and rows, for the summary at the top."""
    found = []
    for field in form:
        if field.type == "FieldList":
            for entry in field:
                found += [m for sub in entry.form for m in sub.errors]
        elif field.type != "CSRFTokenField":
            found += list(field.errors)
    return found


def _product_form(form: ProductForm, product: Product | None):
    """Add rows, or validate and save through the catalogue service, or show what was refused."""
    names = db.session.scalars(select(Condition.name).order_by(func.lower(Condition.name))).all()
    general, problems = [], []
    if form.add_rows.data:
        for _ in range(COMPONENT_ROWS):
            form.composition.append_entry()
    elif form.add_conditions.data:
        for _ in range(CONDITION_ROWS):
            form.contraindications.append_entry()
    form.set_condition_choices(names)
    suppliers = db.session.execute(select(Supplier.id, Supplier.name).order_by(Supplier.name)).all()
    form.set_supplier_choices([(supplier_id, name) for supplier_id, name in suppliers])
    if form.is_submitted() and not (form.add_rows.data or form.add_conditions.data):
        if form.validate():
            data, component_rows, condition_rows = form.product_data()
            try:
                if product is None:
                    product = create_product(data, actor=current_actor())
                else:
                    update_product(product, data, actor=current_actor())
            except CatalogueError as error:
                general = _show_product_errors(form, error, component_rows, condition_rows)
            else:
                db.session.commit()
                flash(f"Product {product.name} saved.", "success")
                return redirect(url_for("catalogue.product", product_id=product.id))
        problems = _messages(form) + [message for _field, message in general]
    return render_template(
        "catalogue/product_form.html", form=form, product=product, problems=problems,
        general=general, substance_names=queries.substance_names(), has_conditions=bool(names),
    )


@bp.route("/products/new", methods=["GET", "POST"])
@permission_required(Permission.EDIT_CATALOGUE)
def new_product():
    """A new product with its composition and contraindications."""
    form = ProductForm(data=None if request.method == "POST" else new_product_data())
    return _product_form(form, None)


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.EDIT_CATALOGUE)
def edit_product(product_id: int):
    """Change a product; the composition saved replaces the old one."""
    product = db.get_or_404(Product, product_id)
    form = ProductForm(data=None if request.method == "POST" else product_form_data(product))
    return _product_form(form, product)


@bp.route("/products/<int:product_id>/retire", methods=["POST"])
@permission_required(Permission.EDIT_CATALOGUE)
def retire_product(product_id: int):
    """Retire a product (no new stock or cocktails) or bring it back."""
    product = db.get_or_404(Product, product_id)
    retired = request.form.get("retired") == "1"
    set_retired(product, retired, actor=current_actor())
    db.session.commit()
    done = "is retired: it no longer takes new stock or cocktails." if retired else "is back in use."
    flash(f"{product.name} {done}", "success")
    return redirect(url_for("catalogue.product", product_id=product.id))
