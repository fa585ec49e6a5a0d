"""The dashboard's session panels: the next 14 days with check status, and sessions stock cannot serve."""

from datetime import time, timedelta

from sqlalchemy import event

from formulary.clinic_time import clinic_appointment
from formulary.extensions import db
from formulary.treatments.dashboard import session_dashboard
from formulary.treatments.sessions import check_session, plan_session
from tests.treatments.conftest import TODAY


def plan(clinic, patient, user, days, cocktail=None):
    return plan_session(patient, cocktail or clinic["cocktail"], TODAY + timedelta(days=days), practitioner=user,
                        actor=user)


def test_upcoming_sessions_show_their_check_status(client, login_as, clinic, make_patient):
    user = login_as("practitioner")
    blocked = plan(clinic, make_patient("Bea Blocked", allergies=["parabens"]), user, 2)
    check_session(blocked, actor=user)
    plan(clinic, make_patient("Una Unchecked"), user, 5)
    plan(clinic, make_patient("Far Future"), user, 30)
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    panel = page[page.index('id="upcoming-sessions"'):page.index('id="blocked-by-stock"')]
    assert "Bea Blocked" in panel and ">Blocked</span>" in panel
    assert "Una Unchecked" in panel and ">Not checked</span>" in panel
    assert "Far Future" not in panel


def test_an_upcoming_appointment_shows_its_time_on_the_clinics_clock(client, login_as, clinic, make_patient):
    user = login_as("practitioner")
    day = TODAY + timedelta(days=3)
    plan_session(make_patient("Tia Timed"), clinic["cocktail"], day, practitioner=user, actor=user,
                 starts_at=clinic_appointment(day, time(14, 30)))
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    panel = page[page.index('id="upcoming-sessions"'):page.index('id="blocked-by-stock"')]
    assert f"{day:%Y-%m-%d} 14:30" in panel  # stored in UTC, shown on the clinic's wall clock


def test_sessions_the_stock_cannot_serve_are_listed_in_date_order(client, login_as, clinic, make_patient):
    user = login_as("practitioner")
    # 10 mL of Vitamin Complex B at 1 mL a session in whole 2 mL vials: five sessions, the sixth is short.
    for day in range(1, 7):
        plan(clinic, make_patient(f"Patient {day}"), user, day)
    db.session.commit()
    found = session_dashboard(TODAY)
    assert [row.session.patient.name for row in found.blocked] == ["Patient 6"]
    assert found.blocked[0].shortages == ("Vitamin Complex B 2 mL: short by 1 mL",)
    page = client.get("/").get_data(as_text=True)
    panel = page[page.index('id="blocked-by-stock"'):]
    assert "Patient 6" in panel and "Vitamin Complex B 2 mL: short by 1 mL" in panel and "Patient 5" not in panel


def test_a_lot_expiring_before_the_session_day_does_not_serve_it(clinic, make_patient, make_user):
    user = make_user("practitioner")
    # HA: 4 mL expiring in 40 days, 10 mL later; only HA-LATE is usable in 100 days, and it still covers one.
    plan(clinic, make_patient("Late Lena"), user, 100)
    found = session_dashboard(TODAY)
    assert found.blocked == []
    from formulary.stock.ledger import waste

    waste(clinic["late"], "10", actor=None, reason="broken")
    assert [row.session.patient.name for row in session_dashboard(TODAY).blocked] == ["Late Lena"]


def test_the_panels_cost_a_bounded_number_of_queries(clinic, make_patient, make_user, make_product, make_lot,
                                                     make_cocktail):
    user = make_user("practitioner")

    def statements():
        seen = []

        def before(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            session_dashboard(TODAY)
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
        return len([s for s in seen if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))])

    check_session(plan(clinic, make_patient("One"), user, 1), actor=user)
    few = statements()
    for i in range(12):  # other cocktails, products and patients: nothing may load row by row
        product = make_product(f"Extra {i}")
        make_lot(product, quantity="4")
        cocktail = make_cocktail(f"Extra cocktail {i}", [(product, "1")])
        check_session(plan(clinic, make_patient(f"Patient {i}"), user, i % 14, cocktail), actor=user)
    assert statements() == few <= 8


def test_no_panels_without_sessions(client, login_as):
    login_as("manager")
    page = client.get("/").get_data(as_text=True)
    assert "No session planned in the next 14 days." in page
    assert "The stock on hand covers every booked session." in page
