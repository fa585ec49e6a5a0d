"""The audit trail page, for admins: read and filter, never edit (here, so that the trail needs nothing of auth)."""

from datetime import date, datetime, time, timedelta

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import select

from formulary.audit.models import AuditEvent
from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.clinic_time import clinic_zone
from formulary.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


def _parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@bp.route("")
@permission_required(Permission.VIEW_AUDIT)
def index():
    """Newest first; filter by user, action and day range."""
    start, last = _parse_day(request.args.get("from")), _parse_day(request.args.get("to"))
    filters = {
        "user": (request.args.get("user") or "").strip().lower(),
        "action": (request.args.get("action") or "").strip(),
        "from": start,
        "to": last,
    }
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if filters["user"]:
        query = query.where(AuditEvent.username == filters["user"])
    if filters["action"]:
        query = query.where(AuditEvent.action.startswith(filters["action"]))
    # The days are the clinic's: midnight on its own clock, as the trail shows the times.
    if start:
        query = query.where(AuditEvent.at >= datetime.combine(start, time(), clinic_zone()))
    if last:
        end = datetime.combine(last + timedelta(days=1), time(), clinic_zone())
        query = query.where(AuditEvent.at < end)
    page = db.paginate(query, per_page=current_app.config["PER_PAGE"], error_out=False)
    actions = db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    return render_template("audit/index.html", page=page, filters=filters, actions=list(actions))
