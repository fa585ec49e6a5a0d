"""Courses: book a patient's sessions at an interval, check each on its day, follow progress and stock.

Plain functions that flush, never commit. Whether stock in date lasts is the cocktails' series
forecast (formulary.cocktails.availability.forecast_bookings), served in turn with every other
open booking of the clinic, as FEFO will serve them.
"""

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from sqlalchemy import select

from formulary.audit.log import record
from formulary.clinic_time import NoSuchLocalTime, clinic_appointment
from formulary.cocktails.availability import Booking, SeriesSession, forecast_bookings
from formulary.cocktails.models import Cocktail
from formulary.cocktails.queries import recipe_lines
from formulary.extensions import db
from formulary.patients.models import Patient
from formulary.stock.draws import lot_stocks
from formulary.treatments.course_models import Course
from formulary.treatments.models import TreatmentSession
from formulary.treatments.sessions import check_session, plan_session
from formulary.vocabulary import OPEN_SESSION_STATUSES, SessionStatus

MAX_SESSIONS = 52
MAX_INTERVAL_DAYS = 365


class CourseInvalid(ValueError):
    """A course the rules refuse; `errors` names each field with its sentence."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__(" ".join(message for _field, message in errors))
        self.errors = errors


@dataclass(frozen=True)
class CoursePlan:
    """What a course is asked for: the patient and cocktail are resolved, the numbers not yet checked."""

    patient: Patient
    cocktail: Cocktail
    sessions: int
    interval_days: int
    first_on: date
    at: time | None = None
    goals: str = ""


def session_days(first_on: date, sessions: int, interval_days: int) -> list[date]:
    """The day of each session: the first, then every `interval_days`."""
    return [first_on + timedelta(days=interval_days * n) for n in range(sessions)]


def plan_problems(plan: CoursePlan, today: date) -> list[tuple[str, str]]:
    """Each field the plan gets wrong, with a sentence naming the value (empty when it can be booked)."""
    problems = []
    if not 1 <= plan.sessions <= MAX_SESSIONS:
        problems.append(("sessions", f"The number of sessions must be from 1 to {MAX_SESSIONS} (got {plan.sessions})."))
    if not 1 <= plan.interval_days <= MAX_INTERVAL_DAYS:
        problems.append(("interval_days", "The interval must be from 1 to "
                         f"{MAX_INTERVAL_DAYS} days (got {plan.interval_days})."))
    if plan.first_on < today:
        problems.append(("first_on", f"The first session cannot be in the past ({plan.first_on:%Y-%m-%d} is before "
                         f"today, {today:%Y-%m-%d})."))
    if plan.cocktail.retired:
        problems.append(("cocktail_id", f"{plan.cocktail.name} is retired: choose another cocktail."))
    if len(plan.goals) > 2000:
        problems.append(("goals", "Keep the goals under 2,000 characters."))
    if plan.at is not None and not problems:
        for day in session_days(plan.first_on, plan.sessions, plan.interval_days):
            try:
                clinic_appointment(day, plan.at)
            except NoSuchLocalTime as error:
                problems.append(("time", str(error)))
                break
    return problems


def start_course(plan: CoursePlan, *, practitioner, actor, today: date) -> Course:
    """Book the course's sessions (each records the cocktail's current version) and check each on its day."""
    problems = plan_problems(plan, today)
    if problems:
        raise CourseInvalid(problems)
    course = Course(patient=plan.patient, cocktail=plan.cocktail, goals=plan.goals.strip(),
                    session_count=plan.sessions, interval_days=plan.interval_days, first_on=plan.first_on,
                    at_time=plan.at, created_by_id=actor.id if actor is not None else None)
    db.session.add(course)
    db.session.flush()
    for day in session_days(plan.first_on, plan.sessions, plan.interval_days):
        starts_at = clinic_appointment(day, plan.at) if plan.at is not None else None
        session = plan_session(plan.patient, plan.cocktail, day, practitioner=practitioner, actor=actor,
                               starts_at=starts_at)
        session.course = course
        check_session(session, actor=actor)
    db.session.flush()
    record("course.start", actor=actor, target=course, detail=f"{plan.sessions} sessions")
    return course


@dataclass(frozen=True)
class CourseForecast:
    """Whether in-date stock lasts to the course's last session, and what runs short on which day."""

    sessions: list[tuple[TreatmentSession, SeriesSession]]  # the open sessions from today on
    short: list[tuple[int, date]] = field(default_factory=list)  # (product id, day)

    @property
    def stock_ok(self) -> bool:
        """Every open session of the course from today on is served."""
        return not self.short


def course_forecast(course: Course, today: date) -> CourseForecast:
    """Serve the clinic's open bookings from today to the course's last session in turn, by FEFO on each day;
    which of the course's sessions the stock in date covers."""
    mine = [s for s in course.sessions if s.status in OPEN_SESSION_STATUSES and s.scheduled_for >= today]
    if not mine:
        return CourseForecast([])
    last = max(s.scheduled_for for s in mine)
    booked = db.session.execute(
        select(TreatmentSession.id, TreatmentSession.scheduled_for, TreatmentSession.cocktail_version_id,
               TreatmentSession.course_id)
        .where(TreatmentSession.status.in_(OPEN_SESSION_STATUSES),
               TreatmentSession.scheduled_for.between(today, last))
        .order_by(TreatmentSession.scheduled_for, TreatmentSession.id)
    ).all()
    recipes = recipe_lines({row.cocktail_version_id for row in booked})
    bookings = [Booking(row.scheduled_for, recipes.get(row.cocktail_version_id, ()), row.course_id == course.id)
                for row in booked]
    products = {line.product_id for b in bookings for line in b.lines}
    forecast = forecast_bookings(bookings, lot_stocks(products, expiring_from=today) if products else {})
    by_id = {s.id: s for s in mine}
    ids = [row.id for row in booked if row.course_id == course.id]
    pairs = list(zip((by_id[i] for i in ids), forecast, strict=True))
    short = [(product_id, seen.on) for _s, seen in pairs for product_id in seen.short_product_ids]
    return CourseForecast(pairs, short)


@dataclass(frozen=True)
class Progress:
    """How far a course has come: sessions given, cancelled, still open, and the next one due."""

    total: int
    given: int
    cancelled: int
    open: int
    next_due: TreatmentSession | None
    overdue: bool

    @property
    def percent(self) -> int:
        """The share of the booked sessions given, for a progress bar."""
        counted = self.total - self.cancelled
        return round(100 * self.given / counted) if counted else 100


def progress(course: Course, today: date) -> Progress:
    """Sessions given, cancelled and open; the next due is the earliest open one (overdue when before today)."""
    statuses = [s.status for s in course.sessions]
    waiting = sorted((s for s in course.sessions if s.status in OPEN_SESSION_STATUSES),
                     key=lambda s: (s.scheduled_for, s.id))
    next_due = waiting[0] if waiting else None
    return Progress(
        total=len(statuses), given=statuses.count(SessionStatus.ADMINISTERED),
        cancelled=statuses.count(SessionStatus.CANCELLED), open=len(waiting), next_due=next_due,
        overdue=next_due is not None and next_due.scheduled_for < today,
    )


def courses_of(patient_id: int) -> list[Course]:
    """A patient's courses, newest first."""
    return list(db.session.scalars(
        select(Course).where(Course.patient_id == patient_id).order_by(Course.first_on.desc(), Course.id.desc())
    ))
