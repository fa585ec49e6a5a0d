"""How a check is shown: the status badge of a session's latest check, and the session page's check panel."""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import selectinload

from formulary.catalogue.models import ProductComponent
from formulary.extensions import db
from formulary.patients.models import Allergy, PatientCondition
from formulary.safety.facts import CheckResult, CheckSummary
from formulary.safety.messages import describe
from formulary.treatments.checks import check_patient, covered_by_earlier, stored_findings
from formulary.treatments.models import Override, SafetyCheck, TreatmentSession
from formulary.treatments.stock_kinds import STOCK_KINDS
from formulary.vocabulary import CheckOutcome, ClinicalStatus, FindingSeverity, SessionStatus

SEVERITY_BADGES = {
    FindingSeverity.BLOCK: ("Blocked", "danger"),
    FindingSeverity.CAUTION: ("Caution", "warning"),
    FindingSeverity.INFO: ("Note", "info"),
}
# The stored statuses in the clinic's words (the filter of the session list).
STATUS_LABELS = {
    SessionStatus.PLANNED: "Planned, not checked", SessionStatus.CHECKED: "Checked, not given",
    SessionStatus.ADMINISTERED: "Given", SessionStatus.CANCELLED: "Cancelled",
}
OUTCOME_TONES = {CheckOutcome.BLOCKED: "danger", CheckOutcome.CAUTION: "warning", CheckOutcome.CLEAR: "success"}


@dataclass(frozen=True)
class CheckState:
    """What a list shows of a session's latest check: a label and a badge colour."""

    key: str
    label: str
    tone: str
    settled: bool = False  # a block overridden or cautions acknowledged (here or on a check that still covers it)


@dataclass(frozen=True)
class Outcome:
    """What matters about a session in one or two words, for a badge: Given, Ready, Blocked …"""

    key: str
    label: str
    tone: str
    hint: str  # the tooltip: what the word means here


def session_outcome(status: str, state: CheckState | None) -> Outcome:
    """A session's badge in the clinic's words: given or cancelled, else what its latest check allows.

    "Checked" said nothing of the result; a blocked session must read "Blocked", one that may go ahead "Ready".
    """
    if status == SessionStatus.ADMINISTERED:
        return Outcome("given", "Given", "success", "The session was given; its lots are recorded.")
    if status == SessionStatus.CANCELLED:
        return Outcome("cancelled", "Cancelled", "secondary", "Cancelled; kept on record with the reason.")
    if state is None or state.key == "not-checked":
        return Outcome("not-checked", "Not checked", "light", "Run the pre-session check before giving it.")
    if state.key == CheckOutcome.BLOCKED:
        if state.settled:
            return Outcome("ready-overridden", "Ready · override", "warning",
                           "The check blocked it; a manager overrode the block with a written reason.")
        return Outcome("blocked", "Blocked", "danger", "The check found a reason not to give it.")
    if state.key == CheckOutcome.CAUTION and not state.settled:
        return Outcome("needs-acknowledgement", "Needs acknowledgement", "warning",
                       "The check found cautions: read and acknowledge them before giving it.")
    return Outcome("ready", "Ready", "success", "Checked: nothing stands in the way.")


def check_state(check: SafetyCheck | None, earlier: Sequence[SafetyCheck] = ()) -> CheckState:
    """Not checked / clear / caution (acknowledged) / blocked (overridden), as a badge.

    An override or acknowledgement of an earlier check counts when it still covers this one.
    """
    if check is None:
        return CheckState("not-checked", "Not checked", "secondary")
    override_holds, caution_holds = covered_by_earlier(check, list(earlier)) if earlier else (False, False)
    if check.outcome == CheckOutcome.BLOCKED:
        if check.override is not None or override_holds:
            return CheckState(CheckOutcome.BLOCKED, "Blocked · overridden", "danger", settled=True)
        return CheckState(CheckOutcome.BLOCKED, "Blocked", "danger")
    if check.outcome == CheckOutcome.CAUTION:
        if check.acknowledged_at is not None or caution_holds:
            return CheckState(CheckOutcome.CAUTION, "Caution · acknowledged", "warning", settled=True)
        return CheckState(CheckOutcome.CAUTION, "Caution", "warning")
    return CheckState(CheckOutcome.CLEAR, "Clear", "success")


def session_states(session_ids) -> dict[int, CheckState]:
    """The badge of each session's latest check, earlier overrides counted (two queries whatever the number)."""
    ids = list(session_ids)
    if not ids:
        return {}
    checks: dict[int, list[SafetyCheck]] = {}
    rows = db.session.scalars(
        select(SafetyCheck).where(SafetyCheck.session_id.in_(ids)).order_by(SafetyCheck.id)
        .options(selectinload(SafetyCheck.override))
    )
    for check in rows:
        if check.session_id is not None:  # always, by the query: it tells the type checker
            checks.setdefault(check.session_id, []).append(check)
    return {session_id: check_state(history[-1], history[:-1]) for session_id, history in checks.items()}


@cache
def _as_of_statement():
    # One statement, three counts, built once: the page of an administered session asks it on every view.
    return select(
        select(func.count(Allergy.id)).where(
            Allergy.patient_id == bindparam("patient_id"), Allergy.status == ClinicalStatus.ACTIVE,
            Allergy.recorded_at <= bindparam("run_at"),
        ).scalar_subquery(),
        select(func.count()).select_from(PatientCondition).where(
            PatientCondition.patient_id == bindparam("patient_id"), PatientCondition.noted_at <= bindparam("run_at"),
        ).scalar_subquery(),
        select(func.count(func.distinct(ProductComponent.substance_id))).where(
            ProductComponent.product_id.in_(bindparam("product_ids", expanding=True))
        ).scalar_subquery(),
    )


def _as_of_summary(session: TreatmentSession, check: SafetyCheck) -> CheckSummary:
    """What the check at administration looked at: the patient's record then, the recipe, the lots drawn."""
    product_ids = [c.product_id for c in session.cocktail_version.components]
    allergies, conditions, substances = db.session.execute(_as_of_statement(), {
        "patient_id": session.patient_id, "run_at": check.run_at, "product_ids": product_ids}).one()
    return CheckSummary(allergies, conditions, len(product_ids), substances, len({d.lot_id for d in session.draws}))


@dataclass(frozen=True)
class CheckPanel:
    """The latest check as the session page shows it: findings, what it checked, and whether it is stale."""

    check: SafetyCheck
    findings: list[dict]
    checked: str  # "Checked 2 active allergies, …"
    stale: bool  # a check now would find something else: run it again
    carried_override: Override | None = None  # an earlier check's override that still covers this one
    carried_acknowledgement: SafetyCheck | None = None  # an earlier check whose acknowledgement still holds

    @property
    def overridden(self) -> bool:
        """Whether the block is overridden, on this check or by one that still covers it."""
        return self.check.override is not None or self.carried_override is not None

    @property
    def stock_blocked(self) -> bool:
        """Whether stock blocks it: no override can help, only stock received or released."""
        return any(f["kind"] in STOCK_KINDS and f["severity"] == FindingSeverity.BLOCK for f in self.findings)

    @property
    def acknowledged(self) -> bool:
        """Whether the cautions are acknowledged, on this check or on one that still covers it."""
        return self.check.acknowledged_at is not None or self.carried_acknowledgement is not None


def check_panel(session: TreatmentSession) -> CheckPanel | None:
    """The latest check of the session, with the sentence saying what it checked.

    For a session still to be administered the check is run again (nothing is recorded): that
    says what it looks at and whether the recorded findings still hold.
    """
    if not session.checks:
        return None
    check = session.checks[-1]
    findings = stored_findings(check)
    if session.status == SessionStatus.ADMINISTERED:
        summary, stale = _as_of_summary(session, check), False
    else:
        fresh = check_patient(session.patient_id, check.cocktail_version_id, check.checked_for)
        summary = fresh.summary
        now = [(f.kind, f.severity, f.message) for f in fresh.findings]
        shown = [(f["kind"], f["severity"], f["message"]) for f in findings]
        stale = session.status != SessionStatus.CANCELLED and now != shown
    checked = describe(CheckResult(CheckOutcome(check.outcome), (), check.checked_for, summary))
    earlier = list(session.checks[:-1])
    override_holds, caution_holds = covered_by_earlier(check, earlier) if earlier else (False, False)
    carried = next((c.override for c in reversed(earlier) if c.override is not None), None)
    acknowledged = next((c for c in reversed(earlier) if c.acknowledged_at or c.override), None)
    return CheckPanel(
        check, findings, checked, stale,
        carried_override=carried if override_holds and check.override is None else None,
        carried_acknowledgement=acknowledged if caution_holds and check.acknowledged_at is None else None,
    )


def blocked_message(session: TreatmentSession, refusal: str) -> str:
    """Why administering was refused, naming what blocks (read before the rollback drops the fresh check)."""
    findings = stored_findings(session.checks[-1]) if session.checks else []
    blocks = [f["message"] for f in findings if f["severity"] == FindingSeverity.BLOCK]
    if blocks and all(f["kind"] in STOCK_KINDS for f in findings if f["severity"] == FindingSeverity.BLOCK):
        return "Not administered: " + " ".join(blocks) + ". Nothing was drawn."
    found = (" The check found: " + "; ".join(blocks) + ".") if blocks else ""
    return f"Not administered: {refusal}{found} Nothing was drawn."
