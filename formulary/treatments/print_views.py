"""Pages made to print or download: a lot's recall list (and .xlsx), the aftercare sheet and its wording."""

from datetime import date

from flask import Response, current_app, flash, redirect, render_template, request, url_for

from formulary.audit.log import record
from formulary.auth.access import permission_required, require
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.db import utcnow, writes_on_get
from formulary.extensions import db
from formulary.stock.errors import StockError
from formulary.stock.ledger import set_status
from formulary.stock.models import Lot
from formulary.treatments import aftercare
from formulary.treatments.blueprint import bp
from formulary.treatments.forms import AftercareTextForm, RecallForm
from formulary.treatments.recall_export import recall_rows, workbook
from formulary.treatments.session_page import page_for, session_or_404
from formulary.vocabulary import LotStatus, SessionStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/recall/<int:lot_id>", methods=["GET", "POST"])
def recall(lot_id: int):
    """Every session and patient that received a lot, ready to print; recall it here if it is not yet."""
    lot = db.get_or_404(Lot, lot_id)
    form = RecallForm()
    if request.method == "POST":
        require(Permission.EDIT_STOCK)
        if form.validate_on_submit():
            try:
                changed = set_status(lot, LotStatus.RECALLED, actor=current_actor(), reason=form.reason.data)
            except StockError as error:
                db.session.rollback()
                form.reason.errors.append(str(error))
                lot = db.get_or_404(Lot, lot_id)
            else:
                db.session.commit()
                if changed is None:
                    flash(f"Lot {lot.lot_number} was already recalled.", "info")
                else:
                    flash(f"Lot {lot.lot_number} of {lot.product.name} is recalled: FEFO no longer draws it. "
                          "Everyone who received it is listed below.", "success")
                return redirect(url_for("treatments.recall", lot_id=lot.id))
    rows = recall_rows(lot)
    return render_template(
        "treatments/recall.html", lot=lot, rows=rows, form=form, patients=len({r.patient_id for r in rows}),
        lot_page=page_for("stock.lot", lot_id=lot.id), generated=utcnow(),
    ), 422 if form.errors else 200


@bp.route("/recall/<int:lot_id>.xlsx")
@writes_on_get
def recall_workbook(lot_id: int):
    """The recall list as an .xlsx workbook."""
    lot = db.get_or_404(Lot, lot_id)
    content = workbook(lot, recall_rows(lot), generated=utcnow())
    # The export holds patient names: who took it stays in the audit trail.
    record("recall.export", actor=current_actor(), target=lot, detail=f"lot {lot.lot_number}")
    db.session.commit()
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in lot.lot_number)
    return Response(content, mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="recall-lot-{safe}-{date.today():%Y-%m-%d}.xlsx"',
    })


@bp.route("/<int:session_id>/aftercare")
def aftercare_sheet(session_id: int):
    """The printable aftercare sheet of an administered session."""
    session = session_or_404(session_id)
    if session.status != SessionStatus.ADMINISTERED:
        flash("The aftercare sheet is printed once the session is administered.", "info")
        return redirect(url_for("treatments.detail", session_id=session.id))
    return render_template(
        "treatments/aftercare.html", session=session, advice=aftercare.blocks(aftercare.advice_text()),
        clinic=current_app.config["CLINIC_NAME"],
    )


@bp.route("/aftercare-text", methods=["GET", "POST"])
@permission_required(Permission.EDIT_COCKTAILS)
def aftercare_text():
    """The clinic edits the aftercare advice; plain text, shown escaped."""
    form = AftercareTextForm()
    if form.validate_on_submit():
        aftercare.save_advice(form.body.data, actor=current_actor())
        db.session.commit()
        flash("Aftercare wording saved: every aftercare sheet printed from now on uses it.", "success")
        return redirect(url_for("treatments.aftercare_text"))
    if not form.is_submitted():
        form.body.data = aftercare.DEFAULT_ADVICE if request.args.get("default") else aftercare.advice_text()
    return render_template(
        "treatments/aftercare_text.html", form=form, row=aftercare.advice_row(),
        preview=aftercare.blocks(form.body.data or ""), default=bool(request.args.get("default")),
    ), 422 if form.errors else 200
