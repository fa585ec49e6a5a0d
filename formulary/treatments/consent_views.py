"""Consent pages: sign on the tablet or record the paper sheet, print it, and edit the clinic's wording."""

import base64
import binascii

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.extensions import db
from formulary.treatments import aftercare
from formulary.treatments.blueprint import bp
from formulary.treatments.consent import (
    DEFAULT_WORDING,
    ConsentDocument,
    ConsentRefused,
    build_document,
    record_consent,
    save_wording,
    wording_in_force,
)
from formulary.treatments.course_forms import ConsentForm, WordingForm
from formulary.treatments.session_page import session_or_404
from formulary.treatments.sessions import consent_required
from formulary.vocabulary import OPEN_SESSION_STATUSES, ConsentMethod


def _signature_bytes(data_url: str) -> bytes | None:
    """The PNG the pad wrote into the form (a data: URL), or None when there is none or it is not base64."""
    text = (data_url or "").partition(",")[2] if (data_url or "").startswith("data:") else (data_url or "")
    try:
        return base64.b64decode(text, validate=True) if text else None
    except (binascii.Error, ValueError):
        return None


@bp.route("/<int:session_id>/consent", methods=["GET", "POST"])
@permission_required(Permission.RUN_CHECKS)
def consent(session_id: int):
    """The consent the patient reads and signs: on this screen (the pad) or on the printed sheet."""
    session = session_or_404(session_id)
    if session.consent is not None:
        return redirect(url_for("treatments.consent_print", session_id=session.id))
    form = ConsentForm()
    problem = ""
    if session.status not in OPEN_SESSION_STATUSES:
        problem = f"This session is {session.status}: consent is recorded before administering."
    elif form.validate_on_submit():
        png = _signature_bytes(form.signature.data) if form.method.data == ConsentMethod.ON_SCREEN else None
        try:
            record_consent(session, form.method.data, actor=current_actor(), signature_png=png)
        except ConsentRefused as error:
            db.session.rollback()
            session = session_or_404(session_id)
            problem = str(error)
        else:
            db.session.commit()
            how = "signed on screen" if form.method.data == ConsentMethod.ON_SCREEN else "signed on paper"
            flash(f"Consent recorded ({how}); it is kept with the session and can be printed.", "success")
            return redirect(url_for("treatments.detail", session_id=session.id, _anchor="consent"))
    document = build_document(session, wording_in_force())
    status = 409 if problem else (422 if form.errors else 200)
    return render_template("treatments/consent.html", session=session, form=form, document=document,
                           advice=aftercare.blocks(document.aftercare), wording=aftercare.blocks(document.wording),
                           problem=problem, clinic=current_app.config["CLINIC_NAME"]), status


@bp.route("/<int:session_id>/consent/print")
def consent_print(session_id: int):
    """The consent to print: as signed (with the signature), or blank to be signed on paper."""
    session = session_or_404(session_id)
    signed = session.consent
    document = ConsentDocument.from_json(signed.document) if signed else build_document(session, wording_in_force())
    return render_template("treatments/consent_print.html", session=session, signed=signed, document=document,
                           advice=aftercare.blocks(document.aftercare), wording=aftercare.blocks(document.wording),
                           clinic=current_app.config["CLINIC_NAME"])


@bp.route("/<int:session_id>/consent/signature.png")
def consent_signature(session_id: int):
    """The signature drawn on the pad, as it was kept."""
    session = session_or_404(session_id)
    if session.consent is None or not session.consent.signature_png:
        abort(404)
    return Response(session.consent.signature_png, mimetype="image/png",
                    headers={"Cache-Control": "private, no-store"})


@bp.route("/consent-wording", methods=["GET", "POST"])
@permission_required(Permission.EDIT_COCKTAILS)
def consent_wording():
    """The clinic edits the consent wording; each save is a new version, signed consents keep theirs."""
    form = WordingForm()
    current = wording_in_force()
    if form.validate_on_submit():
        try:
            row = save_wording(form.body.data, actor=current_actor())
        except ConsentRefused as error:
            db.session.rollback()
            form.body.errors.append(str(error))
        else:
            db.session.commit()
            if row.version == current.version:
                flash(f"The wording is unchanged: still version {row.version}.", "info")
            else:
                flash(f"Consent wording saved as version {row.version}: consents signed from now on use it.",
                      "success")
            return redirect(url_for("treatments.consent_wording"))
    if not form.is_submitted():
        form.body.data = DEFAULT_WORDING if request.args.get("default") else current.body
    return render_template("treatments/consent_wording.html", form=form, current=current,
                           required=consent_required()), 422 if form.errors else 200
