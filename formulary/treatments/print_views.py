"""Pages made to print or download: a lot's recall list (and .xlsx), the aftercare sheet and its wording."""


from flask import Response, current_app, flash, redirect, render_template, request, url_for

from formulary.audit.log import record
from formulary.auth.access import permission_required, require
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.clinic_time import clinic_today
from formulary.db import utcnow, writes_on_get
from formulary.extensions import db
from formulary.stock.errors import StockError
from formulary.stock.ledger import set_status
from formulary.stock.models import Lot
from formulary.treatments import aftercare, recall_letter
from formulary.treatments.blueprint import bp
from formulary.treatments.forms import AftercareTextForm, RecallForm, RecallLetterForm
from formulary.treatments.recall_export import recall_letters, recall_rows, workbook
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
                    flash(f"Lot {lot.lot_number} of {lot.product.name} is recalled: no session can use it any more. "
                          "Everyone who received it is listed below.", "success")
                return redirect(url_for("treatments.recall", lot_id=lot.id))
    rows = recall_rows(lot)
    return render_template(
        "treatments/recall.html", lot=lot, rows=rows, form=form, letters=_letters(lot, rows),
        lot_page=page_for("stock.lot", lot_id=lot.id), generated=utcnow(),
    ), 422 if form.errors else 200


def _letters(lot: Lot, rows):
    return recall_letters(lot, rows, recall_letter.letter_text(), current_app.config["CLINIC_NAME"])


@bp.route("/recall/<int:lot_id>/letters")
def recall_letters_page(lot_id: int):
    """The recall letters ready to print, one a page: every patient's, or one patient's (?patient=ID)."""
    lot = db.get_or_404(Lot, lot_id)
    letters = _letters(lot, recall_rows(lot))
    patient_id = request.args.get("patient", type=int)
    if patient_id is not None:
        letters = [letter for letter in letters if letter.patient_id == patient_id]
        if not letters:
            flash("That patient did not receive this lot: no letter to print.", "warning")
            return redirect(url_for("treatments.recall", lot_id=lot.id))
    return render_template("treatments/recall_letters.html", lot=lot, letters=letters,
                           clinic=current_app.config["CLINIC_NAME"])


@bp.route("/recall-letter", methods=["GET", "POST"])
@permission_required(Permission.EDIT_STOCK)
def recall_letter_text():
    """The clinic edits the recall letter; placeholders fill in each patient, product, lot and dates."""
    form = RecallLetterForm()
    lot_id = request.args.get("lot", type=int)
    if form.validate_on_submit():
        try:
            recall_letter.save_letter(form.body.data, actor=current_actor())
        except recall_letter.LetterError as error:
            db.session.rollback()
            form.body.errors.append(str(error))
        else:
            db.session.commit()
            flash("Recall letter saved: every recall letter printed from now on uses it.", "success")
            return redirect(url_for("treatments.recall", lot_id=lot_id) if lot_id
                            else url_for("treatments.recall_letter_text"))
    if not form.is_submitted():
        form.body.data = (recall_letter.DEFAULT_LETTER if request.args.get("default")
                          else recall_letter.letter_text())
    return render_template(
        "treatments/recall_letter_text.html", form=form, row=recall_letter.letter_row(),
        placeholders=recall_letter.PLACEHOLDERS, lot_id=lot_id, default=bool(request.args.get("default")),
    ), 422 if form.errors else 200


@bp.route("/recall/<int:lot_id>.xlsx")
@writes_on_get
def recall_workbook(lot_id: int):
    """The recall list as an .xlsx workbook."""
    lot = db.get_or_404(Lot, lot_id)
    rows = recall_rows(lot)
    content = workbook(lot, rows, generated=utcnow(), letters=_letters(lot, rows))
    # The export holds patient names: who took it stays in the audit trail.
    record("recall.export", actor=current_actor(), target=lot, detail=f"lot {lot.lot_number}")
    db.session.commit()
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in lot.lot_number)
    return Response(content, mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="recall-lot-{safe}-{clinic_today():%Y-%m-%d}.xlsx"',
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
