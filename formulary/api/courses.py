"""API: courses — a patient's sessions booked at an interval, their progress and whether stock lasts."""

import marshmallow as ma
from flask.views import MethodView

from formulary.api.answers import api_user, load_or_404, refuse_fields
from formulary.api.blueprint import ApiBlueprint, ErrorSchema, allowed, links
from formulary.api.schemas import Day, Id, Text, TimeOfDay
from formulary.auth.permissions import Permission
from formulary.clinic_time import appointment_text, clinic_today
from formulary.cocktails.models import Cocktail
from formulary.extensions import db
from formulary.patients.models import Patient
from formulary.treatments.course_models import Course
from formulary.treatments.courses import (
    MAX_INTERVAL_DAYS,
    MAX_SESSIONS,
    CourseInvalid,
    CoursePlan,
    course_forecast,
    progress,
    start_course,
)

blp = ApiBlueprint("api_courses", __name__, description="Courses: a patient's sessions booked at an interval")


class CourseIn(ma.Schema):
    patient_id = Id(required=True, strict=True)
    cocktail_id = Id(required=True, strict=True)
    sessions = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(1, MAX_SESSIONS),
                                 metadata={"description": "How many sessions"})
    interval_days = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(1, MAX_INTERVAL_DAYS),
                                      metadata={"description": "Days between sessions"})
    first_on = Day(required=True, metadata={"description": "The first session's day: today or later"})
    time = TimeOfDay(load_default=None, allow_none=True,
                     metadata={"description": "Every session's time, HH:MM on the clinic's clock"})
    goals = Text(max_length=2000, load_default="", metadata={"description": "The patient's goals, as discussed"})


class BookedSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    scheduled_for = ma.fields.String(required=True, metadata={
        "description": "YYYY-MM-DD, or YYYY-MM-DDTHH:MM on the clinic's clock"})
    status = ma.fields.String(metadata={"description": "planned, checked, administered or cancelled"})


class ShortSchema(ma.Schema):
    product_id = ma.fields.Integer(required=True)
    on = ma.fields.Date(required=True, metadata={"description": "The day of the session it runs short for"})


class StartedSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    sessions = ma.fields.List(ma.fields.Nested(BookedSchema), required=True)
    stock_ok = ma.fields.Boolean(required=True, metadata={
        "description": "Whether stock in date, served in turn with the other bookings, lasts to the last session"})
    short = ma.fields.List(ma.fields.Nested(ShortSchema), metadata={"description": "What runs short, when"})


class CourseSchema(StartedSchema):
    patient_id = ma.fields.Integer(required=True)
    cocktail_id = ma.fields.Integer(required=True)
    goals = ma.fields.String(required=True)
    interval_days = ma.fields.Integer(required=True)
    first_on = ma.fields.Date(required=True)
    time = ma.fields.String(allow_none=True, required=True)
    given = ma.fields.Integer(required=True, metadata={"description": "Sessions administered"})
    next_due = ma.fields.Nested(BookedSchema, allow_none=True, required=True,
                                metadata={"description": "The earliest session still open, or null"})


def _booked(session, with_status: bool = False) -> dict:
    answer = {"id": session.id, "scheduled_for": appointment_text(session.scheduled_for, session.starts_at)}
    if with_status:
        answer["status"] = session.status
    return answer


def _stock(course: Course) -> dict:
    forecast = course_forecast(course, clinic_today())
    answer: dict = {"stock_ok": forecast.stock_ok}
    if forecast.short:
        answer["short"] = [{"product_id": product_id, "on": on} for product_id, on in forecast.short]
    return answer


@blp.route("/courses")
class Courses(MethodView):
    @allowed(blp, Permission.RUN_CHECKS)
    @blp.arguments(CourseIn)
    @blp.response(201, StartedSchema)
    @links(blp, 201, "course_id", GetCourse=("get", "/courses/{course_id}"))
    def post(self, body):
        """Start a course: book its sessions (each checked on its day) and say whether in-date stock lasts."""
        patient = db.session.get(Patient, body["patient_id"])
        cocktail = db.session.get(Cocktail, body["cocktail_id"])
        if patient is None or cocktail is None:
            refuse_fields(422, "", [(f"{what}_id", f"There is no {what} with id {body[f'{what}_id']}.")
                                    for what, row in (("patient", patient), ("cocktail", cocktail)) if row is None])
        plan = CoursePlan(patient, cocktail, body["sessions"], body["interval_days"], body["first_on"],
                          body["time"], body["goals"])
        try:
            course = start_course(plan, practitioner=api_user(), actor=api_user(), today=clinic_today())
        except CourseInvalid as error:
            refuse_fields(422, "", error.errors)
        answer = {"id": course.id, "sessions": [_booked(s) for s in course.sessions], **_stock(course)}
        db.session.commit()
        return answer, 201


@blp.route("/courses/<int:course_id>")
class CourseById(MethodView):
    @allowed(blp, Permission.VIEW_PATIENTS)
    @blp.response(200, CourseSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No course with this id")
    def get(self, course_id):
        """A course: its sessions with their status, the next one due, and whether in-date stock lasts."""
        course = load_or_404(lambda key: db.session.get(Course, key), course_id, "course")
        done = progress(course, clinic_today())
        return {
            "id": course.id, "patient_id": course.patient_id, "cocktail_id": course.cocktail_id,
            "goals": course.goals, "interval_days": course.interval_days, "first_on": course.first_on,
            "time": f"{course.at_time:%H:%M}" if course.at_time else None,
            "sessions": [_booked(s, with_status=True) for s in course.sessions], "given": done.given,
            "next_due": _booked(done.next_due, with_status=True) if done.next_due else None, **_stock(course),
        }
