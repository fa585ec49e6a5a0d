"""The plain values the pre-session check reads, and the result it gives: no database here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cache

from formulary.stock.fefo import DrawPlan
from formulary.vocabulary import (
    AllergyHistory,
    AllergyKind,
    CheckOutcome,
    ClinicalStatus,
    ComponentRole,
    ContraindicationSeverity,
    Criticality,
    EntryKind,
    FindingKind,
    FindingPlace,
    FindingSeverity,
    Strength,
    VerificationStatus,
)

# Kept on record and shown, but never acted on: FHIR's refuted and entered-in-error.
SET_ASIDE = frozenset({VerificationStatus.REFUTED, VerificationStatus.ENTERED_IN_ERROR})


@cache
def _values(allowed: type[StrEnum]) -> frozenset[str]:
    return frozenset(str(member) for member in allowed)


def _one_of(value: str, allowed: type[StrEnum], what: str) -> None:
    # A misspelt status must fail loudly, never let an allergy slip past the check.
    if value not in _values(allowed):  # a set of the values: every fact checks several, on every check
        raise ValueError(f"Unknown {what} {value!r}: expected one of {', '.join(allowed)}")


@dataclass(frozen=True)
class AllergyFact:
    """A recorded allergy, coded to a substance or an allergen group, or free text nothing matched.

    For a substance allergy, group_ids are the groups that substance belongs to; for a group
    allergy, member_ids are the substances of the group. The cross-reaction rule needs both.
    """

    id: int
    kind: str  # AllergyKind
    ref_id: int | None  # the substance or group id; None for free text
    name: str  # canonical name, or the free text as typed
    criticality: str  # Criticality
    status: str  # ClinicalStatus
    recorded_on: date
    reaction: str = ""
    group_ids: frozenset[int] = frozenset()
    member_ids: frozenset[int] = frozenset()
    verification_status: str = VerificationStatus.CONFIRMED  # VerificationStatus

    def __post_init__(self) -> None:
        _one_of(self.kind, AllergyKind, "allergy kind")
        _one_of(self.criticality, Criticality, "criticality")
        _one_of(self.status, ClinicalStatus, "allergy status")
        _one_of(self.verification_status, VerificationStatus, "verification status")
        if self.kind == AllergyKind.TEXT and self.ref_id is not None:
            raise ValueError(f"Allergy {self.id} is free text, so it cannot also name id {self.ref_id}")
        if self.kind != AllergyKind.TEXT and self.ref_id is None:
            raise ValueError(f"Allergy {self.id} is coded to a {self.kind}, so it needs its id")

    @property
    def active(self) -> bool:
        """Whether the allergy counts: clinically active and not refuted or entered in error."""
        return self.status == ClinicalStatus.ACTIVE and not self.set_aside

    @property
    def set_aside(self) -> bool:
        """Refuted or entered in error: kept on record, never blocks, never cautions."""
        return self.verification_status in SET_ASIDE

    @property
    def high_criticality(self) -> bool:
        """A high-criticality allergy raises every cross-reaction it reaches by one step."""
        return self.criticality == Criticality.HIGH


@dataclass(frozen=True)
class ConditionFact:
    """A condition the patient has (pregnancy, anticoagulant therapy …).

    `session_caution` is what the condition means for every mesotherapy session whatever the
    products say (pregnancy, breastfeeding); `told` is the patient's own words when the condition
    was recorded as free text that names it; a condition told in words that names nothing listed
    has id None.
    """

    id: int | None
    name: str
    session_caution: str = ""
    told: str = ""


@dataclass(frozen=True)
class ToleranceFact:
    """The patient received this product in an administered session with no reaction noted."""

    product_id: int
    administered_on: date


@dataclass(frozen=True)
class PatientFacts:
    """What the check knows of the patient: allergy history, allergies, conditions, tolerances."""

    allergy_status: str  # AllergyHistory
    allergies: tuple[AllergyFact, ...] = ()
    conditions: tuple[ConditionFact, ...] = ()
    tolerated: tuple[ToleranceFact, ...] = ()

    def __post_init__(self) -> None:
        _one_of(self.allergy_status, AllergyHistory, "allergy history status")


@dataclass(frozen=True)
class SubstanceFact:
    """A substance of the cocktail, with the allergen groups it belongs to."""

    id: int
    name: str
    group_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class IngredientFact:
    """One line of a product's composition: a substance, active or excipient, with its strength."""

    substance: SubstanceFact
    role: str  # ComponentRole
    strength: str = ""

    def __post_init__(self) -> None:
        _one_of(self.role, ComponentRole, "role")


@dataclass(frozen=True)
class ContraindicationFact:
    """A condition the product names as a contraindication, blocking or calling for caution."""

    condition_id: int
    condition_name: str
    severity: str  # ContraindicationSeverity

    def __post_init__(self) -> None:
        _one_of(self.severity, ContraindicationSeverity, "contraindication severity")


@dataclass(frozen=True)
class ComponentFact:
    """One component of the cocktail version: its product, composition, and the FEFO plan for the day."""

    position: int
    product_id: int
    product_name: str
    unit: str
    composition: tuple[IngredientFact, ...]
    contraindications: tuple[ContraindicationFact, ...]
    plan: DrawPlan  # plan_draw(lots of the product, amount, the product's DrawRule on the day)
    # Where the patient meets it: injected with the cocktail, or applied as a procedure item (kit).
    place: str = FindingPlace.COCKTAIL
    use: str = ""  # ProcedureUse, for a procedure item (the kit's, which draws no stock: its plan needs nothing)

    def __post_init__(self) -> None:
        _one_of(self.place, FindingPlace, "place")

    @property
    def in_procedure(self) -> bool:
        """Whether this is a procedure item (numbing cream, antiseptic, gloves …), not a component."""
        return self.place == FindingPlace.PROCEDURE

    @property
    def amount(self) -> Decimal:
        """The amount a session needs, in the product's unit."""
        return self.plan.needed


@dataclass(frozen=True)
class CrossReactionFact:
    """A cross-reaction row of the reference library; it holds in both directions."""

    source_kind: str  # EntryKind
    source_id: int
    source_name: str
    target_kind: str
    target_id: int
    target_name: str
    strength: str  # Strength

    def __post_init__(self) -> None:
        _one_of(self.source_kind, EntryKind, "cross-reaction side")
        _one_of(self.target_kind, EntryKind, "cross-reaction side")
        _one_of(self.strength, Strength, "cross-reaction strength")


@dataclass(frozen=True)
class Finding:
    """One thing the check found, with the path that explains it and a sentence to show."""

    kind: FindingKind
    severity: FindingSeverity
    message: str
    path: tuple[str, ...]
    substance: str | None = None
    product_id: int | None = None
    lot_id: int | None = None
    allergy_id: int | None = None
    component_position: int | None = None
    condition_id: int | None = None
    tolerated_on: date | None = None
    place: str | None = None  # FindingPlace of the exposure concerned; the API calls it `in`


@dataclass(frozen=True)
class CheckSummary:
    """What the check looked at, so that every screen can say what it checked."""

    allergies: int  # active allergies, free text included
    conditions: int
    components: int
    substances: int  # distinct substances across every product's composition
    lots: int  # distinct lots FEFO would draw from
    procedure_items: int = 0  # the kit's items and the cocktail's own


@dataclass(frozen=True)
class CheckResult:
    """The outcome of the check, its findings worst first, the day it was for and what it checked."""

    outcome: CheckOutcome
    findings: tuple[Finding, ...]
    checked_on: date
    summary: CheckSummary

    @property
    def blocked(self) -> bool:
        """Whether the session may go ahead only with an allowed override."""
        return self.outcome == CheckOutcome.BLOCKED
