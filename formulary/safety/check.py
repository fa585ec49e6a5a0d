"""The pre-session check: a patient's allergies and conditions against a cocktail and its stock on a day."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from typing import NamedTuple

from formulary.reference.matcher import Entry, Lexicon, Mentions
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
    Criticality,
    EntryKind,
    FindingKind,
    FindingSeverity,
    Strength,
    VerificationStatus,
)

Key = tuple[str, int]  # (EntryKind, id): one side of a cross-reaction
CROSS_SEVERITY = {
    Strength.LABELLED: FindingSeverity.BLOCK,
    Strength.HIGH: FindingSeverity.BLOCK,
    Strength.MODERATE: FindingSeverity.CAUTION,
    Strength.LOW: FindingSeverity.INFO,
}
# A high-criticality allergy raises each cross-reaction it reaches by one step: low → caution, moderate → block.
CROSS_SEVERITY_HIGH_CRITICALITY = {
    Strength.LABELLED: FindingSeverity.BLOCK,
    Strength.HIGH: FindingSeverity.BLOCK,
    Strength.MODERATE: FindingSeverity.BLOCK,
    Strength.LOW: FindingSeverity.CAUTION,
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
    lexicon: Lexicon | None = None,
) -> CheckResult:
    """Check what the patient will be exposed to on a day; the findings come worst first.

    `components` are every exposure, each with its place (the cocktail's components, the procedure
    items); `lexicon` holds the names of their substances and groups, so that free-text allergies
    are read against them (see safety.loader.lexicon_for).
    """
    findings: list[Finding] = []
    if patient.allergy_status == AllergyHistory.UNKNOWN:
        message, path = messages.history_unknown()
        findings.append(Finding(FindingKind.ALLERGY_HISTORY_UNKNOWN, FindingSeverity.CAUTION, message, path))
    ordered = sorted(components, key=lambda component: (component.place, component.position))
    sides = _index(cross_reactions)
    findings += _condition_findings(patient)
    findings += _free_text_findings(patient, ordered, sides, lexicon, on)
    findings += _coded_findings(patient, ordered, sides, on)
    for component in ordered:
        findings += _component_findings(patient, component, on)

    findings.sort(key=lambda finding: SEVERITY_RANK[finding.severity])  # stable: order found kept
    worst = findings[0].severity if findings else FindingSeverity.INFO
    summary = CheckSummary(
        allergies=len([allergy for allergy in patient.allergies if allergy.active]),
        conditions=len(patient.conditions),
        components=sum(1 for c in ordered if not c.in_procedure),
        substances=len({i.substance.id for c in ordered for i in c.composition}),
        lots=len({draw.lot_id for c in ordered for draw in c.plan.draws}),
        procedure_items=sum(1 for c in ordered if c.in_procedure),
    )
    return CheckResult(worst.outcome, tuple(findings), on, summary)


def _condition_findings(patient: PatientFacts) -> list[Finding]:
    """General cautions of the patient's conditions (pregnancy, breastfeeding), and conditions told in words."""
    findings = []
    for condition in patient.conditions:
        if condition.session_caution or condition.id is None:
            message, path = messages.condition(condition)
            findings.append(Finding(FindingKind.CONDITION, FindingSeverity.CAUTION, message, path,
                                    condition_id=condition.id))
    return findings


def _free_text_findings(
    patient: PatientFacts, components: Sequence[ComponentFact], sides: Sides, lexicon: Lexicon | None, on: date
) -> list[Finding]:
    """Each active free-text allergy read for the names it holds, each name then checked as a coded allergy.

    A name whose substance (or group) is in what is checked gives a text-match finding, which blocks;
    a cross-reaction from it gives the cross-reaction finding a coded allergy would. Words that could
    mean more than one thing are never read; a text that names nothing checked calls for caution.
    """
    findings: list[Finding] = []
    tolerated = _tolerated(patient, on)
    for allergy in patient.allergies:
        if allergy.kind != AllergyKind.TEXT or not allergy.active:
            continue
        mentions = lexicon.read(allergy.name) if lexicon is not None else Mentions()
        read = [_as_coded(allergy, entry) for entry in mentions.found
                if entry.kind in (EntryKind.SUBSTANCE, EntryKind.GROUP)]
        found = [
            _text_finding(allergy, finding) for named in read
            for finding in _allergy_findings(named, components, _reachable(named, sides), tolerated)
        ]
        if found:
            findings += found
        elif read:
            message, path = messages.text_names_nothing_checked(allergy, [named.name for named in read])
            findings.append(Finding(FindingKind.TEXT_MATCH, FindingSeverity.INFO, message, path,
                                    allergy_id=allergy.id))
        if not read or mentions.ambiguous:
            message, path = messages.unmatched(allergy, mentions.ambiguous)
            findings.append(Finding(
                FindingKind.UNMATCHED_ALLERGY, FindingSeverity.CAUTION, message, path, allergy_id=allergy.id
            ))
    return findings


def _as_coded(allergy: AllergyFact, entry: Entry) -> AllergyFact:
    """The free-text allergy read as the substance or group its words name, with the same certainty."""
    return replace(
        allergy, kind=entry.kind, ref_id=entry.id, name=entry.name,
        group_ids=entry.groups if entry.kind == EntryKind.SUBSTANCE else frozenset(),
        member_ids=entry.members if entry.kind == EntryKind.GROUP else frozenset(),
    )


def _text_finding(allergy: AllergyFact, finding: Finding) -> Finding:
    """A finding of the allergy as read, told as what the free text says: a direct hit is a text-match (block)."""
    if finding.kind == FindingKind.ALLERGY:
        return replace(finding, kind=FindingKind.TEXT_MATCH,
                       message=messages.text_said(allergy, finding.message), path=(
                           f"allergy (free text): '{allergy.name}'", *finding.path))
    return replace(finding, message=messages.text_said(allergy, finding.message),
                   path=(f"allergy (free text): '{allergy.name}'", *finding.path))


def _tolerated(patient: PatientFacts, on: date) -> dict[int, list[date]]:
    """Each product's days of earlier sessions with no reaction, latest first."""
    tolerated: dict[int, list[date]] = {}
    for tolerance in patient.tolerated:
        if tolerance.administered_on < on:  # a session on the day itself is too soon to tell
            tolerated.setdefault(tolerance.product_id, []).append(tolerance.administered_on)
    return {product: sorted(days, reverse=True) for product, days in tolerated.items()}


def _coded_findings(
    patient: PatientFacts, components: Sequence[ComponentFact], sides: Sides, on: date
) -> list[Finding]:
    """Coded allergies against every substance of the exposures: direct matches and cross-reactions."""
    tolerated = _tolerated(patient, on)
    findings = []
    for allergy in patient.allergies:
        if allergy.kind == AllergyKind.TEXT or allergy.verification_status == VerificationStatus.ENTERED_IN_ERROR:
            continue  # free text is read apart; an entry in error says nothing
        reached = _reachable(allergy, sides) if allergy.active else None
        findings += _allergy_findings(allergy, components, reached, tolerated)
    return findings


def _allergy_findings(
    allergy: AllergyFact, components: Sequence[ComponentFact], reached: dict[Key, Link] | None,
    tolerated: dict[int, list[date]],
) -> list[Finding]:
    """One allergy against every substance of every exposure."""
    findings = []
    for component in components:
        # Only a tolerance after the allergy was recorded says anything about it.
        since = next((day for day in tolerated.get(component.product_id, ()) if day > allergy.recorded_on), None)
        for ingredient in component.composition:
            finding = _allergy_finding(allergy, ingredient, component, reached, since)
            if finding is not None:
                findings.append(finding)
    return findings


def _component_findings(patient: PatientFacts, component: ComponentFact, on: date) -> list[Finding]:
    """What the product itself says: contraindicated conditions, and whether stock covers it on the day."""
    findings = []
    conditions = {condition.id for condition in patient.conditions if condition.id is not None}
    for rule in component.contraindications:
        if rule.condition_id in conditions:
            message, path = messages.contraindication(rule, component)
            findings.append(Finding(
                FindingKind.CONTRAINDICATION, _contraindication_severity(rule.severity), message, path,
                product_id=component.product_id,
                component_position=component.position,
                condition_id=rule.condition_id,
                place=component.place,
            ))
    if not component.plan.covered:
        message, path = messages.stock(component, on)
        skipped = component.plan.skipped
        findings.append(Finding(
            FindingKind.STOCK, FindingSeverity.BLOCK, message, path,
            product_id=component.product_id,
            lot_id=skipped[0].lot_id if len(skipped) == 1 else None,
            component_position=component.position,
            place=component.place,
        ))
    return findings


def _contraindication_severity(severity: str) -> FindingSeverity:
    """A contraindication's severity as a finding's: block blocks, caution calls for caution."""
    return FindingSeverity.BLOCK if severity == ContraindicationSeverity.BLOCK else FindingSeverity.CAUTION


Sides = dict[Key, list[tuple[Key, Link]]]


def _index(rows: Iterable[CrossReactionFact]) -> Sides:
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
        # An inactive, resolved or refuted allergy never blocks; a match is still worth a note.
        kind = FindingKind.ALLERGY
        severity = FindingSeverity.BLOCK if allergy.active else FindingSeverity.INFO
        message, path = messages.direct(severity, allergy, ingredient, component, tolerated_on)
    else:
        link = _strongest(reached, ingredient.substance) if reached else None  # None when not active
        if link is None:
            return None
        kind, severity = FindingKind.CROSS_REACTION, cross_severity(link.strength, allergy.criticality)
        if tolerated_on is not None and severity == FindingSeverity.CAUTION:
            severity = FindingSeverity.INFO  # tolerated since the allergy was recorded: shown, no longer a caution
        raised = severity != CROSS_SEVERITY[link.strength] and severity == cross_severity(link.strength,
                                                                                        allergy.criticality)
        message, path = messages.cross(severity, allergy, link, ingredient, component, tolerated_on, raised=raised)
    return Finding(
        kind, severity, message, path,
        substance=ingredient.substance.name,
        product_id=component.product_id,
        allergy_id=allergy.id,
        component_position=component.position,
        tolerated_on=tolerated_on,
        place=component.place,
    )


def cross_severity(strength: str, criticality: str) -> FindingSeverity:
    """A cross-reaction's severity: by its strength, one step worse for a high-criticality allergy."""
    table = CROSS_SEVERITY_HIGH_CRITICALITY if criticality == Criticality.HIGH else CROSS_SEVERITY
    return table[Strength(strength)]
