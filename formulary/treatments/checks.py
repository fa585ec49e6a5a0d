"""Running and recording the pre-session check; acknowledging a caution; overriding a block."""

import json
from collections.abc import Collection
from dataclasses import fields
from datetime import date
from functools import cache

from sqlalchemy import Select, bindparam, func, select, true

from formulary.audit.log import record
from formulary.auth.permissions import Permission
from formulary.cocktails.models import CocktailComponent
from formulary.db import Reading, Together, read_together, together, utcnow
from formulary.extensions import db
from formulary.safety.check import run_check
from formulary.safety.dose import with_dose_findings
from formulary.safety.exposure import exposure_from_rows, exposure_readings
from formulary.safety.facts import CheckResult, Finding, ToleranceFact
from formulary.safety.loader import (
    cross_reaction_reading,
    cross_reactions_from_rows,
    lexicon_for,
    patient_facts_from_rows,
    patient_readings,
)
from formulary.treatments.models import Override, Reaction, SafetyCheck, SessionDraw, TreatmentSession
from formulary.treatments.stock_kinds import STOCK_KINDS
from formulary.vocabulary import CheckOutcome, FindingSeverity, SessionStatus

MIN_OVERRIDE_REASON = 20
FINDING_FIELDS = tuple(field.name for field in fields(Finding))


class CheckRefused(ValueError):
    """An acknowledgement or override the rules refuse; str() is the sentence to show."""


def _tolerated(products) -> Select:
    # NOT EXISTS rather than NOT IN: PostgreSQL plans an anti-join (half the time of NOT IN's hashed subplan
    # for the busiest patient at 100×).
    reacted = select(Reaction.id).where(Reaction.session_id == TreatmentSession.id).exists()
    return (
        select(SessionDraw.product_id, func.max(TreatmentSession.scheduled_for))
        .join(TreatmentSession, SessionDraw.session_id == TreatmentSession.id)
        .where(TreatmentSession.patient_id == bindparam("patient_id"),
               TreatmentSession.status == SessionStatus.ADMINISTERED,
               TreatmentSession.scheduled_for < bindparam("before"), ~reacted,
               SessionDraw.product_id.in_(products) if products is not None else true())
        .group_by(SessionDraw.product_id)
    )


@cache
def _tolerated_statement(of_products: bool):
    # Built once: the patient's page asks it.
    return _tolerated(bindparam("product_ids", expanding=True) if of_products else None)


def tolerated_facts(patient_id: int, before: date, product_ids: Collection[int] | None = None) -> list[ToleranceFact]:
    """The products the patient was given in administered sessions before a day with no reaction recorded.

    Of each product only the latest such day counts (a tolerance says something about an allergy when
    it came after the allergy was recorded), so one row per product is loaded, not one per session: a
    regular patient has hundreds. With `product_ids`, only those products' (the cocktail's).
    """
    asked = {"patient_id": patient_id, "before": before}
    if product_ids is not None:
        asked["product_ids"] = list(product_ids)
    rows = db.session.execute(_tolerated_statement(product_ids is not None), asked)
    return [ToleranceFact(product_id, on) for product_id, on in rows]


@cache
def _check_reads() -> Together:
    # Everything the check reads of the version, the patient and the reference library, in one statement: a
    # round trip to PostgreSQL costs more than most of these reads (the cocktail's components, whose
    # tolerances the check wants, named by a subquery).
    of_cocktail = select(CocktailComponent.product_id).where(CocktailComponent.version_id == bindparam("version_id"))
    return together(**exposure_readings(), tolerated=Reading(_tolerated(of_cocktail)), **patient_readings(),
                    cross_reactions=cross_reaction_reading())


def check_patient(patient_id: int, version_id: int, on: date) -> CheckResult:
    """Run the pre-session check for a patient, a cocktail version and a day, from the database."""
    found = read_together(db.session, _check_reads(), {"patient_id": patient_id, "version_id": version_id,
                                                       "before": on})
    exposure = exposure_from_rows(found, on)  # the kit is checked like the components
    tolerated = [ToleranceFact(product_id, last) for product_id, last in found["tolerated"]]
    patient = patient_facts_from_rows(patient_id, found, tolerated)
    result = run_check(patient, exposure.everything, cross_reactions_from_rows(found["cross_reactions"]), on=on,
                       lexicon=lexicon_for(patient))
    return with_dose_findings(result, exposure.doses)


def findings_as_dicts(result: CheckResult) -> list[dict]:
    """The findings as JSON-ready dicts (dates as ISO text, paths as lists)."""
    rows = []
    for finding in result.findings:
        row = {name: getattr(finding, name) for name in FINDING_FIELDS}  # flat values: no deep copy (asdict)
        row["path"] = list(finding.path)
        if finding.tolerated_on is not None:
            row["tolerated_on"] = finding.tolerated_on.isoformat()
        rows.append(row)
    return rows


def record_check(patient_id: int, version_id: int, on: date, *, actor, session: TreatmentSession | None = None):
    """Run the check and keep it, with its findings as they were; returns (result, row)."""
    result = check_patient(patient_id, version_id, on)
    return result, keep_check(result, patient_id, version_id, actor=actor, session=session)


def keep_check(result: CheckResult, patient_id: int, version_id: int, *, actor,
               session: TreatmentSession | None = None) -> SafetyCheck:
    """Keep a check's result with its findings as they were, and the audit row saying it ran."""
    row = SafetyCheck(
        session=session, patient_id=patient_id, cocktail_version_id=version_id, checked_for=result.checked_on,
        outcome=result.outcome, findings=json.dumps(findings_as_dicts(result)),
        run_by_id=actor.id if actor is not None else None,
    )
    db.session.add(row)
    db.session.flush()
    # The outcome only: the findings hold clinical detail and stay in the check record.
    record("check.run", actor=actor, target=row, detail=f"outcome {result.outcome}")
    return row


def stored_findings(check: SafetyCheck) -> list[dict]:
    """A recorded check's findings, as they were shown then."""
    return json.loads(check.findings)


def acknowledge(check: SafetyCheck, *, actor) -> None:
    """The practitioner confirms having read the cautions of this check."""
    if check.outcome != CheckOutcome.CAUTION:
        raise CheckRefused("Only a check with cautions is acknowledged.")
    if check.acknowledged_at is None:
        check.acknowledged_by_id = actor.id
        check.acknowledged_at = utcnow()
        db.session.flush()
        record("check.acknowledge", actor=actor, target=check)


def override(check: SafetyCheck, reason: str, *, actor) -> Override:
    """Override a blocked check: only a role allowed to, with a reason of at least a sentence."""
    if actor is None or not actor.can(Permission.OVERRIDE_BLOCK):
        role = actor.role if actor is not None else "anonymous"
        raise CheckRefused(f"Your role ({role}) may not override a blocked check; ask a manager or an admin.")
    if check.outcome != CheckOutcome.BLOCKED:
        raise CheckRefused("Only a blocked check can be overridden.")
    if check.override is not None:
        return check.override
    stored = stored_findings(check)
    if any(f["kind"] in STOCK_KINDS for f in stored if f["severity"] == FindingSeverity.BLOCK):
        raise CheckRefused("A stock block cannot be overridden: receive or release stock, then check again.")
    reason = " ".join((reason or "").split())
    if len(reason) < MIN_OVERRIDE_REASON or " " not in reason:
        raise CheckRefused(
            f"Write the reason for overriding as at least a sentence ({MIN_OVERRIDE_REASON} characters or more)."
        )
    row = Override(check=check, by_id=actor.id, reason=reason)
    db.session.add(row)
    db.session.flush()
    record("check.override", actor=actor, target=check)
    return row


def _blocking(findings: list[dict], severity: str) -> set[tuple[str, str]]:
    return {(f["kind"], f["message"]) for f in findings if f["severity"] == severity}


def covered_by_earlier(check: SafetyCheck, earlier: list[SafetyCheck]) -> tuple[bool, bool]:
    """Whether an earlier override / acknowledgement still covers this check's blocks / cautions.

    They carry over only when nothing new appeared: the fresh check's blocks (cautions) are all
    among those of the latest earlier check that was overridden (acknowledged).
    """
    now = stored_findings(check)
    overridden = next((c for c in reversed(earlier) if c.override is not None), None)
    acknowledged = next(
        (c for c in reversed(earlier) if c.acknowledged_at is not None or c.override is not None), None
    )
    override_holds = overridden is not None and (
        _blocking(now, FindingSeverity.BLOCK) <= _blocking(stored_findings(overridden), FindingSeverity.BLOCK)
    )
    caution_holds = acknowledged is not None and (
        _blocking(now, FindingSeverity.CAUTION) <= _blocking(stored_findings(acknowledged), FindingSeverity.CAUTION)
    )
    return override_holds, caution_holds
