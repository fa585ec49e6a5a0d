"""The sentences and paths of the check's findings, in the words a practitioner uses."""

from __future__ import annotations

from datetime import date

from formulary.quantity import fmt_quantity
from formulary.safety.facts import (
    AllergyFact,
    CheckResult,
    ComponentFact,
    ConditionFact,
    ContraindicationFact,
    IngredientFact,
)
from formulary.vocabulary import (
    AllergyKind,
    ComponentRole,
    ContraindicationSeverity,
    Criticality,
    FindingPlace,
    FindingSeverity,
    ProcedureUse,
    VerificationStatus,
)

PREFIX: dict[str, str] = {
    FindingSeverity.BLOCK: "Blocked", FindingSeverity.CAUTION: "Caution", FindingSeverity.INFO: "Note",
}
ROLE_WORDS: dict[str, str] = {ComponentRole.ACTIVE: "an active ingredient", ComponentRole.EXCIPIENT: "an excipient"}
PLACE_WORDS: dict[str, str] = {FindingPlace.COCKTAIL: "in the cocktail", FindingPlace.PROCEDURE: "in the procedure kit"}


def _allergen(allergy: AllergyFact, via: str | None = None) -> str:
    """'procaine (ester local anaesthetics; high criticality)': the allergy and why it matters."""
    notes = [via] if via and via != allergy.name else []
    if allergy.criticality == Criticality.HIGH:
        notes.append("high criticality")
    if allergy.verification_status == VerificationStatus.UNCONFIRMED:
        notes.append("unconfirmed")
    return f"{allergy.name} ({'; '.join(notes)})" if notes else allergy.name


def _in_product(ingredient: IngredientFact, component: ComponentFact, *, named: bool = True) -> str:
    if component.in_procedure:  # applied, not injected: say where ("in the gloves: Latex gloves")
        where = f"in the {ProcedureUse(component.use).words}: {component.product_name}"
        return f"{ingredient.substance.name} is {where}" if named else where
    role = ROLE_WORDS[ingredient.role]
    where = f"{PLACE_WORDS[component.place]}: {component.product_name}"
    if not named:
        return f"{role} {where}"
    return f"{ingredient.substance.name} is {role} {where}"


def _tolerance(tolerated_on: date | None) -> str:
    return f"; tolerated on {tolerated_on.isoformat()} with no reaction noted" if tolerated_on else ""


def _tail(ingredient: IngredientFact, component: ComponentFact) -> tuple[str, ...]:
    if component.in_procedure:
        return (
            f"substance: {ingredient.substance.name} ({ingredient.role})",
            f"product: {component.product_name}",
            f"procedure item: {ProcedureUse(component.use).words}",
        )
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


def unmatched(allergy: AllergyFact, ambiguous: tuple[str, ...] = ()) -> tuple[str, tuple[str, ...]]:
    """A free-text allergy that names nothing checked, shown verbatim, with the words left unread."""
    critical = " (high criticality)" if allergy.criticality == Criticality.HIGH else ""
    unclear = ""
    if ambiguous:
        unclear = f"; {', '.join(repr(word) for word in ambiguous)} could mean more than one thing, so not read"
    return (
        f"Caution: allergy recorded as free text that names nothing checked: "
        f"'{allergy.name}'{critical}{unclear} — ask the patient",
        (f"allergy (free text): '{allergy.name}'", *(f"ambiguous: {word}" for word in ambiguous)),
    )


def text_said(allergy: AllergyFact, message: str) -> str:
    """A finding's sentence for an allergy read from free text: the words recorded come first."""
    prefix, _, rest = message.partition(": ")
    return f"{prefix}: the allergy recorded as '{allergy.name}' reads as {rest.removeprefix('allergic to ')}"


def text_names_nothing_checked(allergy: AllergyFact, names: list[str]) -> tuple[str, tuple[str, ...]]:
    """A free-text allergy whose words name substances or groups that nothing checked contains or reaches."""
    named = ", ".join(names)
    return (
        f"Note: the allergy recorded as '{allergy.name}' names {named} — nothing checked contains it or "
        f"cross-reacts with it; record it as a coded allergy",
        (f"allergy (free text): '{allergy.name}'", *(f"names: {name}" for name in names)),
    )


def condition(fact: ConditionFact) -> tuple[str, tuple[str, ...]]:
    """A condition that calls for caution at every session, or one told in words for the practitioner to read."""
    told = f" (recorded as '{fact.told}')" if fact.told else ""
    if fact.id is None:
        return (f"Caution: condition recorded as free text: '{fact.name}' — read it before the session",
                (f"condition (free text): '{fact.name}'",))
    return (f"Caution: the patient has {fact.name}{told} — {fact.session_caution}",
            (f"condition: {fact.name}", "every mesotherapy session"))


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
    elif allergy.set_aside:
        text = f"{PREFIX[severity]}: {allergy.verification_status} allergy to {allergy.name} on record, not acted on — "
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
    *,
    raised: bool = False,
) -> tuple[str, tuple[str, ...]]:
    """An allergy that cross-reacts with a substance of the component (`raised`: by its high criticality)."""
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
        f"{'; raised a step by the high criticality' if raised else ''}"
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
        f"procedure item: {ProcedureUse(component.use).words}" if component.in_procedure
        else f"component {component.position}",
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
    kit = f" and {_count(seen.procedure_items, 'procedure item')}" if seen.procedure_items else ""
    return (
        f"Checked {_count(seen.allergies, 'active allergy', 'active allergies')}, "
        f"{_count(seen.conditions, 'condition')} and {_count(seen.components, 'product')}{kit} "
        f"with {_count(seen.substances, 'substance')}, and the {_count(seen.lots, 'lot')} "
        f"the session would draw on {result.checked_on.isoformat()} (soonest expiry first)"
    )
