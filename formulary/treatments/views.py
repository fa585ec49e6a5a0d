"""Session pages: the list, planning, and a session with its check, override and administration.

The reaction and cancel actions, the recall page and the aftercare sheet are in actions.py and
print_views.py, on the same blueprint; the session page they all render is session_page.py's.
"""


from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.clinic_time import NoSuchLocalTime, appointment_shown, clinic_appointment, clinic_today
from formulary.extensions import db
from formulary.stock.errors import InsufficientStock
from formulary.treatments import display, queries
from formulary.treatments.blueprint import bp
from formulary.treatments.checks import CheckRefused, acknowledge, override
from formulary.treatments.choosing import offer_choices, read_choices
from formulary.treatments.forms import AdministerForm, OverrideForm, PlanForm
from formulary.treatments.models import SESSION_STATUSES, SafetyCheck, TreatmentSession
from formulary.treatments.preparation_models import Preparation
from formulary.treatments.session_page import act_with_reason, page_for, render_session, session_or_404
from formulary.treatments.sessions import CheckBlocked, SessionError, administer, check_session, drawn_summary
from formulary.treatments.sessions import plan_session as plan_treatment
from formulary.vocabulary import OPEN_SESSION_STATUSES, CheckOutcome, PreparationStatus


@bp.before_request
@permission_required(Permission.VIEW_PATIENTS)
def only_patient_readers():
    """Every page here shows patients; planning, administering and overriding need more (see each view)."""


@bp.context_processor
def helpers():
    """What the session templates share: links to other packages' pages, badges for checks."""
    return {"page_for": page_for, "not_checked": display.check_state(None),
            "severity_badges": display.SEVERITY_BADGES, "outcome_tones": display.OUTCOME_TONES,
            "session_outcome": display.session_outcome, "status_labels": display.STATUS_LABELS}


@bp.route("")
def index():
    """Upcoming and past sessions, filtered by date, status, practitioner and latest check, a page at a time."""
    today = clinic_today()
    filters = queries.parse_filters(request.args)
    page = db.paginate(queries.sessions_query(filters, today), per_page=current_app.config["PER_PAGE"],
                       error_out=False)
    return render_template(
        "treatments/index.html", page=page, filters=filters, badges=display.session_states(s.id for s in page.items),
        practitioners=queries.practitioner_choices(), statuses=SESSION_STATUSES, states=queries.CHECK_STATES,
        periods=queries.WHEN, today=today,
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.RUN_CHECKS)
def plan():
    """Plan a session for a patient (chosen, searched, or given by ?patient_id=) with a cocktail on a date."""
    form = PlanForm()
    search = (request.args.get("q") or "").strip()
    preset = request.args.get("patient_id", type=int)
    chosen = form.patient.data if form.is_submitted() else preset
    offer_choices(form, chosen_patient=chosen, search=search)
    if not form.is_submitted():
        found = [choice for choice in form.patient.choices if choice[0] != ""]
        form.patient.data = preset or (found[0][0] if search and len(found) == 1 else None)
        form.cocktail.data = request.args.get("cocktail_id", type=int)
        form.scheduled_for.data = clinic_today()
        form.practitioner.data = current_user.id
    elif form.validate():
        session = _plan(form)
        if session is not None:
            db.session.commit()
            flash(f"Session planned for {session.patient.name} on {appointment_shown(session)} with "
                  f"{session.cocktail_version.cocktail.name} (version {session.cocktail_version.number}). "
                  "Run the check to see whether it is safe.", "success")
            return redirect(url_for("treatments.detail", session_id=session.id))
    return render_template("treatments/plan.html", form=form, search=search,
                           found=len(form.patient.choices) - 1), 422 if form.errors else 200


def _plan(form: PlanForm) -> TreatmentSession | None:
    chosen = read_choices(form)
    patient, cocktail, practitioner = chosen.patient, chosen.cocktail, chosen.practitioner
    starts_at = None
    if form.at_time.data is not None and form.scheduled_for.data is not None:
        try:
            starts_at = clinic_appointment(form.scheduled_for.data, form.at_time.data)
        except NoSuchLocalTime as error:
            form.at_time.errors.append(str(error))
    if form.errors or patient is None or cocktail is None:
        return None
    try:
        return plan_treatment(patient, cocktail, form.scheduled_for.data, practitioner=practitioner,
                              actor=current_actor(), starts_at=starts_at)
    except SessionError as error:
        db.session.rollback()
        getattr(form, error.field or "cocktail").errors.append(str(error))
        return None


@bp.route("/<int:session_id>")
def detail(session_id: int):
    """A session: patient, cocktail version, the latest check in colour, every check and override, the draws."""
    return render_session(session_or_404(session_id))


@bp.route("/<int:session_id>/check", methods=["POST"])
@permission_required(Permission.RUN_CHECKS)
def run_check(session_id: int):
    """Run the pre-session check for the session's date and keep it on the session."""
    session = session_or_404(session_id)
    try:
        result, _row = check_session(session, actor=current_actor())
    except SessionError as error:
        db.session.rollback()
        flash(str(error), "warning")
    else:
        db.session.commit()
        count = len(result.findings)
        findings = f"{count} finding{'s' if count != 1 else ''}"
        flash({
            CheckOutcome.CLEAR: "Check clear: nothing found against this patient's record or the stock.",
            CheckOutcome.CAUTION: f"Check: caution — {findings} to read and acknowledge.",
            CheckOutcome.BLOCKED: "Check blocked: read why below.",
        }[result.outcome], display.OUTCOME_TONES[result.outcome])
    return redirect(url_for("treatments.detail", session_id=session.id, _anchor="check"))


def _check_of(session: TreatmentSession, check_id: int) -> SafetyCheck:
    check = next((c for c in session.checks if c.id == check_id), None)
    if check is None:
        abort(404)
    return check


@bp.route("/<int:session_id>/checks/<int:check_id>/acknowledge", methods=["POST"])
@permission_required(Permission.RUN_CHECKS)
def acknowledge_check(session_id: int, check_id: int):
    """The practitioner confirms having read the cautions."""
    session = session_or_404(session_id)
    try:
        acknowledge(_check_of(session, check_id), actor=current_actor())
    except CheckRefused as error:
        db.session.rollback()
        flash(str(error), "warning")
    else:
        db.session.commit()
        flash("Cautions acknowledged: the session can be administered.", "success")
    return redirect(url_for("treatments.detail", session_id=session.id, _anchor="check"))


@bp.route("/<int:session_id>/checks/<int:check_id>/override", methods=["POST"])
@permission_required(Permission.OVERRIDE_BLOCK)
def override_check(session_id: int, check_id: int):
    """Override a blocked check, with a written reason; only roles allowed to reach this."""
    session = session_or_404(session_id)
    check = _check_of(session, check_id)
    form = OverrideForm(prefix="override")
    if session.status not in OPEN_SESSION_STATUSES:
        form.reason.errors = [f"This session is {session.status}: there is nothing left to override."]
    elif check is not session.checks[-1]:
        form.reason.errors = ["Only the latest check can be overridden: it is the one administering relies on."]
    elif form.validate_on_submit():
        def override_it(reason: str):
            override(check, reason, actor=current_actor())

        return act_with_reason(session, "override", form, override_it, CheckRefused,
                               ("Block overridden; your reason is recorded on the session.", "success"), anchor="check")
    return render_session(session_or_404(session_id), ("override", form))


@bp.route("/<int:session_id>/administer", methods=["POST"])
@permission_required(Permission.ADMINISTER)
def administer_session(session_id: int):
    """Re-run the check, draw the stock (FEFO, or the lots scanned or picked) and record it, all or nothing."""
    session = session_or_404(session_id)
    today = clinic_today()
    form = AdministerForm(prefix="administer")
    form.lots.choices = queries.lot_choices(session, today) if session.status in OPEN_SESSION_STATUSES else []
    if not form.validate_on_submit():
        return render_session(session, ("administer", form))
    scanned, problems = queries.lots_from_scans(form.scans.data)
    if problems:
        form.scans.errors = problems
        return render_session(session, ("administer", form))
    actor = current_actor()
    reason = (form.override_reason.data or "").strip() or None
    try:
        draws = administer(
            session, actor=actor, today=today, acknowledge_caution=form.acknowledge_caution.data,
            override_reason=reason, areas=form.area_text(),
            scanned_lot_ids=list(dict.fromkeys([*scanned, *(form.lots.data or [])])),
        )
    except CheckBlocked as error:
        message = display.blocked_message(session, str(error))
        db.session.rollback()
        return render_session(session_or_404(session_id), ("administer", form), message, 409, names_findings=True)
    except SessionError as error:
        db.session.rollback()
        field = {"acknowledge_caution": form.acknowledge_caution, "lots": form.scans}.get(error.field or "")
        if field is not None:
            field.errors = [str(error)]
        return render_session(session_or_404(session_id), ("administer", form), str(error), 409)
    except InsufficientStock as error:
        db.session.rollback()
        return render_session(session_or_404(session_id), ("administer", form),
                              f"{error} Nothing was drawn; check the stock and try again.", 409)
    summary = drawn_summary(draws)
    prepared = db.session.scalar(select(Preparation.id).where(
        Preparation.session_id == session.id, Preparation.status == PreparationStatus.ADMINISTERED))
    db.session.commit()
    # A prepared session's stock left the shelf at preparation: say which syringe was given.
    flash(f"Administered from PREP-{prepared}: {summary}." if prepared else f"Administered. Drawn: {summary}.",
          "success")
    return redirect(url_for("treatments.detail", session_id=session.id))

