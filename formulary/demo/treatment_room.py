"""The demo's treatment room as a clinic sees it after five weeks of a cocktail drawn from multi-dose vials.

A cocktail with a 20 mL lidocaine-with-epinephrine vial and a 30 mL bacteriostatic saline vial is given
over the past weeks through the domain functions (administer, prepare, discard), so that the ledger adds
up: the vials opened five weeks ago lapsed (the saline one was discarded, the lidocaine one waits on the
dashboard), the ones opened last week are in use, yesterday's session was given from a preparation, and
today's preparation was wasted when the patient felt faint. Loaded once.
"""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from formulary.auth.users import find_user
from formulary.catalogue.models import Product
from formulary.cocktails.models import Cocktail
from formulary.cocktails.recipes import ComponentLine, RecipeData, create_cocktail
from formulary.extensions import db
from formulary.patients.models import Patient
from formulary.stock.errors import StockError
from formulary.stock.models import Lot
from formulary.stock.opened import discard
from formulary.stock.opened_models import OpenedUnit
from formulary.treatments.checks import check_patient
from formulary.treatments.consent import record_consent
from formulary.treatments.models import TreatmentSession
from formulary.treatments.preparations import prepare, waste_preparation
from formulary.treatments.sessions import SessionError, administer, plan_session
from formulary.vocabulary import CheckOutcome, ConsentMethod

COCKTAIL = "Comfort Glow"
LIDOCAINE_EPINEPHRINE = "Lidocaine 1% with Epinephrine 20 mL"
SALINE = "Bacteriostatic Saline 0.9% 30 mL"
RECIPE = [("Hydra Pure HA 1.5% 1 mL", "1"), ("Vitamin Complex B 2 mL", "1"), (SALINE, "1"),
          (LIDOCAINE_EPINEPHRINE, "0.5")]
NOTES = ("Draw the lidocaine with epinephrine last, from the opened vial on the tray (FEFO shows which); "
         "nappage over cheeks and neck, 32G 4 mm at 1–2 mm.")
# Days before today of the sessions given (the first two from vials that lapsed since, the third from new ones);
# yesterday's is given from a preparation, today's preparation is wasted.
GIVEN_DAYS = (35, 21, 6)
WASTE_REASON = ("Patient felt faint before the first injection; syringe discarded, to be prepared again once the "
                "patient has rested.")
AREAS = "cheeks, neck"


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def _patients(cocktail: Cocktail, days: list[date]) -> list[Patient]:
    """A patient the check clears on each day (not always the same one), in the demo's order."""
    patients = db.session.scalars(select(Patient).order_by(Patient.reference, Patient.id)).all()
    chosen: list[Patient] = []
    for day in days:
        fits = [p for p in patients if not p.conditions
                and check_patient(p.id, cocktail.current.id, day).outcome == CheckOutcome.CLEAR]
        fresh = [p for p in fits if p not in chosen]
        if not (fresh or fits):
            return []
        chosen.append((fresh or fits)[0])
    return chosen


def _session(patient: Patient, cocktail: Cocktail, day: date, practitioner) -> TreatmentSession:
    session = plan_session(patient, cocktail, day, practitioner=practitioner, actor=practitioner)
    record_consent(session, ConsentMethod.PAPER, actor=practitioner)
    session.created_at = _at(day - timedelta(days=7), 9)
    return session


def _dated(session: TreatmentSession, day: date, hour: int) -> None:
    """The session and the vials it opened, at the time it was given (the functions stamp the present)."""
    session.administered_at = _at(day, hour, 30)
    for check in session.checks:
        check.run_at = _at(day, hour, 15)
    for unit in db.session.scalars(select(OpenedUnit).where(OpenedUnit.session_id == session.id)):
        unit.opened_at = _at(day, hour, 20)


def _discard_lapsed(product_id: int, on: date, actor) -> int:
    """Discard the lapsed opened vials of a product, as a practitioner does on seeing them: how many."""
    units = db.session.scalars(
        select(OpenedUnit).join(Lot, Lot.id == OpenedUnit.lot_id)
        .where(Lot.product_id == product_id, OpenedUnit.content_left > 0, OpenedUnit.use_by < on)
    ).all()
    # Discarded now, as its waste movement is stamped: the dashboard's waste figures keep past days' sums.
    for unit in units:
        discard(unit, actor=actor, reason=f"lapsed: opened {unit.opened_on:%Y-%m-%d}, use by {unit.use_by:%Y-%m-%d}")
    return len(units)


def load(today: date) -> list[str]:
    """Compose the cocktail and give it through the weeks, unless it is already there."""
    if db.session.scalar(select(Cocktail.id).where(Cocktail.name == COCKTAIL)) is not None:
        return ["Demo treatment room already there."]
    practitioner = find_user("practitioner")
    products = dict(db.session.execute(select(Product.name, Product.id)).all())
    missing = [name for name, _amount in RECIPE if name not in products]
    if practitioner is None or missing:
        return [f"Demo treatment room skipped: {', '.join(missing) or 'the demo practitioner'} not loaded."]
    cocktail = create_cocktail(RecipeData(
        name=COCKTAIL, goals=["hydration"], notes=NOTES, series_sessions=4, series_interval_days=14,
        components=[ComponentLine(products[name], amount) for name, amount in RECIPE],
    ), actor=None)
    cocktail.created_at = cocktail.current.created_at = _at(today - timedelta(days=60), 10)
    days = [today - timedelta(days=n) for n in GIVEN_DAYS] + [today - timedelta(days=1), today]
    patients = _patients(cocktail, days)
    if not patients:
        return [f"Demo treatment room: {COCKTAIL} composed; no patient the check clears to give it to."]
    savepoint = db.session.begin_nested()
    try:
        for number, (patient, day) in enumerate(zip(patients[:len(GIVEN_DAYS)], days, strict=False)):
            if day == days[2]:  # the week the first vials lapsed: the saline one goes, the lidocaine one waits
                _discard_lapsed(products[SALINE], day, practitioner)
            session = _session(patient, cocktail, day, practitioner)
            administer(session, actor=practitioner, today=day, acknowledge_caution=True, areas=AREAS)
            _dated(session, day, 10 + number)
        yesterday, given = days[-2], _session(patients[-2], cocktail, days[-2], practitioner)
        preparation = prepare(given, actor=practitioner, today=yesterday, use_by_minutes=60, acknowledge_caution=True)
        administer(given, actor=practitioner, today=yesterday, acknowledge_caution=True, areas=AREAS,
                   preparation_id=preparation.id)
        preparation.prepared_at, preparation.use_by = _at(yesterday, 14, 5), _at(yesterday, 15, 5)
        _dated(given, yesterday, 14)
        wasted = prepare(_session(patients[-1], cocktail, today, practitioner), actor=practitioner, today=today,
                         use_by_minutes=60, acknowledge_caution=True)
        waste_preparation(wasted, actor=practitioner, reason=WASTE_REASON)
    except (SessionError, StockError) as refused:
        savepoint.rollback()
        return [f"Demo treatment room: {COCKTAIL} composed; its sessions skipped ({refused})."]
    savepoint.commit()
    in_use = db.session.scalars(select(OpenedUnit).where(OpenedUnit.content_left > 0)).all()
    lapsed = sum(unit.use_by < today for unit in in_use)
    return [f"Demo treatment room: {COCKTAIL} given {len(GIVEN_DAYS) + 1} times from multi-dose vials; "
            f"{len(in_use) - lapsed} opened vials in use, {lapsed} lapsed and waiting to be discarded, "
            f"one preparation given (PREP-{preparation.id}) and one wasted (PREP-{wasted.id})."]
