"""The demo clinic's course: four sessions a fortnight apart for a patient the check allows, from next week."""

from datetime import date, time, timedelta

from sqlalchemy import func, select

from formulary.auth.users import find_user
from formulary.cocktails.models import Cocktail
from formulary.extensions import db
from formulary.patients.models import Patient
from formulary.treatments.checks import check_patient
from formulary.treatments.course_models import Course
from formulary.treatments.courses import CourseInvalid, CoursePlan, start_course
from formulary.treatments.models import TreatmentSession
from formulary.vocabulary import AllergyHistory, CheckOutcome, SessionStatus

GOALS = "Hydration and a brighter complexion before the summer; discussed at the consultation."


def load(today: date) -> list[str]:
    """Start the demo course, unless a course is there already."""
    if db.session.scalar(select(func.count()).select_from(Course)):
        return ["Demo course already there."]
    practitioner = find_user("practitioner")
    first = today + timedelta(days=7)
    booked = select(TreatmentSession.patient_id).where(TreatmentSession.status != SessionStatus.ADMINISTERED)
    patients = db.session.scalars(select(Patient).where(Patient.allergy_status == AllergyHistory.NONE_KNOWN,
                                                        Patient.id.not_in(booked)).order_by(Patient.id)).all()
    cocktails = db.session.scalars(select(Cocktail).where(Cocktail.retired.is_(False)).order_by(Cocktail.id)).all()
    for patient in patients:
        for cocktail in cocktails:
            if check_patient(patient.id, cocktail.current.id, first).outcome != CheckOutcome.CLEAR:
                continue
            try:
                course = start_course(CoursePlan(patient, cocktail, 4, 14, first, time(14, 30), GOALS),
                                      practitioner=practitioner, actor=practitioner, today=today)
            except CourseInvalid as refused:
                return [f"Demo course skipped: {refused}"]
            return [f"Demo course: 4 sessions of {cocktail.name} for {patient.name}, every 14 days from "
                    f"{course.first_on:%Y-%m-%d}."]
    return ["Demo course skipped: no patient without known allergies for whom a cocktail is clear."]
