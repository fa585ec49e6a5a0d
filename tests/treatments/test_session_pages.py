"""The session pages: list, plan, check (blocked, caution, clear), override, administer, reaction, cancel."""

from decimal import Decimal

from sqlalchemy import event, func, select

from formulary.extensions import db
from formulary.stock.models import Lot, StockMovement
from formulary.treatments.models import Override, Reaction, SafetyCheck, TreatmentSession
from formulary.treatments.sessions import check_session, plan_session
from tests.conftest import post_form
from tests.treatments.conftest import TODAY


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def planned(clinic, patient, user, on=TODAY):
    session = plan_session(patient, clinic["cocktail"], on, practitioner=user, actor=user)
    db.session.commit()
    return session


def html(response):
    return response.get_data(as_text=True)


def test_the_empty_list_invites_planning(client, login_as):
    login_as("practitioner")
    page = html(client.get("/sessions"))
    assert "No sessions planned" in page and 'href="/sessions/new"' in page


def test_a_practitioner_plans_a_session_and_sees_the_block_with_its_path(client, login_as, clinic, make_patient):
    user = login_as("practitioner")
    patient = make_patient("Paula Paraben", allergies=["parabens"], reference="P-0042")
    db.session.commit()
    form = client.get(f"/sessions/new?patient_id={patient.id}")
    assert form.status_code == 200 and f'<option selected value="{patient.id}">' in html(form)
    response = post_form(client, "/sessions/new", {
        "patient": patient.id, "cocktail": clinic["cocktail"].id, "scheduled_for": TODAY.isoformat(),
        "practitioner": user.id,
    })
    page = html(response)
    assert "Session planned for Paula Paraben" in page and "Not checked yet" in page
    session = db.session.scalars(select(TreatmentSession)).one()
    assert session.status == "planned" and session.cocktail_version.number == 1
    assert response.headers["Cache-Control"] == "no-store"

    page = html(post_form(client, f"/sessions/{session.id}/check", {}))
    assert "Check blocked: read why below." in page
    assert "Blocked: allergic to parabens (high criticality) — methylparaben is an excipient in the cocktail: Vitamin Complex B 2 mL" \
        in page
    for step in ["allergy: parabens", "substance: methylparaben (excipient)", "product: Vitamin Complex B 2 mL",
                 "component 2"]:
        assert f"<li>{step}</li>" in page
    assert "Checked 1 active allergy, 0 conditions and 2 products with 3 substances, and the 2 lots the session " \
           f"would draw on {TODAY.isoformat()} (soonest expiry first)." in page
    # A practitioner is told who may override, and gets no override form.
    assert "Only a manager or an admin may override" in page and 'name="override-reason"' not in page


def test_the_plan_form_refuses_missing_choices(client, login_as, clinic):
    login_as("practitioner")
    response = post_form(client, "/sessions/new", {"patient": "", "cocktail": "", "scheduled_for": ""})
    page = html(response)
    assert response.status_code == 422
    assert "Choose the patient." in page and "Choose the cocktail." in page and "Enter the session&#39;s date." in page
    assert count(TreatmentSession) == 0
    odd = post_form(client, "/sessions/new", {"patient": "99999999999", "cocktail": "x", "practitioner": "0",
                                              "scheduled_for": "2026-02-30"})
    assert odd.status_code == 422 and count(TreatmentSession) == 0
    for message in ["Choose the patient from the list.", "Choose the cocktail from the list.",
                    "Choose the practitioner from the list.", "Not a date: &#39;2026-02-30&#39;"]:
        assert message in html(odd)


def test_a_practitioner_cannot_override(client, login_as, clinic, make_patient):
    user = login_as("practitioner")
    session = planned(clinic, make_patient("Paula Paraben", allergies=["parabens"]), user)
    _result, check = check_session(session, actor=user)
    db.session.commit()
    response = post_form(client, f"/sessions/{session.id}/checks/{check.id}/override",
                         {"override-reason": "Patch test negative last week; patient consents in writing."})
    assert response.status_code == 403 and "may not override a blocked check" in html(response)
    assert count(Override) == 0


def test_a_manager_overrides_with_a_reason_and_the_practitioner_administers(
    app, client, login_as, clinic, make_patient, make_user
):
    practitioner = make_user("practitioner")
    session = planned(clinic, make_patient("Paula Paraben", allergies=["parabens"]), practitioner)
    _result, check = check_session(session, actor=practitioner)
    db.session.commit()
    login_as("manager")
    url = f"/sessions/{session.id}/checks/{check.id}/override"
    short = post_form(client, url, {"override-reason": "fine"})
    assert short.status_code == 422 and "at least a sentence" in html(short) and count(Override) == 0
    page = html(post_form(client, url, {"override-reason": "Patch test to parabens negative on 2026-11-01; consents."}))
    assert "Block overridden" in page and "Patch test to parabens negative" in page
    assert count(Override) == 1

    from tests.conftest import log_in

    client = app.test_client()  # the practitioner, in a browser of her own
    log_in(client, practitioner.username)
    response = post_form(client, f"/sessions/{session.id}/administer",
                         {"administer-areas": ["cheeks", "forehead"], "administer-other_areas": "temples"})
    page = html(response)
    assert "Administered. Drawn: 2 mL of HA 1% 2 mL (lot HA-EARLY), 2 mL of Vitamin Complex B 2 mL (lot VB-1)." in page
    db.session.expire_all()
    # FEFO: the earliest-expiring HA lot gives a whole 2 mL vial (1.5 administered, 0.5 wasted).
    assert db.session.get(Lot, clinic["early"].id).on_hand == Decimal("2")
    assert db.session.get(Lot, clinic["late"].id).on_hand == Decimal("10")
    assert db.session.get(Lot, clinic["vit_lot"].id).on_hand == Decimal("8")
    assert db.session.get(TreatmentSession, session.id).areas == "forehead, cheeks, temples"
    assert "Stock drawn" in page and "HA-EARLY" in page and "1.5 mL" in page and "0.5 mL" in page
    assert "Areas treated: forehead, cheeks, temples" in page
    # The first check and its override stay on the page for good, with the check at administration.
    assert page.count("Overridden by") >= 1 and "Checks and overrides" in page


def test_administering_a_blocked_session_is_refused_and_nothing_changes(client, login_as, clinic, make_patient):
    user = login_as("practitioner")
    session = planned(clinic, make_patient("Paula Paraben", allergies=["parabens"]), user)
    check_session(session, actor=user)
    db.session.commit()
    movements, checks = count(StockMovement), count(SafetyCheck)
    response = post_form(client, f"/sessions/{session.id}/administer",
                         {"administer-override_reason": "I know this patient well and she is fine."})
    assert response.status_code == 409
    page = html(response)
    assert "Not administered: Your role (practitioner) may not override a blocked check" in page
    assert "methylparaben is an excipient in the cocktail: Vitamin Complex B 2 mL" in page
    assert count(StockMovement) == movements and count(SafetyCheck) == checks and count(Override) == 0
    assert db.session.get(TreatmentSession, session.id).status == "checked"


def test_a_caution_is_acknowledged_before_administering(client, login_as, clinic, make_patient):
    user = login_as("practitioner")
    session = planned(clinic, make_patient("Never Asked", allergy_status="unknown"), user)
    refused = post_form(client, f"/sessions/{session.id}/administer", {})
    assert refused.status_code == 409 and "Read and acknowledge the cautions before administering." in html(refused)
    assert count(StockMovement) == 3  # the three receipts only

    page = html(post_form(client, f"/sessions/{session.id}/check", {}))
    assert "allergy history never recorded" in page and "I have read the cautions" in page
    check = db.session.scalars(select(SafetyCheck)).one()
    page = html(post_form(client, f"/sessions/{session.id}/checks/{check.id}/acknowledge", {}))
    assert "Cautions acknowledged" in page
    done = post_form(client, f"/sessions/{session.id}/administer", {"administer-areas": ["neck"]})
    assert "Administered." in html(done)
    assert db.session.get(TreatmentSession, session.id).status == "administered"


def test_a_caution_can_be_acknowledged_on_the_administer_form(client, login_as, clinic, make_patient):
    user = login_as("practitioner")
    session = planned(clinic, make_patient("Never Asked", allergy_status="unknown"), user)
    page = html(post_form(client, f"/sessions/{session.id}/administer", {"administer-acknowledge_caution": "y"}))
    assert "Administered." in page
    checks = db.session.scalars(select(SafetyCheck)).all()
    assert [c.acknowledged_at is not None for c in checks] == [True]


def test_a_lot_emptied_by_someone_else_is_named_and_nothing_is_drawn(client, login_as, clinic, make_patient,
                                                                        monkeypatch):
    user = login_as("practitioner")
    session = planned(clinic, make_patient(), user)
    from formulary.stock import ledger
    from formulary.stock import opened as sessions_module  # where a session's draw moves the ledger

    real_move = ledger.move

    def racing_move(lot, kind, delta, **kwargs):
        if lot.lot_number == "VB-1" and kind == "administer":
            real_move(lot, "waste", -lot.on_hand, actor=None, reason="drawn by another practitioner")
        return real_move(lot, kind, delta, **kwargs)

    monkeypatch.setattr(sessions_module, "move", racing_move)
    before = count(StockMovement)
    response = post_form(client, f"/sessions/{session.id}/administer", {})
    assert response.status_code == 409
    assert ("Not enough stock: 1 mL needed from lot VB-1 of Vitamin Complex B 2 mL, only 0 mL available."
            in html(response))
    db.session.expire_all()
    assert count(StockMovement) == before
    assert db.session.get(Lot, clinic["early"].id).on_hand == Decimal("4")
    assert db.session.get(TreatmentSession, session.id).status == "planned"


def test_a_stock_block_says_so(client, login_as, clinic, make_patient):
    from formulary.stock.ledger import set_status

    user = login_as("practitioner")
    session = planned(clinic, make_patient(), user)
    set_status(clinic["vit_lot"], "recalled", actor=None, reason="recall notice")
    db.session.commit()
    response = post_form(client, f"/sessions/{session.id}/administer", {})
    assert response.status_code == 409
    assert "Not administered: Blocked: no usable stock of Vitamin Complex B 2 mL for 1 mL" in html(response)
    assert "lot VB-1 recalled" in html(response)
    page = html(post_form(client, f"/sessions/{session.id}/check", {}))
    assert "Stock blocks this session, and no override can change that" in page
    assert "blocked by stock. It can be administered once a new check finds the stock" in page


def test_a_reaction_becomes_an_allergy_in_one_step(client, login_as, clinic, make_patient):
    user = login_as("practitioner")
    patient = make_patient("Rita Reaction")
    session = planned(clinic, patient, user)
    post_form(client, f"/sessions/{session.id}/administer", {})
    page = html(client.get(f"/sessions/{session.id}"))
    assert "Record a reaction" in page and 'name="allergen"' in page
    page = html(post_form(client, f"/sessions/{session.id}/reaction", {
        "description": "Hives on both cheeks two hours later", "severity": "moderate",
        "allergen": "methylparaben", "criticality": "high",
    }))
    assert "Rita Reaction&#39;s record now holds an allergy to methylparaben (a substance)" in page
    reaction = db.session.scalars(select(Reaction)).one()
    assert reaction.allergy.substance.name == "methylparaben" and reaction.allergy.criticality == "high"
    assert "Recorded as an allergy to <strong>methylparaben</strong>" in page
    # The next session with the same cocktail is blocked by it.
    later = planned(clinic, patient, user)
    result, _check = check_session(later, actor=user)
    assert result.outcome == "blocked"


def test_a_reaction_needs_a_description_and_records_nothing_without(client, login_as, clinic, make_patient):
    user = login_as("practitioner")
    session = planned(clinic, make_patient(), user)
    post_form(client, f"/sessions/{session.id}/administer", {})
    response = post_form(client, f"/sessions/{session.id}/reaction", {"description": "", "allergen": "parabens"})
    assert response.status_code == 422 and "Describe the reaction." in html(response)
    assert count(Reaction) == 0


def test_a_planned_session_is_cancelled_with_a_reason(client, login_as, clinic, make_patient):
    user = login_as("practitioner")
    session = planned(clinic, make_patient(), user)
    refused = post_form(client, f"/sessions/{session.id}/cancel", {"cancel-reason": ""})
    assert refused.status_code == 422 and "Give a reason for cancelling." in html(refused)
    page = html(post_form(client, f"/sessions/{session.id}/cancel", {"cancel-reason": "patient called in sick"}))
    assert "Session cancelled" in page and "Cancelled: patient called in sick" in page
    assert db.session.get(TreatmentSession, session.id).status == "cancelled"


def test_the_list_filters_by_period_status_practitioner_and_check(client, login_as, clinic, make_patient, make_user):
    from datetime import timedelta

    user = login_as("practitioner")
    other = make_user("manager")
    blocked = planned(clinic, make_patient("Bea Blocked", allergies=["parabens"]), user, TODAY + timedelta(days=3))
    check_session(blocked, actor=user)
    planned(clinic, make_patient("Una Unchecked"), other, TODAY + timedelta(days=5))
    planned(clinic, make_patient("Pat Past"), user, TODAY - timedelta(days=10))
    db.session.commit()

    upcoming = html(client.get("/sessions"))
    assert "Bea Blocked" in upcoming and "Una Unchecked" in upcoming and "Pat Past" not in upcoming
    assert ">Blocked</span>" in upcoming and ">Not checked</span>" in upcoming
    assert "Pat Past" in html(client.get("/sessions?when=past"))
    only_blocked = html(client.get("/sessions?check=blocked"))
    assert "Bea Blocked" in only_blocked and "Una Unchecked" not in only_blocked
    not_checked = html(client.get("/sessions?check=not-checked&when=all"))
    assert "Una Unchecked" in not_checked and "Pat Past" in not_checked and "Bea Blocked" not in not_checked
    mine = html(client.get(f"/sessions?practitioner={other.id}"))
    assert "Una Unchecked" in mine and "Bea Blocked" not in mine
    dated = html(client.get(f"/sessions?when=all&from={(TODAY + timedelta(days=4)).isoformat()}"))
    assert "Una Unchecked" in dated and "Bea Blocked" not in dated
    assert "Checked" in html(client.get("/sessions?status=checked"))
    odd = html(client.get("/sessions?from=soon&status=maybe"))
    assert "From soon is not a date" in odd and "Unknown status" in odd


def count_statements(client, url: str) -> int:
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    assert response.status_code == 200
    return len([s for s in statements if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))])


def test_the_list_costs_the_same_queries_for_5_or_25_sessions(app, client, login_as, clinic, make_patient,
                                                               make_user, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 50)
    user = login_as("practitioner")

    def add(n, prefix):
        for i in range(n):  # a patient and a practitioner each: a lazy load per row could not hide
            session = planned(clinic, make_patient(f"{prefix} {i}"), make_user("practitioner"))
            if i % 2:
                check_session(session, actor=user)
        db.session.commit()

    add(5, "Five")
    client.get("/sessions")
    five = count_statements(client, "/sessions")
    add(20, "More")
    assert count_statements(client, "/sessions") == five
    assert count_statements(client, "/sessions?check=clear") <= five + 1


def test_an_override_carries_to_a_check_run_again_when_nothing_new_appears(client, login_as, clinic, make_patient,
                                                                          make_user):
    from formulary.treatments.checks import override

    manager = make_user("manager")
    user = login_as("practitioner")
    session = planned(clinic, make_patient("Paula Paraben", allergies=["parabens"]), user)
    _result, check = check_session(session, actor=user)
    override(check, "Patch test to parabens negative on 2026-11-01; consents.", actor=manager)
    check_session(session, actor=user)  # run again: blocked, same finding, no override of its own
    db.session.commit()
    page = html(client.get(f"/sessions/{session.id}"))
    assert "this check found nothing new, so\n          the override still holds" in page
    assert "Administer and draw the stock" in page and "Only a manager or an admin may override" not in page
    assert "Blocked · overridden" in html(client.get("/sessions"))


def test_a_check_that_no_longer_holds_says_so(client, login_as, clinic, make_patient):
    from formulary.patients.records import AllergyData, add_allergy

    user = login_as("practitioner")
    patient = make_patient("Clara Clear")
    session = planned(clinic, patient, user)
    check_session(session, actor=user)
    db.session.commit()
    assert "Something changed since this check ran" not in html(client.get(f"/sessions/{session.id}"))
    add_allergy(patient, AllergyData(allergen="thiamine", criticality="high"), actor=user)
    db.session.commit()
    page = html(client.get(f"/sessions/{session.id}"))
    assert "Something changed since this check ran" in page and ">Clear" in page
