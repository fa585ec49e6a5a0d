"""Supplier pages: the list, adding and changing one, and a supplier's page with the products it sells."""

from flask import flash, redirect, render_template, request, url_for

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.catalogue.models import Supplier
from formulary.extensions import db
from formulary.purchasing.blueprint import bp
from formulary.purchasing.errors import PurchasingError
from formulary.purchasing.forms import SupplierForm
from formulary.purchasing.queries import supplier_rows
from formulary.purchasing.suppliers import SupplierData, create_supplier, update_supplier


@bp.route("/suppliers")
@permission_required(Permission.VIEW_STOCK)
def suppliers():
    """Every supplier, with its lead time, products and open orders."""
    return render_template("purchasing/suppliers.html", rows=supplier_rows())


def _supplier_form(form: SupplierForm, supplier: Supplier | None):
    """Validate and save through the service, or show each refused field."""
    if form.validate_on_submit():
        data = SupplierData(name=form.name.data or "", lead_time_days=form.lead_time_days.data,
                            email=form.email.data or "", phone=form.phone.data or "",
                            contact_person=form.contact_person.data or "", notes=form.notes.data or "")
        try:
            if supplier is None:
                supplier = create_supplier(data, actor=current_actor())
            else:
                update_supplier(supplier, data, actor=current_actor())
        except PurchasingError as error:
            db.session.rollback()
            for field_name, message in error.errors:
                getattr(form, field_name).errors.append(message)
        else:
            db.session.commit()
            flash(f"{supplier.name} is saved.", "success")
            return redirect(url_for("purchasing.supplier", supplier_id=supplier.id))
    status = 422 if form.errors else 200
    return render_template("purchasing/supplier_form.html", form=form, supplier=supplier), status


@bp.route("/suppliers/new", methods=["GET", "POST"])
@permission_required(Permission.EDIT_CATALOGUE)
def new_supplier():
    """Add a supplier."""
    return _supplier_form(SupplierForm(), None)


@bp.route("/suppliers/<int:supplier_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.EDIT_CATALOGUE)
def edit_supplier(supplier_id: int):
    """Change a supplier's contacts or lead time."""
    supplier = db.get_or_404(Supplier, supplier_id)
    form = SupplierForm(obj=supplier if request.method == "GET" else None)
    return _supplier_form(form, supplier)


@bp.route("/suppliers/<int:supplier_id>")
@permission_required(Permission.VIEW_STOCK)
def supplier(supplier_id: int):
    """A supplier's contacts, lead time and the products it sells with their packs."""
    found = db.get_or_404(Supplier, supplier_id)
    products = [product for product in found.products if not product.retired]
    return render_template("purchasing/supplier.html", supplier=found, products=products)
