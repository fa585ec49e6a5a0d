"""The session page's preparation: prepare the cocktail, print and scan the label, waste a preparation."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import bindparam, select

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.clinic_time import clinic_today, local_time_text
from formulary.db import utcnow
from formulary.extensions import db
from formulary.stock.errors import InsufficientStock
from formulary.treatments import display
from formulary.treatments.blueprint import bp
from formulary.treatments.label_content import LabelContent, label_content
from formulary.treatments.labels import DEFAULT_SIZE, SIZES, pdf, png
from formulary.treatments.models import TreatmentSession
from formulary.treatments.preparation_models import Preparation
from formulary.treatments.preparations import MAX_SYRINGES, confirm_scan, prepare, waste_preparation
from formulary.treatments.prepared import aware
from formulary.treatments.session_page import session_or_404
from formulary.treatments.sessions import CheckBlocked, SessionError
from formulary.vocabulary import PreparationStatus


@dataclass(frozen=True)
class PreparationPanel:
    """What the session page shows of its preparations: the one waiting, and every earlier one."""

    preparations: list[Preparation]
    use_by_minutes: int

    @property
    def waiting(self) -> Preparation | None:
        """The preparation still to be administered, if any."""
        return next((p for p in reversed(self.preparations) if p.status == PreparationStatus.PREPARED), None)

    def overdue(self, preparation: Preparation) -> bool:
        """Whether the preparation is past its use-by now."""
        return aware(preparation.use_by) < utcnow()


@cache
def _preparations_statement():
    # Built once: every session page asks it.
    return select(Preparation).where(Preparation.session_id == bindparam("session_id")).order_by(Preparation.id)


def preparation_panel(session: TreatmentSession) -> PreparationPanel:
    """The session's preparations, oldest first (one query, with their draws)."""
    preparations = list(db.session.scalars(_preparations_statement(), {"session_id": session.id}))
    return PreparationPanel(preparations, current_app.config["PREPARATION_USE_BY_MINUTES"])


@bp.app_context_processor
def preparation_helpers():
    """Let the session page's partial read its preparations without the page's view knowing of them."""
    return {"preparation_panel": preparation_panel, "label_sizes": SIZES}


def _back(session_id: int):
    return redirect(url_for("treatments.detail", session_id=session_id, _anchor="preparation"))


@bp.route("/<int:session_id>/prepare", methods=["POST"])
@permission_required(Permission.ADMINISTER)
def prepare_session(session_id: int):
    """Prepare the cocktail into syringes: the stock is drawn now, opened vials first."""
    session = session_or_404(session_id)
    try:
        syringes = int(request.form.get("syringes", "1") or "1")
    except ValueError:
        flash(f"Syringes must be a whole number from 1 to {MAX_SYRINGES}.", "danger")
        return _back(session_id)
    try:
        preparation = prepare(session, actor=current_actor(), today=clinic_today(), syringes=syringes,
                              use_by_minutes=current_app.config["PREPARATION_USE_BY_MINUTES"],
                              acknowledge_caution=bool(request.form.get("acknowledge_caution")),
                              override_reason=(request.form.get("override_reason") or "").strip() or None)
    except CheckBlocked as error:
        db.session.rollback()
        flash(display.blocked_message(session_or_404(session_id), str(error)), "danger")
        return _back(session_id)
    except (SessionError, InsufficientStock) as error:
        db.session.rollback()
        flash(f"Not prepared: {error}", "danger")
        return _back(session_id)
    db.session.commit()
    flash(f"Prepared PREP-{preparation.id}: print its label and use it by "
          f"{local_time_text(preparation.use_by)}.", "success")
    return _back(session_id)


@bp.route("/<int:session_id>/scan-label", methods=["POST"])
@permission_required(Permission.ADMINISTER)
def scan_label(session_id: int):
    """Confirm a scanned syringe label: right patient, right preparation, in time, or what is wrong."""
    session = session_or_404(session_id)
    result = confirm_scan(session, request.form.get("scan", ""), utcnow())
    flash(result.message, "success" if result.ok else "danger")
    return _back(session_id)


def _preparation_or_404(preparation_id: int) -> Preparation:
    return db.get_or_404(Preparation, preparation_id)


@bp.route("/preparations/<int:preparation_id>/waste", methods=["POST"])
@permission_required(Permission.ADMINISTER)
def waste(preparation_id: int):
    """Waste a preparation that will not be given, with the reason."""
    preparation = _preparation_or_404(preparation_id)
    try:
        waste_preparation(preparation, actor=current_actor(), reason=request.form.get("reason", ""))
    except SessionError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(f"PREP-{preparation.id} wasted; the reason is recorded.", "success")
    return _back(preparation.session_id)


def _size() -> str:
    size = request.args.get("size", DEFAULT_SIZE)
    return size if size in SIZES else DEFAULT_SIZE


@bp.route("/preparations/<int:preparation_id>/label")
@permission_required(Permission.ADMINISTER)
def label(preparation_id: int):
    """The label's print view: the label image at its printed size, and its text."""
    preparation = _preparation_or_404(preparation_id)
    content: LabelContent = label_content(preparation)
    return render_template("treatments/label.html", preparation=preparation, content=content, size=SIZES[_size()],
                           sizes=SIZES)


@bp.route("/preparations/<int:preparation_id>/label.png")
@permission_required(Permission.ADMINISTER)
def label_png(preparation_id: int):
    """The label as a PNG for the label printer."""
    return _label_file(preparation_id, "png")


@bp.route("/preparations/<int:preparation_id>/label.pdf")
@permission_required(Permission.ADMINISTER)
def label_pdf(preparation_id: int):
    """The label as a PDF of the label's size."""
    return _label_file(preparation_id, "pdf")


def _label_file(preparation_id: int, kind: str) -> Response:
    preparation = _preparation_or_404(preparation_id)
    size = _size()
    body = (png if kind == "png" else pdf)(label_content(preparation), size)
    return Response(body, mimetype="image/png" if kind == "png" else "application/pdf", headers={
        "Content-Disposition": f'inline; filename="PREP-{preparation.id}-{size}.{kind}"', "Cache-Control": "no-store"})
