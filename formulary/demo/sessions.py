"""The demo clinic's treatment sessions: administered ones in the past weeks, planned ones in the next two.

Patients and cocktails come from the other demo parts; they are picked by what they are (a paraben
allergy, a pregnancy, a cocktail holding lidocaine …), not by name, and whatever is missing is skipped
with a line saying so. Loaded once: nothing is added when any session exists.
"""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from formulary.auth.users import find_user
from formulary.catalogue.lookup import find_condition, find_group, find_substance
from formulary.cocktails.models import Cocktail
from formulary.extensions import db
from formulary.patients.models import Patient
from formulary.stock.errors import StockError
from formulary.stock.ledger import set_status
from formulary.stock.models import Lot
from formulary.treatments.checks import acknowledge, check_patient, override
from formulary.treatments.consent import record_consent
from formulary.treatments.models import TreatmentSession
from formulary.treatments.sessions import SessionError, administer, check_session, plan_session, record_reaction
from formulary.vocabulary import (
    AllergyHistory,
    CheckOutcome,
    ClinicalStatus,
    ConsentMethod,
    ContraindicationSeverity,
    Criticality,
    LotStatus,
    ReactionSeverity,
)

AREAS = ["forehead, cheeks", "cheeks, nasolabial, jawline", "neck, décolleté", "crow's feet, cheeks",
         "forehead, glabella, cheeks, neck", "perioral, jawline"]
OVERRIDE_REASON = ("Reaction to methylparaben was local itching only (low criticality); patient informed of the "
                   "risk, consents, and stays 30 minutes for observation.")
HOLD_REASON = "Fridge alarm overnight: held until the supplier confirms the vials are still stable."


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 30), tzinfo=UTC)


def _substances(cocktail: Cocktail) -> set[int]:
    return {pc.substance_id for c in cocktail.current.components for pc in c.product.composition}


def _blocks_condition(cocktail: Cocktail, condition_id: int) -> bool:
    return any(ci.condition_id == condition_id and ci.severity == ContraindicationSeverity.BLOCK
               for c in cocktail.current.components for ci in c.product.contraindications)


def _allergic_to_one(allergy, substance_ids: set[int]) -> bool:
    """An active allergy to one of the substances, or to a group holding one."""
    if allergy.status != ClinicalStatus.ACTIVE:
        return False
    if allergy.substance_id in substance_ids:
        return True
    return allergy.group is not None and bool({m.id for m in allergy.group.members} & substance_ids)


def _allergic_to(patient: Patient, substance_ids: set[int]) -> bool:
    return any(_allergic_to_one(allergy, substance_ids) for allergy in patient.allergies)


def _past(patients, cocktails, today, practitioner, count: int = 12) -> list[TreatmentSession]:
    """Administer sessions a few days apart, going back from last week, each with a cocktail the check allows."""
    done = []
    for number, patient in enumerate(patients[:count]):
        day = today - timedelta(days=4 + 5 * number)
        for offset in range(len(cocktails)):
            cocktail = cocktails[(number + offset) % len(cocktails)]
            savepoint = db.session.begin_nested()
            try:
                session = plan_session(patient, cocktail, day, practitioner=practitioner, actor=practitioner)
                record_consent(session, ConsentMethod.PAPER, actor=practitioner)  # required before administering
                administer(session, actor=practitioner, today=day, acknowledge_caution=True,
                           areas=AREAS[number % len(AREAS)])
            except (SessionError, StockError):
                savepoint.rollback()  # blocked for this patient, or short: the next cocktail
                continue
            savepoint.commit()
            session.created_at = _at(day - timedelta(days=10), 9)
            session.administered_at = _at(day, 10 + number % 6)
            for check in session.checks:
                check.run_at = session.administered_at
            done.append(session)
            break
    return done


def _reactions(sessions, practitioner, paraben_ids) -> int:
    """A bruise after one session; after another, itching that becomes a recorded allergy."""
    if not sessions:
        return 0
    record_reaction(sessions[0], "Two small bruises on the left cheek, gone within five days.",
                    actor=practitioner, severity=ReactionSeverity.MILD)
    with_paraben = next((s for s in sessions[1:] if _substances(s.cocktail_version.cocktail) & paraben_ids), None)
    if with_paraben is None:
        return 1
    record_reaction(with_paraben, "Itchy wheals at the injection sites the same evening; settled with an "
                                  "antihistamine in two days.", actor=practitioner, severity=ReactionSeverity.MODERATE,
                    allergen="propylparaben", criticality=Criticality.LOW)
    return 2


def _hold_one_product(cocktails, reason: str, avoid: set[int]) -> Cocktail | None:
    """Quarantine every usable lot of a product only one cocktail uses: that cocktail is blocked by stock."""
    users: dict[int, list[Cocktail]] = {}
    for cocktail in cocktails:
        for component in cocktail.current.components:
            users.setdefault(component.product_id, []).append(cocktail)
    candidates = []
    for product_id, using in users.items():
        if len(using) != 1 or using[0].id in avoid:
            continue
        lots = db.session.scalars(select(Lot).where(Lot.product_id == product_id, Lot.status == LotStatus.AVAILABLE,
                                                    Lot.on_hand > 0)).all()
        if lots:
            candidates.append((len(lots), product_id, lots, using[0]))
    if not candidates:
        return None
    _count, _product_id, lots, cocktail = min(candidates, key=lambda row: row[:2])  # the fewest lots to hold
    for lot in lots:
        set_status(lot, LotStatus.QUARANTINED, actor=None, reason=reason)
    return cocktail


def _plan(patient, cocktail, day, practitioner, *, check=True) -> TreatmentSession:
    session = plan_session(patient, cocktail, day, practitioner=practitioner, actor=practitioner)
    if check:
        check_session(session, actor=practitioner)
    return session


def _allows(patient: Patient, cocktail: Cocktail, day: date) -> bool:
    return check_patient(patient.id, cocktail.current.id, day).outcome != CheckOutcome.BLOCKED


def load(today: date) -> list[str]:
    """Add the demo sessions, unless any session is there already."""
    if db.session.scalar(select(func.count()).select_from(TreatmentSession)):
        return ["Demo sessions already there."]
    practitioner, manager = find_user("practitioner"), find_user("manager")
    patients = db.session.scalars(select(Patient).order_by(Patient.reference, Patient.id)).all()
    cocktails = list(db.session.scalars(select(Cocktail).where(Cocktail.retired.is_(False)).order_by(Cocktail.id)))
    if practitioner is None or not patients or not cocktails:
        missing = [what for what, there in (("the demo practitioner", practitioner), ("patients", patients),
                                            ("cocktails", cocktails)) if not there]
        listed = ", ".join(missing[:-1]) + (" and " if len(missing) > 1 else "") + missing[-1]
        return [f"Demo sessions skipped: {listed} not loaded."]

    parabens, lidocaine, pregnancy = find_group("parabens"), find_substance("lidocaine"), find_condition("pregnancy")
    paraben_ids = {m.id for m in parabens.members} if parabens else set()
    healthy = [p for p in patients if not p.conditions]  # allergies or not: the check decides
    skipped: list[str] = []

    past = _past(healthy, cocktails, today, practitioner)
    reactions = _reactions(past, practitioner, paraben_ids)

    upcoming: list[TreatmentSession] = []
    used: set[int] = set()
    days = iter(today + timedelta(days=n) for n in (1, 1, 2, 3, 3, 5, 6, 7, 8, 9, 10, 12, 13, 13, 14))

    def book(what: str, patient_fits, cocktail_fits, then=None) -> None:
        patient = next((p for p in patients if p.id not in used and patient_fits(p)), None)
        cocktail = next((c for c in cocktails if cocktail_fits(c)), None)
        if patient is None or cocktail is None:
            skipped.append(f"{what} (no {'patient' if patient is None else 'cocktail'} fits)")
            return
        used.add(patient.id)
        session = _plan(patient, cocktail, next(days), practitioner)
        if then is not None:
            then(session)
        upcoming.append(session)

    def has_paraben(cocktail):
        return bool(_substances(cocktail) & paraben_ids)

    def paraben_allergy(criticality):
        return lambda p: any(a.criticality == criticality for a in p.allergies if _allergic_to_one(a, paraben_ids))

    if parabens:
        book("a high-criticality paraben allergy with a paraben cocktail", paraben_allergy(Criticality.HIGH),
             has_paraben)
        if manager is not None:
            book("an overridden paraben block", paraben_allergy(Criticality.LOW), has_paraben,
                 then=lambda s: override(s.checks[-1], OVERRIDE_REASON, actor=manager))
    if lidocaine:
        book("a lidocaine allergy with a lidocaine cocktail", lambda p: _allergic_to(p, {lidocaine.id}),
             lambda c: lidocaine.id in _substances(c))
    if pregnancy:
        book("a pregnancy with a cocktail contraindicated in pregnancy",
             lambda p: any(pc.condition_id == pregnancy.id for pc in p.conditions),
             lambda c: _blocks_condition(c, pregnancy.id))
    book("a patient never asked about allergies", lambda p: p.allergy_status == AllergyHistory.UNKNOWN, lambda c: True)
    book("a free-text allergy", lambda p: any(a.text and a.status == ClinicalStatus.ACTIVE for a in p.allergies),
         lambda c: True, then=lambda s: acknowledge(s.checks[-1], actor=practitioner))
    for index, patient in enumerate([p for p in healthy if p.id not in used][:6]):
        day = next(days)
        cocktail = next((c for c in cocktails[index:] + cocktails[:index] if _allows(patient, c, day)), None)
        if cocktail is not None:
            used.add(patient.id)
            upcoming.append(_plan(patient, cocktail, day, practitioner, check=index % 2 == 0))
    held = _hold_one_product(cocktails, HOLD_REASON, {s.cocktail_version.cocktail_id for s in upcoming})
    spare = next((p for p in healthy if p.id not in used), None)
    if held is not None and spare is not None:
        upcoming.append(_plan(spare, held, next(days), practitioner))
    else:
        skipped.append("a session blocked by stock (no product that only one cocktail uses, or no patient left)")

    blocked = sum(1 for s in upcoming if s.checks and s.checks[-1].outcome == CheckOutcome.BLOCKED)
    lines = [f"Demo sessions: {len(past)} administered in the past weeks ({reactions} with a reaction), "
             f"{len(upcoming)} planned for the next two weeks ({blocked} blocked by the check)."]
    return lines + [f"Demo session skipped: {reason}." for reason in skipped]
