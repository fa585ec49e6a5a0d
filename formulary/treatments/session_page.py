"""The session page as every session route renders it, and the helpers the route modules share."""


from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm

from formulary.auth.session import current_actor
from formulary.clinic_time import clinic_today
from formulary.cocktails.dose_queries import version_doses
from formulary.cocktails.kit import session_kit
from formulary.extensions import db
from formulary.patients.records import audit_allergy_page
from formulary.treatments import display, queries
from formulary.treatments.checks import stored_findings
from formulary.treatments.forms import AdministerForm, CancelForm, OverrideForm, ReactionForm
from formulary.treatments.models import TreatmentSession
from formulary.vocabulary import OPEN_SESSION_STATUSES, SessionStatus

# The statuses in which a session can still be checked, overridden and administered.


def page_for(endpoint: str, **values) -> str | None:
    """The URL of a page that may not exist yet (patients and cocktails are other packages)."""
    return url_for(endpoint, **values) if endpoint in current_app.view_functions else None


def session_or_404(session_id: int) -> TreatmentSession:
    """The session with all its page shows, or the 404 page."""
    session = queries.load_session(session_id)
    if session is None:
        abort(404)
    return session


def render_session(session: TreatmentSession, failed: tuple[str, object] | None = None, problem: str = "",
                   status: int = 422, names_findings: bool = False):
    """The session page; after a refused action its form keeps the values and errors (and `status`).

    `names_findings`: `problem` names the findings of a check (a blocked administration), so the page
    shows the patient's allergies even when the session keeps no check.
    """
    today = clinic_today()
    forms: dict[str, FlaskForm] = {}  # only those the session's status shows (each signs a CSRF token)
    if session.status in OPEN_SESSION_STATUSES:
        forms["override"] = OverrideForm(prefix="override", formdata=None)
        forms["administer"] = AdministerForm(prefix="administer", formdata=None)
        forms["cancel"] = CancelForm(prefix="cancel", formdata=None)
    if session.status == SessionStatus.ADMINISTERED:
        # unprefixed: the patients' allergen type-ahead reads "allergen"
        forms["reaction"] = ReactionForm(formdata=None)
    if failed is not None:
        forms[failed[0]] = failed[1]
    panel = display.check_panel(session)
    if session.status in OPEN_SESSION_STATUSES:
        forms["administer"].lots.choices = queries.lot_choices(session, today)
    page = render_template(
        "treatments/detail.html", session=session, panel=panel, forms=forms, failed=failed and failed[0],
        problem=problem, today=today,
        state=display.check_state(session.checks[-1], session.checks[:-1]) if session.checks else None,
        history=[(c, stored_findings(c)) for c in reversed(session.checks)],
        # The reaction form's allergen list, for an app without the patients' type-ahead (which asks as you type).
        suggestions=queries.allergen_suggestions(session) if session.status == SessionStatus.ADMINISTERED
        and page_for("patients.allergen_suggestions") is None else [],
        kit=session_kit(session.cocktail_version_id), doses=version_doses(session.cocktail_version_id),
    )
    # After rendering: the commit would expire what the page is about to show.
    if panel is not None or names_findings:  # the check's findings speak of the patient's allergies
        audit_allergy_page(session.patient, actor=current_actor(), where=f"session #{session.id}")
    db.session.commit()
    return page, status if failed else 200


def act_with_reason(session: TreatmentSession, action: str, form, change, refusal: type[Exception],
                    done: tuple[str, str], anchor: str | None = None):
    """Call `change(reason)` with the form's reason, then commit, flash `done` (message, category) and go
    back to the session; refused, the session page again with the refusal on the reason field."""
    try:
        change(form.reason.data)
    except refusal as error:
        db.session.rollback()
        form.reason.errors.append(str(error))
        return render_session(session_or_404(session.id), (action, form))
    db.session.commit()
    flash(*done)
    return redirect(url_for("treatments.detail", session_id=session.id, _anchor=anchor))
