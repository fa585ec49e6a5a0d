"""Planning, administering and following up treatment sessions. Plain functions that flush, never commit."""

from datetime import date, datetime

from flask import current_app
from sqlalchemy import select

from formulary.audit.log import record
from formulary.cocktails.models import Cocktail
from formulary.db import utcnow
from formulary.extensions import db
from formulary.patients.models import Patient
from formulary.patients.records import AllergyData, add_allergy
from formulary.stock.draws import draw_rule, lot_stock
from formulary.stock.errors import fmt_quantity
from formulary.stock.fefo import LAPSED, lot_unusable_reason
from formulary.stock.models import Lot
from formulary.treatments.checks import CheckRefused, covered_by_earlier, override, record_check
from formulary.treatments.drawing import Drawn, SessionError, draw_components
from formulary.treatments.models import Reaction, SessionDraw, TreatmentSession
from formulary.treatments.prepared import draws_of_preparation, preparation_to_administer
from formulary.vocabulary import OPEN_SESSION_STATUSES, CheckOutcome, Criticality, ReactionSeverity, SessionStatus


class CheckBlocked(SessionError):
    """The check is blocked and no allowed override covers it."""


class ConsentMissing(SessionError):
    """Administering needs the patient's signed consent (FORMULARY_REQUIRE_CONSENT) and there is none."""


def consent_required() -> bool:
    """Whether the clinic requires a signed consent before administering (on unless it turned it off)."""
    return bool(current_app.config.get("REQUIRE_CONSENT", True))


def plan_session(patient: Patient, cocktail: Cocktail, scheduled_for: date, *, practitioner, actor,
                 starts_at: datetime | None = None) -> TreatmentSession:
    """Plan a session; it records the cocktail's current version, whatever the recipe becomes later.

    `scheduled_for` is the clinic's local date; `starts_at`, when the appointment has a time, is that
    time as UTC (formulary.clinic_time.clinic_appointment).
    """
    if cocktail.retired:
        raise SessionError(f"{cocktail.name} is retired: choose another cocktail.", "cocktail")
    session = TreatmentSession(
        patient=patient, cocktail_version=cocktail.current, scheduled_for=scheduled_for, starts_at=starts_at,
        practitioner_id=practitioner.id if practitioner is not None else None,
    )
    db.session.add(session)
    db.session.flush()
    record("session.plan", actor=actor, target=session)
    return session


def check_session(session: TreatmentSession, *, actor, on: date | None = None):
    """Run the check for the session's day and keep it on the session; returns (result, row)."""
    if session.status in (SessionStatus.ADMINISTERED, SessionStatus.CANCELLED):
        raise SessionError(f"This session is {session.status}; there is nothing left to check.")
    result, row = record_check(session.patient_id, session.cocktail_version_id, on or session.scheduled_for,
                               actor=actor, session=session)
    if session.status == SessionStatus.PLANNED:
        session.status = SessionStatus.CHECKED
    return result, row


def _scanned_lots(session, scanned_lot_ids, on):
    """Lots the practitioner scanned, by product; each must belong to the cocktail and be usable today."""
    by_product: dict[int, list[int]] = {}
    products = {c.product_id: c.product for c in session.cocktail_version.components}
    for lot in db.session.scalars(select(Lot).where(Lot.id.in_(list(scanned_lot_ids)))):
        if lot.product_id not in products:
            raise SessionError(f"Lot {lot.lot_number} is {lot.product.name}, which is not in this cocktail.", "lots")
        reason = lot_unusable_reason(lot_stock(lot), draw_rule(lot.product, on))
        if reason == LAPSED:
            raise SessionError(f"Lot {lot.lot_number} of {lot.product.name}: its opened vial is past its use-by; "
                               "discard it and open a new one. Nothing was drawn.", "lots")
        if reason is not None:
            raise SessionError(f"Lot {lot.lot_number} of {lot.product.name} is {reason}: it cannot be used.", "lots")
        by_product.setdefault(lot.product_id, []).append(lot.id)
    missing = set(scanned_lot_ids) - {i for ids in by_product.values() for i in ids}
    if missing:
        raise SessionError(f"Unknown lot id(s): {', '.join(map(str, sorted(missing)))}.", "lots")
    return by_product


def require_consent(session: TreatmentSession, step: str) -> None:
    """Refuse a step that puts the cocktail on its way to the patient (preparing, administering) while the
    clinic requires a signed consent and there is none."""
    if consent_required() and session.consent is None:
        raise ConsentMissing("The patient has not signed the consent for this session: record it (signed on "
                             f"screen or on paper) before {step}.", "consent")


def clear_check(session: TreatmentSession, *, actor, today: date, acknowledge_caution: bool = False,
                override_reason: str | None = None) -> None:
    """Re-run the check for today; a block needs an allowed override, a caution an acknowledgement."""
    earlier = list(session.checks)
    result, check = check_session(session, actor=actor, on=today)
    override_holds, caution_holds = covered_by_earlier(check, earlier)
    if result.outcome == CheckOutcome.BLOCKED and not override_holds:
        if not override_reason:
            raise CheckBlocked("The check is blocked: it must be overridden, with a reason, by a manager or admin.")
        try:
            override(check, override_reason, actor=actor)
        except CheckRefused as refused:
            raise CheckBlocked(str(refused)) from None
    if result.outcome == CheckOutcome.CAUTION and not (caution_holds or acknowledge_caution):
        raise SessionError("Read and acknowledge the cautions before administering.", "acknowledge_caution")
    if result.outcome == CheckOutcome.CAUTION and acknowledge_caution and check.acknowledged_at is None:
        check.acknowledged_by_id, check.acknowledged_at = actor.id, utcnow()


def hold_open(session: TreatmentSession) -> None:
    """Hold the session's row for this transaction and read its status again, before anything is written.

    Two hands giving or preparing the same session at once (a double click, two tablets at the chair)
    each loaded it as open; without the hold both would draw its stock. The second waits on the row
    until the first commits, then sees what the first did; if the first rolls back, the second goes
    on. (SQLite lets one writer in at a time, so there the second reads the first's commit anyway.)
    """
    db.session.refresh(session, ["status"], with_for_update=True)
    if session.status not in OPEN_SESSION_STATUSES:
        raise SessionError(f"This session is already {session.status}.")


def administer(
    session: TreatmentSession, *, actor, today: date, acknowledge_caution: bool = False,
    override_reason: str | None = None, areas: str = "", scanned_lot_ids=(), preparation_id: int | None = None,
) -> list[SessionDraw]:
    """Re-run the check, then draw every component by FEFO (or from scanned lots) and record it all.

    A prepared session records what its preparation drew instead (the named one, or the session's
    live one): stock left the shelf at preparation, so nothing is drawn again.

    Everything happens in the caller's one transaction: if any part is refused (a block, a
    caution not acknowledged, a lot short because someone else drew it first), the caller rolls
    back and nothing is drawn.
    """
    hold_open(session)
    require_consent(session, "administering")
    clear_check(session, actor=actor, today=today, acknowledge_caution=acknowledge_caution,
                override_reason=override_reason)
    prepared = preparation_to_administer(session, preparation_id, now=utcnow())
    if prepared is not None:
        draws = draws_of_preparation(session, prepared)
    else:
        scanned = _scanned_lots(session, scanned_lot_ids, today) if scanned_lot_ids else {}
        draws = []

        def record_draw(drawn: Drawn) -> None:
            # One row per lot: an opened vial and a sealed one of the same lot are one lot to a recall.
            row = next((r for r in draws if r.lot_id == drawn.lot_id and r.product_id == drawn.product_id), None)
            if row is not None:
                row.administered += drawn.amount
                row.wasted += drawn.wasted
                return
            row = SessionDraw(session=session, lot_id=drawn.lot_id, product_id=drawn.product_id,
                              administered=drawn.amount, wasted=drawn.wasted)
            db.session.add(row)
            draws.append(row)

        draw_components(session, today, actor=actor, scanned=scanned, reason=f"session #{session.id}",
                        on_draw=record_draw)
    session.status = SessionStatus.ADMINISTERED
    session.administered_at = utcnow()
    session.administered_by_id = actor.id if actor is not None else None
    session.areas = (areas or "").strip()
    db.session.flush()
    record("session.administer", actor=actor, target=session)
    return draws


def cancel(session: TreatmentSession, *, actor, reason: str) -> None:
    """Cancel a session that was not administered."""
    if session.status == SessionStatus.ADMINISTERED:
        raise SessionError("An administered session cannot be cancelled; record a reaction or a note instead.")
    if not (reason or "").strip():
        raise SessionError("Give a reason for cancelling.", "reason")
    session.status = SessionStatus.CANCELLED
    session.notes = (session.notes + "\n" if session.notes else "") + f"Cancelled: {reason.strip()}"
    db.session.flush()
    record("session.cancel", actor=actor, target=session)


def record_reaction(session: TreatmentSession, description: str, *, actor, severity: str = ReactionSeverity.MILD,
                    allergen: str | None = None, criticality: str = Criticality.HIGH,
                    allergen_kind: str | None = None) -> Reaction:
    """Note a reaction after a session; naming an allergen also records the allergy, in one step.

    `allergen_kind` (AllergyKind.SUBSTANCE or GROUP) says what the allergen must be; None codes it to
    whichever it names, else keeps it as free text."""
    description = (description or "").strip()
    if session.status != SessionStatus.ADMINISTERED:
        raise SessionError("A reaction is recorded on an administered session.")
    if not description:
        raise SessionError("Describe the reaction.", "description")
    if severity not in tuple(ReactionSeverity):
        raise SessionError(f"Severity must be mild, moderate or severe (got {severity!r}).", "severity")
    reaction = Reaction(session=session, description=description, severity=severity,
                        noted_by_id=actor.id if actor is not None else None)
    db.session.add(reaction)
    if allergen:
        reaction.allergy = add_allergy(
            session.patient, AllergyData(allergen=allergen, criticality=criticality, kind=allergen_kind,
                                         reaction=f"{description} (session of {session.scheduled_for:%Y-%m-%d})"),
            actor=actor,
        )
    db.session.flush()
    record("session.reaction", actor=actor, target=session)
    return reaction


def drawn_summary(draws) -> str:
    """"2 mL of HA 1% (lot 24A117), …" for messages."""
    return ", ".join(
        f"{fmt_quantity(d.administered + d.wasted)} {d.product.unit} of {d.product.name} (lot {d.lot.lot_number})"
        for d in draws
    ) or "nothing"

