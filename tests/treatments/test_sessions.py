"""Sessions: plan, check, override, administer by FEFO in one transaction, reactions, recall."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from formulary.extensions import db
from formulary.stock.errors import InsufficientStock
from formulary.stock.ledger import set_status
from formulary.stock.models import StockMovement
from formulary.treatments.checks import CheckRefused, acknowledge, override
from formulary.treatments.recall import recipients
from formulary.treatments.sessions import (
    CheckBlocked,
    SessionError,
    administer,
    check_session,
    plan_session,
    record_reaction,
)
from tests.treatments.conftest import TODAY


def movements():
    return db.session.scalar(select(func.count()).select_from(StockMovement))


def test_a_clear_session_draws_fefo_with_single_use_waste(clinic, make_patient, make_user):
    practitioner = make_user("practitioner")
    patient = make_patient("Clear Clara")
    session = plan_session(patient, clinic["cocktail"], TODAY, practitioner=practitioner, actor=practitioner)
    assert session.cocktail_version.number == 1 and session.status == "planned"
    draws = administer(session, actor=practitioner, today=TODAY, areas="cheeks, forehead")
    assert session.status == "administered" and session.areas == "cheeks, forehead"
    summary = {(d.lot.lot_number, d.administered, d.wasted) for d in draws}
    # 1.5 mL of HA from the earliest-expiring lot opens a whole 2 mL vial; 1 mL of vitamin opens another.
    assert summary == {("HA-EARLY", Decimal("1.5"), Decimal("0.5")), ("VB-1", Decimal("1"), Decimal("1"))}
    assert clinic["early"].on_hand == Decimal("2") and clinic["vit_lot"].on_hand == Decimal("8")
    assert {m.kind for m in clinic["early"].movements} == {"receive", "administer", "waste"}


def test_a_blocked_session_is_not_administered_without_an_allowed_override(clinic, make_patient, make_user):
    practitioner, manager = make_user("practitioner"), make_user("manager")
    patient = make_patient("Paraben Paula", allergies=["parabens"])
    session = plan_session(patient, clinic["cocktail"], TODAY, practitioner=practitioner, actor=practitioner)
    result, check = check_session(session, actor=practitioner)
    assert result.outcome == "blocked"
    assert any("methylparaben" in f.message and "Vitamin Complex B 2 mL" in f.message for f in result.findings)
    before = movements()
    with pytest.raises(CheckBlocked):
        administer(session, actor=practitioner, today=TODAY)
    with pytest.raises(CheckBlocked, match="may not override"):
        administer(session, actor=practitioner, today=TODAY, override_reason="I am sure this is perfectly fine.")
    assert movements() == before and session.status == "checked"
    with pytest.raises(CheckRefused, match="at least a sentence"):
        override(check, "ok", actor=manager)
    override(check, "Patch test negative on 2026-11-01; patient informed and consents.", actor=manager)
    # The manager's override carries to the re-run check, since nothing new appeared.
    administer(session, actor=practitioner, today=TODAY)
    assert session.status == "administered"
    assert session.checks[0].override.reason.startswith("Patch test negative")


def test_a_caution_must_be_acknowledged(clinic, make_patient, make_user):
    practitioner = make_user("practitioner")
    patient = make_patient("Never Asked", allergy_status="unknown")
    session = plan_session(patient, clinic["cocktail"], TODAY, practitioner=practitioner, actor=practitioner)
    with pytest.raises(SessionError, match="acknowledge the cautions"):
        administer(session, actor=practitioner, today=TODAY)
    _result, check = check_session(session, actor=practitioner)
    acknowledge(check, actor=practitioner)
    administer(session, actor=practitioner, today=TODAY)
    assert session.status == "administered"


def test_not_enough_stock_refuses_and_draws_nothing(clinic, make_patient, make_user):
    practitioner = make_user("practitioner")
    set_status(clinic["vit_lot"], "recalled", actor=None, reason="recall notice")
    session = plan_session(make_patient(), clinic["cocktail"], TODAY, practitioner=practitioner, actor=practitioner)
    result, _check = check_session(session, actor=practitioner)
    assert result.outcome == "blocked" and any(f.kind == "stock" for f in result.findings)
    before = movements()
    with pytest.raises(CheckBlocked):
        administer(session, actor=practitioner, today=TODAY)
    assert movements() == before


def test_a_lot_drawn_by_someone_else_meanwhile_rolls_back_the_whole_administration(
    clinic, make_patient, make_user
):
    practitioner = make_user("practitioner")
    session = plan_session(make_patient(), clinic["cocktail"], TODAY, practitioner=practitioner, actor=practitioner)
    # The check passes on the numbers read; then the vitamin lot is emptied before the draw.
    from formulary.stock import ledger

    real_move = ledger.move
    calls = []

    def racing_move(lot, kind, delta, **kwargs):
        calls.append(lot.lot_number)
        if lot.lot_number == "VB-1" and kind == "administer":
            real_move(lot, "waste", -lot.on_hand, actor=None, reason="someone else took it")
        return real_move(lot, kind, delta, **kwargs)

    import formulary.stock.opened as sessions_module  # where a session's draw moves the ledger

    sessions_module.move = racing_move
    nested = db.session.begin_nested()
    try:
        with pytest.raises(InsufficientStock, match="Vitamin Complex B 2 mL"):
            administer(session, actor=practitioner, today=TODAY)
    finally:
        sessions_module.move = real_move
        nested.rollback()
    db.session.expire_all()
    assert clinic["early"].on_hand == Decimal("4") and clinic["vit_lot"].on_hand == Decimal("10")
    assert "HA-EARLY" in calls  # the HA draw had happened and was rolled back with the rest


def test_scanned_lots_must_be_in_date_available_and_of_the_cocktail(clinic, make_patient, make_user, make_product, make_lot):
    practitioner = make_user("practitioner")
    session = plan_session(make_patient(), clinic["cocktail"], TODAY, practitioner=practitioner, actor=practitioner)
    stranger = make_lot(make_product("Other product"), lot_number="OTHER-1")
    with pytest.raises(SessionError, match="Lot OTHER-1 is Other product, which is not in this cocktail"):
        administer(session, actor=practitioner, today=TODAY, scanned_lot_ids=[stranger.id])
    set_status(clinic["late"], "quarantined", actor=None, reason="check")
    with pytest.raises(SessionError, match="Lot HA-LATE of HA 1% 2 mL is quarantined"):
        administer(session, actor=practitioner, today=TODAY, scanned_lot_ids=[clinic["late"].id])
    set_status(clinic["late"], "available", actor=None, reason="fine")
    draws = administer(session, actor=practitioner, today=TODAY, scanned_lot_ids=[clinic["late"].id])
    assert {d.lot.lot_number for d in draws} == {"HA-LATE", "VB-1"}


def test_a_reaction_becomes_an_allergy_and_recall_finds_the_patient(clinic, make_patient, make_user, make_substance):
    practitioner = make_user("practitioner")
    patient = make_patient("Rita Reaction")
    session = plan_session(patient, clinic["cocktail"], TODAY, practitioner=practitioner, actor=practitioner)
    administer(session, actor=practitioner, today=TODAY)
    reaction = record_reaction(session, "hives on both cheeks after 2 hours", actor=practitioner,
                               severity="moderate", allergen="methylparaben")
    assert reaction.allergy.substance.name == "methylparaben"
    assert patient.allergy_status == "recorded"
    found = recipients(clinic["early"].id)
    assert [s.patient_name for s in found.sessions] == ["Rita Reaction"]
    assert [(p.id, p.name, p.reference) for p in found.patients] == [(patient.id, "Rita Reaction", None)]
    assert recipients(clinic["late"].id).sessions == ()


def test_a_retired_cocktail_cannot_be_planned(clinic, make_patient, make_user):
    from formulary.cocktails.recipes import set_retired

    set_retired(clinic["cocktail"], True, actor=None)
    with pytest.raises(SessionError, match="retired"):
        plan_session(make_patient(), clinic["cocktail"], TODAY, practitioner=None, actor=None)


def test_the_check_finds_the_latest_tolerated_session_in_the_records(clinic, make_patient, make_user):
    """Tolerances come from administered sessions: only those after the allergy was recorded and before the
    day checked count, a session with a reaction does not, and the latest one is named."""
    from datetime import UTC, datetime, timedelta

    from formulary.patients.models import Allergy
    from formulary.patients.records import AllergyData, add_allergy
    from formulary.treatments.checks import check_patient

    practitioner = make_user("practitioner")
    patient = make_patient("Tolerant Tara")
    days = [TODAY - timedelta(days=n) for n in (60, 30, 20, 10)]
    sessions = []
    for day in days:
        session = plan_session(patient, clinic["cocktail"], day, practitioner=practitioner, actor=practitioner)
        administer(session, actor=practitioner, today=day)
        sessions.append(session)
    record_reaction(sessions[-1], "Redness for two days.", actor=practitioner)
    patient.allergy_status = "recorded"
    add_allergy(patient, AllergyData(allergen="parabens", criticality="high"), actor=None)
    allergy = db.session.scalar(select(Allergy).where(Allergy.patient_id == patient.id))
    allergy.recorded_at = datetime.combine(TODAY - timedelta(days=45), datetime.min.time(), UTC)
    db.session.commit()

    def tolerated_on(day):
        result = check_patient(patient.id, clinic["cocktail"].current.id, day)
        (finding,) = [f for f in result.findings if "methylparaben" in f.message]
        assert finding.severity == "block"  # a direct allergy stays blocked, tolerated or not
        return finding.tolerated_on

    assert tolerated_on(days[1]) is None  # day 60 came before the allergy was recorded; day 30 is the day itself
    assert tolerated_on(days[2]) == days[1]
    assert tolerated_on(TODAY) == days[2]  # day 10 had a reaction
