"""Appointment times: read on the clinic's clock (FORMULARY_TIMEZONE), stored in UTC, shown local; DST included."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from config import TestingConfig
from formulary import create_app
from formulary.clinic_time import NoSuchLocalTime, appointment_utc, today_in, wall_clock, zone_named
from formulary.extensions import db
from formulary.treatments.courses import CoursePlan, start_course
from formulary.treatments.models import TreatmentSession
from formulary.web import format_datetime
from tests.api.test_sessions_api import bearer
from tests.conftest import post_form
from tests.treatments import conftest as sessions_conftest
from tests.treatments.conftest import TODAY

clinic = sessions_conftest.clinic
PARIS = zone_named("Europe/Paris")
NEXT_YEAR = TODAY.year + 1


@pytest.mark.parametrize("day, at, utc", [
    (date(2026, 12, 15), time(14, 30), datetime(2026, 12, 15, 13, 30, tzinfo=UTC)),  # winter, UTC+1
    (date(2027, 7, 1), time(14, 30), datetime(2027, 7, 1, 12, 30, tzinfo=UTC)),  # summer, UTC+2
    (date(2027, 10, 31), time(2, 30), datetime(2027, 10, 31, 0, 30, tzinfo=UTC)),  # repeated hour: the first
    (date(2027, 3, 28), time(3, 0), datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),  # just after the skipped hour
])
def test_a_wall_clock_appointment_becomes_its_utc_instant(day, at, utc):
    assert appointment_utc(day, at, PARIS) == utc
    assert wall_clock(utc, PARIS) == f"{day:%Y-%m-%d} {at:%H:%M}"


def test_a_time_the_clocks_skip_is_refused_with_a_sentence():
    with pytest.raises(NoSuchLocalTime, match="02:30 does not exist on 2027-03-28 in Europe/Paris"):
        appointment_utc(date(2027, 3, 28), time(2, 30), PARIS)


def test_the_clinics_today_is_its_own_calendar_day():
    late_evening_utc = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert today_in(PARIS, late_evening_utc) == date(2027, 1, 1)
    assert today_in(zone_named("America/New_York"), late_evening_utc) == date(2026, 12, 31)


def test_stored_times_show_on_the_clinics_clock(app, monkeypatch):
    moment = datetime(2026, 12, 15, 13, 30, tzinfo=UTC)
    with app.app_context():
        assert format_datetime(moment) == "2026-12-15 14:30"
        monkeypatch.setitem(app.config, "TIMEZONE", "America/New_York")
        assert format_datetime(moment) == "2026-12-15 08:30"


def test_an_unknown_time_zone_stops_the_app_at_start():
    class Mars(TestingConfig):
        TIMEZONE = "Mars/Olympus_Mons"

    with pytest.raises(RuntimeError, match="FORMULARY_TIMEZONE='Mars/Olympus_Mons' is not a time zone"):
        create_app(Mars)


def test_a_weekly_course_across_the_spring_change_keeps_its_wall_clock_time(app, clinic, make_patient):
    first = date(NEXT_YEAR, 3, 31) - timedelta(days=(date(NEXT_YEAR, 3, 31).weekday() + 1) % 7 + 7)  # a Sunday
    course = start_course(CoursePlan(make_patient("Ana Silva"), clinic["cocktail"], 3, 7, first, time(14, 30)),
                          practitioner=None, actor=None, today=TODAY)
    offsets = [s.starts_at.astimezone(PARIS).utcoffset() for s in course.sessions]
    assert offsets == [timedelta(hours=1), timedelta(hours=2), timedelta(hours=2)]  # clocks went forward between
    assert {f"{s.starts_at.astimezone(PARIS):%H:%M}" for s in course.sessions} == {"14:30"}
    assert [s.scheduled_for for s in course.sessions] == [first + timedelta(days=7 * n) for n in range(3)]


def test_the_api_reads_and_answers_a_session_time_on_the_clinics_clock(client, api_token, clinic, make_patient):
    patient = make_patient("Ana Silva")
    db.session.commit()
    headers = bearer(api_token("practitioner")[1])
    day = date(NEXT_YEAR, 7, 1)
    made = client.post("/api/v1/sessions", headers=headers, json={
        "patient_id": patient.id, "cocktail_id": clinic["cocktail"].id, "scheduled_for": f"{day}T14:30"})
    assert made.status_code == 201, made.get_json()
    got = client.get(f"/api/v1/sessions/{made.get_json()['id']}", headers=headers).get_json()
    assert got["scheduled_for"] == f"{day}T14:30"
    assert got["starts_at"].startswith(f"{day}T12:30")  # UTC, two hours behind Paris in summer
    dated = client.post("/api/v1/sessions", headers=headers, json={
        "patient_id": patient.id, "cocktail_id": clinic["cocktail"].id, "scheduled_for": f"{day}"}).get_json()
    answer = client.get(f"/api/v1/sessions/{dated['id']}", headers=headers).get_json()
    assert answer["scheduled_for"] == f"{day}" and answer["starts_at"] is None


@pytest.mark.parametrize("text", [f"{NEXT_YEAR}-03-28T02:30" if date(NEXT_YEAR, 3, 28).weekday() == 6 else None,
                                  "2027-13-01T10:00", "2027-01-01T24:10", "tomorrow"])
def test_the_api_refuses_an_impossible_appointment_naming_scheduled_for(client, api_token, clinic, make_patient,
                                                                       text):
    if text is None:
        pytest.skip("the last Sunday of March next year is not the 28th")
    patient = make_patient("Ana Silva")
    db.session.commit()
    response = client.post("/api/v1/sessions", headers=bearer(api_token("practitioner")[1]), json={
        "patient_id": patient.id, "cocktail_id": clinic["cocktail"].id, "scheduled_for": text})
    assert response.status_code == 422 and "scheduled_for" in str(response.get_json())


@pytest.mark.parametrize("order, typed", [("DMY", "15/07/{y}"), ("MDY", "07/15/{y}"), ("DMY", "{y}-07-15")])
def test_the_plan_form_reads_the_clinics_date_order_and_a_time(app, client, login_as, monkeypatch, clinic,
                                                                make_patient, order, typed):
    monkeypatch.setitem(app.config, "DATE_ORDER", order)
    patient = make_patient("Ana Silva")
    user = login_as("practitioner")
    response = post_form(client, "/sessions/new", {
        "patient": patient.id, "cocktail": clinic["cocktail"].id, "practitioner": user.id,
        "scheduled_for": typed.format(y=NEXT_YEAR), "at_time": "09:15"})
    assert response.status_code == 200
    session = db.session.scalars(db.select(TreatmentSession)).one()
    assert session.scheduled_for == date(NEXT_YEAR, 7, 15)
    assert f"{session.starts_at.astimezone(PARIS):%H:%M}" == "09:15"
    assert f"{date(NEXT_YEAR, 7, 15)} 09:15" in response.get_data(as_text=True)


def test_the_audit_trail_shows_and_filters_by_the_clinics_clock(client, login_as):
    from formulary.audit.models import AuditEvent

    # 23:30 UTC on 14 December is 00:30 on the 15th in Paris: the trail shows it, and finds it, on the 15th.
    db.session.add(AuditEvent(at=datetime(2026, 12, 14, 23, 30, tzinfo=UTC), action="demo.late", username="x"))
    db.session.flush()
    login_as("admin")
    on_the_15th = client.get("/admin/audit?action=demo.late&from=2026-12-15&to=2026-12-15").get_data(as_text=True)
    assert "2026-12-15 00:30" in on_the_15th and "UTC" not in on_the_15th
    on_the_14th = client.get("/admin/audit?action=demo.late&from=2026-12-14&to=2026-12-14").get_data(as_text=True)
    assert "2026-12-15 00:30" not in on_the_14th
