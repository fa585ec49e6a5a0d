"""Course pages: start a course for a patient, a course with its progress and stock, the patient page's list."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.catalogue.models import Product
from formulary.clinic_time import clinic_today
from formulary.cocktails.models import Cocktail
from formulary.extensions import db
from formulary.treatments.blueprint import bp
from formulary.treatments.choosing import offer_choices, read_choices
from formulary.treatments.course_forms import CourseForm
from formulary.treatments.course_models import Course
from formulary.treatments.courses import CourseInvalid, CoursePlan, course_forecast, courses_of, progress, start_course
from formulary.treatments.display import session_states

# Where each refusal of the domain lands on the form.
FORM_FIELDS = {"sessions": "sessions", "interval_days": "interval_days", "first_on": "first_on",
               "cocktail_id": "cocktail", "time": "at_time", "goals": "goals"}


@bp.route("/courses/new", methods=["GET", "POST"])
@permission_required(Permission.RUN_CHECKS)
def course_new():
    """Start a course for a patient (?patient_id=): goals, cocktail, sessions, interval, first date and time."""
    form = CourseForm()
    preset = request.args.get("patient_id", type=int)
    chosen = form.patient.data if form.is_submitted() else preset
    offer_choices(form, chosen_patient=chosen)
    if not form.is_submitted():
        form.patient.data = preset
        form.cocktail.data = request.args.get("cocktail_id", type=int)
        form.first_on.data = clinic_today()
        form.practitioner.data = current_user.id
    elif form.validate():
        course = _start(form)
        if course is not None:
            db.session.commit()
            flash(f"Course started for {course.patient.name}: {course.session_count} sessions booked, every "
                  f"{course.interval_days} days from {course.first_on:%Y-%m-%d}.", "success")
            return redirect(url_for("treatments.course", course_id=course.id))
    series = _series_defaults()
    return render_template("treatments/course_new.html", form=form, series=series), 422 if form.errors else 200


def _series_defaults() -> dict[int, tuple[int | None, int | None]]:
    """Each cocktail's series setting (sessions, days between), which the form offers as a start."""
    rows = db.session.scalars(db.select(Cocktail))
    return {c.id: (c.current.series_sessions, c.current.series_interval_days) for c in rows if c.current}


def _start(form: CourseForm) -> Course | None:
    chosen = read_choices(form)
    patient, cocktail, practitioner = chosen.patient, chosen.cocktail, chosen.practitioner
    if form.errors or patient is None or cocktail is None:
        return None
    plan = CoursePlan(patient, cocktail, form.sessions.data, form.interval_days.data, form.first_on.data,
                      form.at_time.data, form.goals.data or "")
    try:
        return start_course(plan, practitioner=practitioner, actor=current_actor(), today=clinic_today())
    except CourseInvalid as error:
        db.session.rollback()
        for name, message in error.errors:
            getattr(form, FORM_FIELDS.get(name, "cocktail")).errors.append(message)
        return None


@bp.route("/courses/<int:course_id>")
def course(course_id: int):
    """A course: its goals, every session with its check, progress, the next one due, and whether stock lasts."""
    found = db.get_or_404(Course, course_id)
    today = clinic_today()
    forecast = course_forecast(found, today)
    seen = {s.id: f for s, f in forecast.sessions}
    return render_template(
        "treatments/course.html", course=found, progress=progress(found, today), forecast=forecast, seen=seen,
        states=session_states(s.id for s in found.sessions), products=_product_names(forecast), today=today,
    )


def _product_names(forecast) -> dict[int, str]:
    ids = {product_id for product_id, _on in forecast.short}
    return {p.id: p.name for p in db.session.scalars(db.select(Product).where(Product.id.in_(ids)))} if ids else {}


@bp.app_template_global("patient_courses")
def patient_courses(patient_id: int) -> list[tuple[Course, object, object]]:
    """The patient's courses with their progress and stock forecast, for templates/patients/_courses.html."""
    today = clinic_today()
    return [(c, progress(c, today), course_forecast(c, today)) for c in courses_of(patient_id)]
