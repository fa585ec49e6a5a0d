"""The pre-session check: a patient's allergies and conditions against a cocktail and its stock on a day."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import NamedTuple

from formulary.safety import messages
from formulary.safety.facts import (
    AllergyFact,
    CheckResult,
    CheckSummary,
    ComponentFact,
    CrossReactionFact,
    Finding,
    IngredientFact,
    PatientFacts,
    SubstanceFact,
)
from formulary.vocabulary import (
    AllergyHistory,
    AllergyKind,
    ContraindicationSeverity,
    EntryKind,
    FindingKind,
    FindingSeverity,
    Strength,
)

Key = tuple[str, int]  # (EntryKind, id): one side of a cross-reaction
CROSS_SEVERITY = {
    Strength.HIGH: FindingSeverity.BLOCK,
    Strength.MODERATE: FindingSeverity.CAUTION,
    Strength.LOW: FindingSeverity.INFO,
}
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(FindingSeverity)}  # worst first


class Link(NamedTuple):
    """A cross-reaction as an allergy meets it: the side it reaches, the far side, the strength."""

    near: str
    far: str
    strength: Strength


def run_check(
    patient: PatientFacts,
    components: Sequence[ComponentFact],
    cross_reactions: Iterable[CrossReactionFact],
    *,
    on: date,
) -> CheckResult:
    """Check a cocktail version for a patient on a day; the findings come worst first."""
    findings: list[Finding] = []
    if patient.allergy_status == AllergyHistory.UNKNOWN:
        message, path = messages.history_unknown()
        findings.append(Finding(FindingKind.ALLERGY_HISTORY_UNKNOWN, FindingSeverity.CAUTION, message, path))
    active = [allergy for allergy in patient.allergies if allergy.active]
    for allergy in active:
        if allergy.kind == AllergyKind.TEXT:
            message, path = messages.unmatched(allergy)
            findings.append(Finding(
                FindingKind.UNMATCHED_ALLERGY, FindingSeverity.CAUTION, message, path, allergy_id=allergy.id
            ))

    coded = [allergy for allergy in patient.allergies if allergy.kind != AllergyKind.TEXT]
    sides = _index(cross_reactions)
    reach = {allergy.id: _reachable(allergy, sides) for allergy in coded if allergy.active}
    tolerated: dict[int, list[date]] = {}
    for tolerance in patient.tolerated:
        if tolerance.administered_on < on:  # a session on the day itself is too soon to tell
            tolerated.setdefault(tolerance.product_id, []).append(tolerance.administered_on)
    conditions = {condition.id for condition in patient.conditions}

    ordered = sorted(components, key=lambda component: component.position)
    for component in ordered:
        days = sorted(tolerated.get(component.product_id, ()), reverse=True)
        for ingredient in component.composition:
            for allergy in coded:
                # Only a tolerance after the allergy was recorded says anything about it.
                since = next((day for day in days if day > allergy.recorded_on), None)
                finding = _allergy_finding(allergy, ingredient, component, reach.get(allergy.id), since)
                if finding is not None:
                    findings.append(finding)
        for rule in component.contraindications:
            if rule.condition_id in conditions:
                message, path = messages.contraindication(rule, component)
                findings.append(Finding(
                    FindingKind.CONTRAINDICATION, _contraindication_severity(rule.severity), message, path,
                    product_id=component.product_id,
                    component_position=component.position,
                    condition_id=rule.condition_id,
                ))
        if not component.plan.covered:
            lapsed = component.plan.short_for_lapse
            message, path = (messages.opened_lapsed if lapsed else messages.stock)(component, on)
            skipped = component.plan.skipped
            findings.append(Finding(
                FindingKind.OPENED_LAPSED if lapsed else FindingKind.STOCK, FindingSeverity.BLOCK, message, path,
                product_id=component.product_id,
                lot_id=skipped[0].lot_id if len(skipped) == 1 else None,
                component_position=component.position,
            ))

    findings.sort(key=lambda finding: SEVERITY_RANK[finding.severity])  # stable: order found kept
    worst = findings[0].severity if findings else FindingSeverity.INFO
    summary = CheckSummary(
        allergies=len(active),
        conditions=len(patient.conditions),
        components=len(ordered),
        substances=len({i.substance.id for c in ordered for i in c.composition}),
        lots=len({draw.lot_id for c in ordered for draw in c.plan.draws}),
    )
    return CheckResult(worst.outcome, tuple(findings), on, summary)


def _contraindication_severity(severity: str) -> FindingSeverity:
    """A contraindication's severity as a finding's: block blocks, caution calls for caution."""
    return FindingSeverity.BLOCK if severity == ContraindicationSeverity.BLOCK else FindingSeverity.CAUTION


def _index(rows: Iterable[CrossReactionFact]) -> dict[Key, list[tuple[Key, Link]]]:
    """Each side of every row → (the other side, the row seen from this side): rows hold both ways."""
    sides: dict[Key, list[tuple[Key, Link]]] = {}
    for row in rows:
        source, target = (row.source_kind, row.source_id), (row.target_kind, row.target_id)
        strength = Strength(row.strength)
        forward = Link(row.source_name, row.target_name, strength)
        sides.setdefault(source, []).append((target, forward))
        if target != source:
            backward = Link(row.target_name, row.source_name, strength)
            sides.setdefault(target, []).append((source, backward))
    return sides


def _reachable(allergy: AllergyFact, sides: dict[Key, list[tuple[Key, Link]]]) -> dict[Key, Link]:
    """Every side a cross-reaction leads to from the allergy, with the strongest link to it.

    The allergy reaches a side that is its allergen, a group holding its substance, or a
    substance of its group (the reference library's rule, ReferenceLibrary.cross_reaction_between).
    """
    assert allergy.ref_id is not None
    if allergy.kind == AllergyKind.SUBSTANCE:
        keys = [(EntryKind.SUBSTANCE, allergy.ref_id), *((EntryKind.GROUP, g) for g in sorted(allergy.group_ids))]
    else:
        keys = [(EntryKind.GROUP, allergy.ref_id), *((EntryKind.SUBSTANCE, s) for s in sorted(allergy.member_ids))]
    reached: dict[Key, Link] = {}
    for key in keys:
        for other, link in sides.get(key, ()):
            if other not in reached or link.strength.rank > reached[other].strength.rank:
                reached[other] = link
    return reached


def _is_direct(allergy: AllergyFact, substance: SubstanceFact) -> bool:
    """Whether the allergy names the substance itself or a group it belongs to."""
    if allergy.kind == AllergyKind.SUBSTANCE:
        return allergy.ref_id == substance.id
    return allergy.ref_id in substance.group_ids


def _strongest(reached: dict[Key, Link], substance: SubstanceFact) -> Link | None:
    """The strongest link to the substance or to one of its groups; the first found among equals."""
    best = reached.get((EntryKind.SUBSTANCE, substance.id))
    for group_id in sorted(substance.group_ids):
        link = reached.get((EntryKind.GROUP, group_id))
        if link is not None and (best is None or link.strength.rank > best.strength.rank):
            best = link
    return best


def _allergy_finding(
    allergy: AllergyFact,
    ingredient: IngredientFact,
    component: ComponentFact,
    reached: dict[Key, Link] | None,
    tolerated_on: date | None,
) -> Finding | None:
    """The allergy or cross-reaction finding for one allergy and one substance of a component, if any."""
    if _is_direct(allergy, ingredient.substance):
        # An inactive or resolved allergy never blocks; a match is still worth a note.
        kind = FindingKind.ALLERGY
        severity = FindingSeverity.BLOCK if allergy.active else FindingSeverity.INFO
        message, path = messages.direct(severity, allergy, ingredient, component, tolerated_on)
    else:
        link = _strongest(reached, ingredient.substance) if reached else None  # None when inactive
        if link is None:
            return None
        kind, severity = FindingKind.CROSS_REACTION, CROSS_SEVERITY[link.strength]
        if tolerated_on is not None and severity == FindingSeverity.CAUTION:
            severity = FindingSeverity.INFO  # tolerated since the allergy was recorded: shown, no longer a caution
        message, path = messages.cross(severity, allergy, link, ingredient, component, tolerated_on)
    return Finding(
        kind, severity, message, path,
        substance=ingredient.substance.name,
        product_id=component.product_id,
        allergy_id=allergy.id,
        component_position=component.position,
        tolerated_on=tolerated_on,
    )
