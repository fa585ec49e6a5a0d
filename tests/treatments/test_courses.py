"""Courses: booking the sessions at an interval, checking each, progress, next due, and whether stock lasts."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from formulary.extensions import db
from formulary.treatments.course_models import Course
from formulary.treatments.courses import CourseInvalid, CoursePlan, course_forecast, progress, start_course
from formulary.treatments.models import TreatmentSession
from formulary.treatments.sessions import administer, cancel, plan_session
from tests.api.test_sessions_api import bearer
from tests.treatments import conftest as sessions_conftest
from tests.treatments.conftest import TODAY

clinic = sessions_conftest.clinic
TOMORROW = TODAY + timedelta(days=1)


@pytest.fixture
def ana(make_patient):
    return make_patient("Ana Silva")


@pytest.fixture
def headers(api_token):
    return bearer(api_token("practitioner")[1])


def start(patient, cocktail, sessions=4, every=14, first=TOMORROW, **kwargs):
    return start_course(CoursePlan(patient, cocktail, sessions, every, first, **kwargs),
                        practitioner=None, actor=None, today=TODAY)


def test_a_course_books_its_sessions_at_the_interval_and_checks_each_on_its_day(clinic, ana):
    course = start(ana, clinic["cocktail"], goals="brighter skin")
    days = [s.scheduled_for for s in course.sessions]
    assert days == [TOMORROW + timedelta(days=14 * n) for n in range(4)]
    assert all(s.course_id == course.id and s.patient_id == ana.id for s in course.sessions)
    assert all(s.cocktail_version_id == clinic["cocktail"].current.id for s in course.sessions)
    # each checked for its own day
    assert [s.checks[-1].checked_for for s in course.sessions] == days
    assert {s.status for s in course.sessions} == {"checked"}
    assert course.goals == "brighter skin"


@pytest.mark.parametrize("sessions, every, first, field", [
    (0, 14, TOMORROW, "sessions"),
    (53, 14, TOMORROW, "sessions"),
    (4, 0, TOMORROW, "interval_days"),
    (4, 14, TODAY - timedelta(days=1), "first_on"),
])
def test_bad_numbers_are_refused_naming_the_field_and_nothing_is_booked(clinic, ana, sessions, every, first, field):
    before = db.session.scalar(select(func.count(TreatmentSession.id)))
    with pytest.raises(CourseInvalid) as refused:
        start(ana, clinic["cocktail"], sessions=sessions, every=every, first=first)
    assert [f for f, _m in refused.value.errors] == [field]
    assert db.session.scalar(select(func.count(TreatmentSession.id))) == before
    assert db.session.scalar(select(func.count(Course.id))) == 0


def test_stock_lasting_to_the_last_session_counts_the_other_bookings_first(clinic, ana, make_patient):
    # Single-use 2 mL vials, one of each product a session: HA 2 + 5 vials, Vitamin B 5 vials.
    course = start(ana, clinic["cocktail"])
    assert course_forecast(course, TODAY).stock_ok
    # Another patient's five sessions, booked after Ana's first, on its day: FEFO serves bookings in turn,
    # Ana's first, then Bea's; the Vitamin B left after four of Bea's is gone before Ana's second.
    other = make_patient("Bea Costa")
    for _n in range(5):
        plan_session(other, clinic["cocktail"], TOMORROW, practitioner=None, actor=None)
    forecast = course_forecast(course, TODAY)
    assert not forecast.stock_ok
    assert forecast.short == [(clinic["vit"].id, TOMORROW + timedelta(days=14 * n)) for n in (1, 2, 3)]
    assert [seen.covered for _s, seen in forecast.sessions] == [True, False, False, False]


def test_stock_running_out_of_date_before_a_late_session_is_named(clinic, ana):
    # Only the early HA lot (2 vials expiring in 40 days) can serve: the late one is quarantined.
    clinic["late"].status = "quarantined"
    db.session.flush()
    course = start(ana, clinic["cocktail"], sessions=3, every=30)
    forecast = course_forecast(course, TODAY)
    assert forecast.short == [(clinic["ha"].id, TOMORROW + timedelta(days=60))]


def test_progress_and_next_due_follow_what_was_given_and_cancelled(app, clinic, ana):
    course = start(ana, clinic["cocktail"], first=TODAY)
    first, second, *_ = course.sessions
    state = progress(course, TODAY)
    assert (state.total, state.given, state.open, state.next_due) == (4, 0, 4, first)
    administer(first, actor=None, today=TODAY)
    cancel(second, actor=None, reason="patient away")
    state = progress(course, TODAY)
    assert (state.given, state.cancelled, state.open) == (1, 1, 2)
    assert state.next_due is course.sessions[2] and not state.overdue
    assert state.percent == 33


def test_the_api_starts_a_course_and_answers_its_sessions_and_stock(client, headers, clinic, ana):
    db.session.commit()
    response = client.post("/api/v1/courses", headers=headers, json={
        "patient_id": ana.id, "cocktail_id": clinic["cocktail"].id, "sessions": 4, "interval_days": 21,
        "first_on": TOMORROW.isoformat(), "time": "14:30", "goals": "hydration"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["stock_ok"] is True and "short" not in body
    assert [s["scheduled_for"] for s in body["sessions"]] == [
        f"{TOMORROW + timedelta(days=21 * n):%Y-%m-%d}T14:30" for n in range(4)]
    got = client.get(f"/api/v1/courses/{body['id']}", headers=headers).get_json()
    assert [s["status"] for s in got["sessions"]] == ["checked"] * 4
    assert got["next_due"]["id"] == body["sessions"][0]["id"]
    assert got["stock_ok"] is True and got["given"] == 0 and got["time"] == "14:30"


@pytest.mark.parametrize("change, field", [
    ({"sessions": 0}, "sessions"),
    ({"interval_days": 0}, "interval_days"),
    ({"first_on": (TODAY - timedelta(days=3)).isoformat()}, "first_on"),
    ({"cocktail_id": 999999}, "cocktail_id"),
    ({"time": "25:00"}, "time"),
])
def test_the_api_refuses_bad_input_with_422_naming_the_field(client, headers, clinic, ana, change, field):
    db.session.commit()
    body = {"patient_id": ana.id, "cocktail_id": clinic["cocktail"].id, "sessions": 4, "interval_days": 14,
            "first_on": TOMORROW.isoformat(), **change}
    response = client.post("/api/v1/courses", headers=headers, json=body)
    assert response.status_code == 422
    answer = response.get_json()
    assert field in str(answer)
    assert db.session.scalar(select(func.count(TreatmentSession.id))) == 0


def test_an_unknown_course_is_404(client, headers):
    assert client.get("/api/v1/courses/424242", headers=headers).status_code == 404


def test_the_start_a_course_page_books_and_shows_the_course(client, login_as, clinic, ana):
    from tests.conftest import post_form

    user = login_as("practitioner")
    page = client.get(f"/sessions/courses/new?patient_id={ana.id}")
    assert page.status_code == 200 and f'<option selected value="{ana.id}">' in page.get_data(as_text=True)
    done = post_form(client, f"/sessions/courses/new?patient_id={ana.id}", {
        "patient": ana.id, "cocktail": clinic["cocktail"].id, "goals": "Brighter skin", "sessions": 4,
        "interval_days": 14, "first_on": f"{TOMORROW:%d/%m/%Y}", "at_time": "10:00", "practitioner": user.id})
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and "Course started for Ana Silva: 4 sessions booked" in text
    assert "0 of 4 sessions given" in text and "Stock in date lasts to the last session" in text
    assert "Next due: <a href=" in text and f"{TOMORROW:%Y-%m-%d} 10:00" in text
    assert "Brighter skin" in text


@pytest.mark.parametrize("change, message", [
    ({"sessions": "0"}, "The number of sessions must be from 1 to 52."),
    ({"interval_days": "0"}, "The interval must be from 1 to 365 days."),
    ({"first_on": f"{TODAY - timedelta(days=2):%Y-%m-%d}"}, "The first session cannot be in the past"),
    ({"first_on": "31/02/2027"}, "Not a date"),
    ({"cocktail": "999999"}, "Choose the cocktail."),
])
def test_the_course_form_refuses_bad_input_naming_the_field(client, login_as, clinic, ana, change, message):
    from tests.conftest import post_form

    user = login_as("practitioner")
    data = {"patient": ana.id, "cocktail": clinic["cocktail"].id, "sessions": 4, "interval_days": 14,
            "first_on": f"{TOMORROW:%Y-%m-%d}", "practitioner": user.id, **change}
    refused = post_form(client, "/sessions/courses/new", data)
    assert refused.status_code == 422 and message in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Course.id))) == 0


def test_the_patient_pages_partial_lists_courses_with_progress_and_stock(app, client, login_as, clinic, ana):
    from flask import render_template_string
    from flask_login import login_user

    course = start(ana, clinic["cocktail"])
    user = login_as("practitioner")
    with app.test_request_context():
        login_user(user)
        html = render_template_string('{% include "patients/_courses.html" %}', patient=ana)
    assert f"/sessions/courses/{course.id}" in html and "0 of 4 given" in html and "Stock lasts" in html
    assert f"/sessions/courses/new?patient_id={ana.id}" in html
    assert f"Next due: <a href=\"/sessions/{course.sessions[0].id}\">{TOMORROW:%Y-%m-%d}</a>" in html
