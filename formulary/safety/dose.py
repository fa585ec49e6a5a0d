"""The `dose` finding: a substance over the clinic's maximum per session, with the arithmetic spelt out.

The arithmetic itself is formulary.cocktails.dose (doses_per_session), which the composer, the session
page and the label call too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from formulary.cocktails.dose import SubstanceDose
from formulary.quantity import fmt_quantity
from formulary.safety.facts import CheckResult, Finding
from formulary.vocabulary import FindingKind, FindingSeverity


def dose_findings(doses: Sequence[SubstanceDose]) -> list[Finding]:
    """A `dose` finding (block) for each substance over the clinic's maximum, with the arithmetic."""
    return [
        Finding(FindingKind.DOSE, FindingSeverity.BLOCK,
                f"Blocked: {dose.substance} over the clinic's maximum per session — {dose.arithmetic}",
                (f"substance: {dose.substance}", *(f"product: {part.product}" for part in dose.parts),
                 f"clinic maximum: {fmt_quantity(dose.maximum_mg or Decimal(0))} mg per session"),
                substance=dose.substance)
        for dose in doses if dose.over
    ]


def with_dose_findings(result: CheckResult, doses: Sequence[SubstanceDose]) -> CheckResult:
    """The check's result with the dose findings added, worst first, and the outcome they make."""
    extra = dose_findings(doses)
    if not extra:
        return result
    order = {severity: rank for rank, severity in enumerate(FindingSeverity)}
    findings = sorted((*result.findings, *extra), key=lambda finding: order[finding.severity])
    return replace(result, outcome=findings[0].severity.outcome, findings=tuple(findings))
