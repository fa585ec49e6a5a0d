"""Preparing a session's cocktail into syringes, wasting a preparation, confirming one by its barcode.

Plain functions that flush, never commit. The stock is drawn at preparation (opened vials first, by
FEFO); administering the session later records that preparation's draws.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import update

from formulary.audit.log import record
from formulary.db import utcnow
from formulary.extensions import db
from formulary.stock.ledger import administered_after_all_wasted
from formulary.stock.models import Lot
from formulary.treatments.drawing import Drawn, SessionError, draw_components
from formulary.treatments.models import TreatmentSession
from formulary.treatments.preparation_models import Preparation, PreparationDraw
from formulary.treatments.prepared import aware, refusal
from formulary.treatments.sessions import clear_check, hold_open, require_consent
from formulary.vocabulary import PreparationStatus

MAX_USE_BY_MINUTES = 240  # USP <797> immediate use
MAX_SYRINGES = 20
BARCODE = re.compile(r"PREP-(\d{1,12})\b")
# The reason a wasted preparation's waste movements carry, and the pattern (SQL LIKE) the waste report finds them by.
WASTE_NOTE = "PREP-{id} wasted: {reason}"


def barcode_text(preparation: Preparation) -> str:
    """What the label's 2D barcode holds: the preparation's reference, and the session it belongs to."""
    return f"PREP-{preparation.id} S{preparation.session_id}"


def use_by_after(prepared_at: datetime, minutes: int) -> datetime:
    """When a preparation made at that moment must be used by; a setting above 4 hours is refused."""
    if not 1 <= minutes <= MAX_USE_BY_MINUTES:
        raise SessionError(f"The clinic's preparation use-by is {minutes} minutes: it must be 1 to "
                           f"{MAX_USE_BY_MINUTES} (immediate use, USP <797>). Ask an admin to correct "
                           "FORMULARY_PREPARATION_USE_BY_MINUTES.")
    return prepared_at + timedelta(minutes=minutes)


def prepare(session: TreatmentSession, *, actor, today: date, use_by_minutes: int, syringes: int = 1,
            acknowledge_caution: bool = False, override_reason: str | None = None) -> Preparation:
    """Re-run the check, then draw the cocktail (opened vials first) into a preparation with its use-by.

    A blocked check without an allowed override is refused, as at administration; so is a session
    already administered or cancelled, or one with a preparation still waiting.
    """
    if not isinstance(syringes, int) or not 1 <= syringes <= MAX_SYRINGES:
        raise SessionError(f"Syringes must be a whole number from 1 to {MAX_SYRINGES} (got {syringes!r}).",
                           "syringes")
    hold_open(session)  # the waiting preparation is read under the hold: one draw per double click
    waiting = db.session.query(Preparation).filter_by(session_id=session.id,
                                                      status=PreparationStatus.PREPARED).first()
    if waiting is not None:
        raise SessionError(f"Preparation PREP-{waiting.id} is still waiting: administer or waste it first.")
    require_consent(session, "preparing it")
    prepared_at = utcnow()
    use_by = use_by_after(prepared_at, use_by_minutes)
    clear_check(session, actor=actor, today=today, acknowledge_caution=acknowledge_caution,
                override_reason=override_reason)
    preparation = Preparation(session=session, syringes=syringes, prepared_at=prepared_at, use_by=use_by,
                              prepared_by_id=actor.id if actor is not None else None)
    db.session.add(preparation)
    db.session.flush()

    def record_draw(drawn: Drawn) -> None:
        db.session.add(PreparationDraw(preparation=preparation, lot_id=drawn.lot_id, product_id=drawn.product_id,
                                       unit_id=drawn.unit_id, amount=drawn.amount, wasted=drawn.wasted))

    draw_components(session, today, actor=actor, scanned={}, on_draw=record_draw,
                    reason=f"preparation PREP-{preparation.id}, session #{session.id}")
    db.session.flush()
    record("session.prepare", actor=actor, target=session, detail=f"PREP-{preparation.id}")
    return preparation


def waste_preparation(preparation: Preparation, *, actor, reason: str) -> None:
    """Waste a preparation that will not be given (past its use-by, dropped …), with the reason.

    Its draws were recorded as administered when it was prepared; each becomes waste in the ledger
    (a reversing entry and a waste movement naming the preparation), so that consumption, waste and
    the 90-day waste figures see a syringe thrown away, not one given. The status changes under a
    guard: two people wasting the same syringe at once cannot both record its waste.
    """
    reason = (reason or "").strip()
    if not reason:
        raise SessionError("Give a reason for wasting the preparation.", "reason")
    wasted = db.session.execute(
        update(Preparation)
        .where(Preparation.id == preparation.id, Preparation.status == PreparationStatus.PREPARED)
        .values(status=PreparationStatus.WASTED, wasted_at=utcnow(), waste_reason=reason,
                wasted_by_id=actor.id if actor is not None else None)
        .returning(Preparation.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    db.session.refresh(preparation)
    if wasted is None:
        raise SessionError(f"Preparation PREP-{preparation.id} is {preparation.status}: it cannot be wasted.")
    note = WASTE_NOTE.format(id=preparation.id, reason=reason)
    for draw in preparation.draws:
        administered_after_all_wasted(db.session.get_one(Lot, draw.lot_id), draw.amount, actor=actor,
                                      reason=note, session_id=preparation.session_id)
    db.session.flush()
    record("session.preparation_waste", actor=actor, target=preparation.session,
           detail=f"PREP-{preparation.id}: {reason}")


@dataclass(frozen=True)
class ScanResult:
    """What scanning a syringe label at the chair says: right or not, and the sentence to show."""

    ok: bool
    message: str
    preparation_id: int | None = None


def confirm_scan(session: TreatmentSession, scanned: str, now: datetime) -> ScanResult:
    """Right patient, right preparation, in time — or what is wrong, from the text a scanner typed."""
    match = BARCODE.search((scanned or "").strip().upper())
    if match is None:
        return ScanResult(False, f"“{(scanned or '').strip()[:60]}” is not a preparation label (PREP-…).")
    preparation = db.session.get(Preparation, int(match.group(1)))
    if preparation is None:
        return ScanResult(False, f"No preparation PREP-{match.group(1)}.")
    reason = refusal(session, preparation, now)
    if reason is not None:
        return ScanResult(False, reason, preparation.id)
    left = aware(preparation.use_by) - now
    return ScanResult(True, f"Right patient ({session.patient.name}), right preparation (PREP-{preparation.id}), "
                            f"in time: use within {int(left.total_seconds() // 60)} min.", preparation.id)
