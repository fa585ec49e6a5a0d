"""Patient pages: the list, a profile with allergies and conditions, and the forms that change them."""

from datetime import date

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.clinic_time import clinic_today
from formulary.extensions import db
from formulary.patients import queries
from formulary.patients.blueprint import bp
from formulary.patients.forms import (
    ALLERGY_STATUS_HELP,
    AllergyForm,
    AllergyStatusForm,
    PatientForm,
    patient_form_data,
)
from formulary.patients.models import Allergy
from formulary.patients.proposals import accepted, proposal
from formulary.patients.reading import read_allergy
from formulary.patients.records import (
    PatientError,
    add_allergy,
    audit_allergy_page,
    create_patient,
    set_allergy_status,
    update_patient,
)
from formulary.reference.names import normalize_name
from formulary.vocabulary import AllergyHistory


@bp.before_request
@permission_required(Permission.VIEW_PATIENTS)
def only_patient_readers():
    """Every page here shows patients; changing them needs EDIT_PATIENTS (see each view)."""


def age_on(born: date | None, today: date) -> int | None:
    """Age in whole years on a day."""
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@bp.context_processor
def helpers():
    """Ages, and which other pages exist to link to or include."""
    views = current_app.view_functions
    return {
        "age": lambda born: age_on(born, clinic_today()),
        "catalogue_links": "catalogue.substance" in views and "catalogue.group" in views,
        # The treatments pages add a patient's sessions to the profile once they exist.
        "sessions_panel": "treatments.detail" in views,
        "plan_session": "treatments.plan" in views,
        "allergy_status_help": ALLERGY_STATUS_HELP,
        "read_allergy": read_allergy,  # what a free-text allergy's words name, as the check reads them
    }


def get_patient(patient_id: int):
    """The patient with allergies and conditions loaded, or the 404 page."""
    patient = queries.load_patient(patient_id)
    if patient is None:
        abort(404)
    return patient


def show_errors(form, error: PatientError) -> list[str]:
    """Put each refused value's message on its form field; return the others for the summary."""
    general = []
    for field_name, message in error.errors:
        if field_name in form:
            form[field_name].errors = [*form[field_name].errors, message]
        else:
            general.append(message)
    return general


@bp.route("/")
def index():
    """Search patients by name, clinic reference or date of birth."""
    text = (request.args.get("q") or "").strip()
    query = queries.patient_query(text, current_app.config.get("DATE_ORDER", "DMY"))
    page = queries.PatientPage(query=query, per_page=current_app.config["PER_PAGE"], error_out=False)
    ids = [patient.id for patient in page.items]
    return render_template(
        "patients/index.html", page=page, q=text,
        allergy_counts=queries.active_allergy_counts(ids),
    )


@bp.route("/allergen-suggestions")
def allergen_suggestions():
    """The type-ahead of the allergy form: names and synonyms that match, with what each codes to."""
    suggestions = queries.allergen_suggestions(request.args.get("q", "")[:200])
    return jsonify({"items": [suggestion.as_json() for suggestion in suggestions]})


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.EDIT_PATIENTS)
def new():
    """Add a patient: identity, allergy history and conditions."""
    form = PatientForm()
    form.set_condition_choices(queries.all_conditions())
    problems, duplicates = [], []
    if form.validate_on_submit():
        if not form.same_person_checked.data:
            duplicates = queries.possible_duplicates(form.name.data or "", form.date_of_birth.data)
        if duplicates:
            # A question, not a refusal: the same form again, with the records it may duplicate.
            return render_template("patients/form.html", form=form, patient=None, problems=[],
                                   duplicates=duplicates)
        try:
            patient = create_patient(form.patient_data(), actor=current_actor())
        except PatientError as error:
            db.session.rollback()
            problems = show_errors(form, error)
        else:
            db.session.commit()
            if patient.allergy_status == AllergyHistory.RECORDED:
                flash(f"Patient {patient.name} added. Now record their allergies.", "success")
                return redirect(url_for("patients.new_allergy", patient_id=patient.id))
            flash(f"Patient {patient.name} added.", "success")
            return redirect(url_for("patients.detail", patient_id=patient.id))
    return render_template("patients/form.html", form=form, patient=None, problems=problems, duplicates=[])


@bp.route("/<int:patient_id>")
def detail(patient_id: int):
    """A patient's profile: identity, allergy history, allergies and conditions (the view is audited)."""
    patient = get_patient(patient_id)
    page = render_template("patients/detail.html", patient=patient, status_form=AllergyStatusForm())
    audit_allergy_page(patient, actor=current_actor(), where="patient page")
    return page


@bp.route("/<int:patient_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.EDIT_PATIENTS)
def edit(patient_id: int):
    """Change a patient's identity, allergy history or conditions."""
    patient = get_patient(patient_id)
    form = PatientForm(data=None if request.method == "POST" else patient_form_data(patient))
    form.set_condition_choices(queries.all_conditions())
    problems = []
    if form.validate_on_submit():
        try:
            update_patient(patient, form.patient_data(), actor=current_actor())
        except PatientError as error:
            db.session.rollback()
            problems = show_errors(form, error)
        else:
            db.session.commit()
            flash(f"Patient {patient.name} saved.", "success")
            return redirect(url_for("patients.detail", patient_id=patient.id))
    return render_template("patients/form.html", form=form, patient=patient, problems=problems, duplicates=[])


@bp.route("/<int:patient_id>/allergies/new", methods=["GET", "POST"])
@permission_required(Permission.EDIT_PATIENTS)
def new_allergy(patient_id: int):
    """Record an allergy, coded to a substance or group by any of its names, or kept as free text."""
    patient = get_patient(patient_id)
    form = AllergyForm()
    problems = []
    proposed = None
    if form.validate_on_submit():
        typed = " ".join((form.allergen.data or "").split())
        # Words that are not exactly a name are read, and what they name is proposed: nothing is coded silently.
        proposed = None if form.coding.data else proposal(typed)
        if proposed is None:
            try:
                data = accepted(form.allergy_data(), form.coding.data) if form.coding.data else form.allergy_data()
                allergy = add_allergy(patient, data, actor=current_actor())
            except PatientError as error:
                db.session.rollback()
                problems = show_errors(form, error)
            else:
                db.session.commit()
                flash(*_recorded_message(allergy, typed, chosen=bool(form.coding.data)))
                return redirect(url_for("patients.detail", patient_id=patient.id))
    return render_template("patients/allergy_form.html", form=form, patient=patient, problems=problems,
                           proposed=proposed)


def _recorded_message(allergy: Allergy, typed: str, *, chosen: bool = False) -> tuple[str, str]:
    """What the practitioner is told after recording an allergy: what it was coded to, or that it was not."""
    if allergy.text is not None:
        return (f"Allergy recorded as free text: “{allergy.text}”. The check reads its words at every session "
                "and asks for a review when they name nothing it checks.", "warning")
    kind = "substance" if allergy.substance is not None else "allergen group"
    message = f"Allergy to {allergy.label} ({kind}) recorded."
    if chosen and normalize_name(typed) != normalize_name(allergy.label):
        message += f" You chose it for “{typed}”, kept in the reaction note."
    elif normalize_name(typed) != normalize_name(allergy.label):
        message += f" “{typed}” is another name for it."
    return message, "success"


@bp.route("/<int:patient_id>/allergies/<int:allergy_id>/status", methods=["POST"])
@permission_required(Permission.EDIT_PATIENTS)
def allergy_status(patient_id: int, allergy_id: int):
    """Set an allergy active, inactive or resolved; allergies are never deleted."""
    allergy = db.session.get(Allergy, allergy_id)
    if allergy is None or allergy.patient_id != patient_id:
        abort(404)
    form = AllergyStatusForm()
    if not form.validate_on_submit():
        flash("Choose active, inactive or resolved; nothing was changed.", "danger")
    else:
        try:
            set_allergy_status(allergy, form.status.data, actor=current_actor(),
                               verification_status=form.verification_status.data or None)
        except PatientError as error:
            db.session.rollback()
            flash(" ".join(message for _field, message in error.errors), "danger")
        else:
            db.session.commit()
            flash(f"The allergy to {allergy.label} is now {allergy.status} ({allergy.verification_status}).",
                  "success")
    return redirect(url_for("patients.detail", patient_id=patient_id))
