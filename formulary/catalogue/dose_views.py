"""Setting a substance's maximum per session from its page (managers and admins)."""

from flask import flash, redirect, request, url_for

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.catalogue.blueprint import bp
from formulary.catalogue.dose_limits import set_max_dose
from formulary.catalogue.errors import CatalogueError
from formulary.catalogue.models import Substance
from formulary.extensions import db
from formulary.quantity import fmt_quantity


@bp.route("/substances/<int:substance_id>/max-dose", methods=["POST"])
@permission_required(Permission.EDIT_CATALOGUE)
def max_dose(substance_id: int):
    """Set or clear the clinic's maximum per session; the check gives a `dose` finding above it."""
    substance = db.get_or_404(Substance, substance_id)
    try:
        value = set_max_dose(substance, request.form.get("max_mg_per_session"), actor=current_actor())
    except CatalogueError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        if value is None:
            flash(f"{substance.name} has no maximum per session now.", "info")
        else:
            flash(f"Maximum of {substance.name} per session: {fmt_quantity(value)} mg. A cocktail above it is "
                  f"blocked by the check, with the arithmetic.", "success")
    return redirect(url_for("catalogue.substance", substance_id=substance.id, _anchor="max-dose"))
