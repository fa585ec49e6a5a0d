"""After planning: a reaction noticed after the session (an allergy in the same step), and cancelling."""

from flask import flash, redirect, url_for

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.extensions import db
from formulary.patients.records import PatientError
from formulary.treatments.blueprint import bp
from formulary.treatments.forms import CancelForm, ReactionForm
from formulary.treatments.session_page import act_with_reason, render_session, session_or_404
from formulary.treatments.sessions import SessionError, cancel, record_reaction


@bp.route("/<int:session_id>/reaction", methods=["POST"])
@permission_required(Permission.EDIT_PATIENTS)
def reaction(session_id: int):
    """Record a reaction on an administered session; naming an allergen records the allergy too."""
    session = session_or_404(session_id)
    form = ReactionForm()
    if form.validate_on_submit():
        allergen = (form.allergen.data or "").strip() or None
        try:
            row = record_reaction(session, form.description.data, actor=current_actor(),
                                  severity=form.severity.data, allergen=allergen,
                                  criticality=form.criticality.data)
        except (SessionError, PatientError) as error:
            db.session.rollback()
            fields = [field for field, _message in error.errors] if isinstance(error, PatientError) \
                else [error.field]
            target = {"allergen": form.allergen, "criticality": form.criticality, "severity": form.severity,
                      "description": form.description}.get(fields[0] or "", form.description)
            target.errors = [str(error)]
        else:
            message = "Reaction recorded on the session."
            if row.allergy is not None:
                allergy = row.allergy
                kind = ("a substance" if allergy.substance else "an allergen group" if allergy.group
                        else "free text, matched to no substance or group")
                message += (f" {session.patient.name}'s record now holds an allergy to {allergy.label} ({kind}): "
                            "every later check will find it.")
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("treatments.detail", session_id=session.id, _anchor="reactions"))
    return render_session(session_or_404(session_id), ("reaction", form))


@bp.route("/<int:session_id>/cancel", methods=["POST"])
@permission_required(Permission.RUN_CHECKS)
def cancel_session(session_id: int):
    """Cancel a session that was not administered, with a reason."""
    session = session_or_404(session_id)
    form = CancelForm(prefix="cancel")
    if form.validate_on_submit():
        def cancel_it(reason: str):
            cancel(session, actor=current_actor(), reason=reason)

        return act_with_reason(session, "cancel", form, cancel_it, SessionError,
                               ("Session cancelled; it stays on record with your reason.", "info"))
    return render_session(session_or_404(session_id), ("cancel", form))
