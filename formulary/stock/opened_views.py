"""Discarding an opened vial in one click (from the dashboard or the lot page), with the reason recorded."""


from flask import flash, redirect, request, url_for

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.clinic_time import clinic_today
from formulary.extensions import db
from formulary.stock.blueprint import bp
from formulary.stock.errors import StockError
from formulary.stock.opened import discard, opened_units
from formulary.stock.opened_dashboard import lapsed_reason
from formulary.stock.opened_models import OpenedUnit


def _safe_next(default: str) -> str:
    target = request.form.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") else default


# The practitioner who finds a lapsed vial at the chair discards it: the same roles as administering.
@bp.route("/opened-units/<int:unit_id>/discard", methods=["POST"])
@permission_required(Permission.ADMINISTER)
def discard_opened(unit_id: int):
    """Waste what an opened vial still holds; the reason (lapsed, by default) goes into the lot's history."""
    unit = db.get_or_404(OpenedUnit, unit_id)
    row = next((r for r in opened_units(clinic_today(), lot_id=unit.lot_id) if r.id == unit.id), None)
    default = lapsed_reason(row) if row is not None and row.lapsed else "discarded before its use-by"
    reason = (request.form.get("reason") or "").strip() or default
    try:
        discard(unit, actor=current_actor(), reason=reason)
    except StockError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(f"Opened vial #{unit.id} of lot {unit.lot.lot_number} discarded ({reason}).", "success")
    return redirect(_safe_next(url_for("stock.lot", lot_id=unit.lot_id)))


@bp.app_context_processor
def opened_helpers():
    """Let the lot and product pages' partials read sealed units, opened vials and waste cost."""
    from formulary.stock.opened_dashboard import waste_cost
    from formulary.stock.opened_view import lot_contents

    return {"lot_contents": lot_contents, "opened_units_of": opened_units, "waste_cost_of": waste_cost,
            "today_for_opened": clinic_today()}
