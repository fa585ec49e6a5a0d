"""The sentences and paths of the check's findings, in the words a practitioner uses."""

from __future__ import annotations

from datetime import date

from formulary.quantity import fmt_quantity
from formulary.safety.facts import (
    AllergyFact,
    CheckResult,
    ComponentFact,
    ContraindicationFact,
    IngredientFact,
)
from formulary.vocabulary import AllergyKind, ComponentRole, ContraindicationSeverity, Criticality, FindingSeverity

PREFIX: dict[str, str] = {
    FindingSeverity.BLOCK: "Blocked", FindingSeverity.CAUTION: "Caution", FindingSeverity.INFO: "Note",
}
ROLE_WORDS: dict[str, str] = {ComponentRole.ACTIVE: "an active ingredient", ComponentRole.EXCIPIENT: "an excipient"}


def _allergen(allergy: AllergyFact, via: str | None = None) -> str:
    """'procaine (ester local anaesthetics; high criticality)': the allergy and why it matters."""
    notes = [via] if via and via != allergy.name else []
    if allergy.criticality == Criticality.HIGH:
        notes.append("high criticality")
    return f"{allergy.name} ({'; '.join(notes)})" if notes else allergy.name


def _in_product(ingredient: IngredientFact, component: ComponentFact, *, named: bool = True) -> str:
    role = ROLE_WORDS[ingredient.role]
    if not named:
        return f"{role} of {component.product_name}"
    return f"{ingredient.substance.name} is {role} of {component.product_name}"


def _tolerance(tolerated_on: date | None) -> str:
    return f"; tolerated on {tolerated_on.isoformat()} with no reaction noted" if tolerated_on else ""


def _tail(ingredient: IngredientFact, component: ComponentFact) -> tuple[str, ...]:
    return (
        f"substance: {ingredient.substance.name} ({ingredient.role})",
        f"product: {component.product_name}",
        f"component {component.position}",
    )


def history_unknown() -> tuple[str, tuple[str, ...]]:
    """The patient was never asked about allergies."""
    return (
        "Caution: allergy history never recorded — ask the patient about allergies before treating",
        ("allergy history: never recorded",),
    )


def unmatched(allergy: AllergyFact) -> tuple[str, tuple[str, ...]]:
    """A free-text allergy that no substance or group matched, shown verbatim."""
    critical = " (high criticality)" if allergy.criticality == Criticality.HIGH else ""
    return (
        f"Caution: allergy recorded as free text, not matched to any substance: "
        f"'{allergy.name}'{critical} — ask the patient",
        (f"allergy (free text): '{allergy.name}'",),
    )


def direct(
    severity: FindingSeverity,
    allergy: AllergyFact,
    ingredient: IngredientFact,
    component: ComponentFact,
    tolerated_on: date | None,
) -> tuple[str, tuple[str, ...]]:
    """An allergy to the substance itself or to a group it belongs to."""
    same = allergy.kind == AllergyKind.SUBSTANCE
    if allergy.active:
        text = f"{PREFIX[severity]}: allergic to {_allergen(allergy)} — "
    else:
        text = f"{PREFIX[severity]}: {allergy.status} allergy to {_allergen(allergy)} on record — "
    text += _in_product(ingredient, component, named=not same) + _tolerance(tolerated_on)
    return text, (f"allergy: {allergy.name}", *_tail(ingredient, component))


def cross(
    severity: FindingSeverity,
    allergy: AllergyFact,
    link: tuple[str, str, str],  # (the side the allergy reaches, the far side, strength)
    ingredient: IngredientFact,
    component: ComponentFact,
    tolerated_on: date | None,
) -> tuple[str, tuple[str, ...]]:
    """An allergy that cross-reacts with a substance of the component."""
    near, far, strength = link
    if near == far:  # a group whose members cross-react with one another
        how = f"{_allergen(allergy, near)}; {near} cross-react with one another ({strength})"
        row = f"cross-reaction ({strength}): within {near}"
    else:
        how = f"{_allergen(allergy, near)}, which cross-reacts ({strength}) with {far}"
        row = f"cross-reaction ({strength}): {near} ↔ {far}"
    text = (
        f"{PREFIX[severity]}: allergic to {how} — {_in_product(ingredient, component)}"
        f"{_tolerance(tolerated_on)}"
    )
    return text, (f"allergy: {allergy.name}", row, *_tail(ingredient, component))


def contraindication(rule: ContraindicationFact, component: ComponentFact) -> tuple[str, tuple[str, ...]]:
    """A condition of the patient that the product names as a contraindication."""
    if rule.severity == ContraindicationSeverity.BLOCK:
        text = f"Blocked: {component.product_name} is contraindicated in {rule.condition_name}"
    else:
        text = f"Caution: {component.product_name} calls for caution in {rule.condition_name}"
    path = (
        f"condition: {rule.condition_name}",
        f"product: {component.product_name}",
        f"component {component.position}",
    )
    return text + ", which the patient has", path


def stock(component: ComponentFact, on: date) -> tuple[str, tuple[str, ...]]:
    """A component that the lots usable on the day do not cover, naming every lot left out."""
    plan, unit = component.plan, component.unit
    need = f"{fmt_quantity(plan.needed)} {unit}"
    skipped = [f"lot {lot.lot_number} {lot.reason}" for lot in plan.skipped]
    if plan.draws:
        lots = ", ".join(f"lot {draw.lot_number}" for draw in plan.draws)
        head = f"not enough stock of {component.product_name} for {need} on {on.isoformat()}"
        why = [f"only {fmt_quantity(plan.administered)} {unit} in date and available ({lots})", *skipped]
    elif skipped:
        head = f"no usable stock of {component.product_name} for {need} on {on.isoformat()}"
        why = skipped
    else:
        head = f"no stock of {component.product_name} for {need} on {on.isoformat()}"
        why = ["none on hand"]
    path = (
        f"product: {component.product_name}",
        f"component {component.position}",
        *(f"lot {lot.lot_number}: {lot.reason}" for lot in plan.skipped),
        f"short by {fmt_quantity(plan.shortage)} {unit}",
    )
    return f"Blocked: {head} — {', '.join(why)}", path


def opened_lapsed(component: ComponentFact, on: date) -> tuple[str, tuple[str, ...]]:
    """A component only opened vials past their use-by could serve: they wait to be discarded."""
    plan, unit = component.plan, component.unit
    need = f"{fmt_quantity(plan.needed)} {unit}"
    head = (f"only opened vials of {component.product_name} past their use-by hold the {need} needed on "
            f"{on.isoformat()}")
    why = [f"{fmt_quantity(plan.lapsed)} {unit} in lapsed opened vials: discard them and open a new one",
           *(f"lot {lot.lot_number} {lot.reason}" for lot in plan.skipped)]
    path = (
        f"product: {component.product_name}",
        f"component {component.position}",
        f"opened vials lapsed: {fmt_quantity(plan.lapsed)} {unit}",
        f"short by {fmt_quantity(plan.shortage)} {unit}",
    )
    return f"Blocked: {head} — {', '.join(why)}", path


def _count(number: int, word: str, plural: str | None = None) -> str:
    return f"{number} {word if number == 1 else plural or word + 's'}"


def describe(result: CheckResult) -> str:
    """'Checked 2 active allergies, 1 condition, …': what a check looked at, for every screen."""
    seen = result.summary
    return (
        f"Checked {_count(seen.allergies, 'active allergy', 'active allergies')}, "
        f"{_count(seen.conditions, 'condition')} and {_count(seen.components, 'product')} "
        f"with {_count(seen.substances, 'substance')}, and the {_count(seen.lots, 'lot')} "
        f"FEFO would draw on {result.checked_on.isoformat()}"
    )
