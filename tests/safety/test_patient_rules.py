"""The check's patient rules: free text, allergy history, inactive allergies, conditions, tolerance."""

from datetime import date

import pytest

from formulary.safety.check import run_check
from tests.safety.world import (
    ON,
    allergy,
    component,
    condition,
    contraindicated,
    cross_reactions,
    patient,
    text_allergy,
    tolerated,
)

ROWS = cross_reactions()


def check(person, *components):
    return run_check(person, list(components), ROWS, on=ON)


def kinds(result):
    return [(finding.kind, finding.severity) for finding in result.findings]


def test_free_text_is_never_matched_by_name_here():
    # Resolving text to a substance is the loader's job; text that arrives as text stays a caution.
    lidocaine = component(1, "Lidocaine 2 mL", ("lidocaine", "active"))
    result = check(patient(text_allergy("Lidocaine")), lidocaine)
    assert kinds(result) == [("unmatched-allergy", "caution")]


@pytest.mark.parametrize(
    ("history", "allergies", "expected"),
    [
        ("unknown", (), [("allergy-history-unknown", "caution")]),
        ("none-known", (), []),
        ("recorded", ("glycine",), [("allergy", "block")]),
        ("unknown", ("glycine",), [("allergy", "block"), ("allergy-history-unknown", "caution")]),
    ],
)
def test_allergy_history(history, allergies, expected):
    person = patient(*(allergy(name) for name in allergies), status=history)
    result = check(person, component(1, "Glycine 2 mL", ("glycine", "active")))
    assert kinds(result) == expected


@pytest.mark.parametrize("status", ["inactive", "resolved"])
def test_inactive_allergy_never_blocks(status):
    vitamins = component(
        1, "Vitamin Complex B 2 mL", ("methylparaben", "excipient"), ("cyanocobalamin", "active")
    )
    result = check(patient(allergy("parabens", status=status), allergy("procaine", status=status)), vitamins)
    [finding] = result.findings  # a note on the direct match; nothing for the cross-reaction
    assert (finding.kind, finding.severity, result.outcome) == ("allergy", "info", "clear")
    assert finding.message == (
        f"Note: {status} allergy to parabens on record"
        " — methylparaben is an excipient in the cocktail: Vitamin Complex B 2 mL"
    )


@pytest.mark.parametrize(
    ("has", "names", "expected"),
    [
        ("pregnancy", [("pregnancy", "block")], [("contraindication", "block")]),
        ("anticoagulant therapy", [("anticoagulant therapy", "caution")], [("contraindication", "caution")]),
        ("keloid tendency", [("pregnancy", "block")], []),
        (None, [("pregnancy", "block")], []),
    ],
)
def test_contraindications(has, names, expected):
    rules = [contraindicated(name, severity) for name, severity in names]
    product = component(3, "Lipolytic 5 mL", ("glycine", "active"), contraindications=rules)
    person = patient(conditions=[condition(has)] if has else [])
    result = check(person, product)
    assert kinds(result) == expected
    if expected:
        [finding] = result.findings
        assert finding.condition_id == rules[0].condition_id and finding.component_position == 3
        assert finding.path == (f"condition: {has}", "product: Lipolytic 5 mL", "component 3")


def test_contraindication_sentences():
    product = component(
        1,
        "Lipolytic 5 mL",
        ("glycine", "active"),
        contraindications=[contraindicated("pregnancy"), contraindicated("anticoagulant therapy", "caution")],
    )
    person = patient(conditions=[condition("pregnancy"), condition("anticoagulant therapy")])
    assert [f.message for f in check(person, product).findings] == [
        "Blocked: Lipolytic 5 mL is contraindicated in pregnancy, which the patient has",
        "Caution: Lipolytic 5 mL calls for caution in anticoagulant therapy, which the patient has",
    ]


TOLERANCE_RULES = [
    # (allergen, substance, tolerated on, expected severity, annotated)
    ("procaine", "methylparaben", date(2026, 5, 2), "info", True),  # moderate cross-reaction drops
    ("procaine", "methylparaben", date(2025, 12, 1), "caution", False),  # before the allergy was recorded
    ("procaine", "methylparaben", date(2026, 1, 10), "caution", False),  # the day it was recorded
    ("procaine", "methylparaben", ON, "caution", False),  # the day of the session itself
    ("parabens", "methylparaben", date(2026, 5, 2), "block", True),  # a direct allergy stays blocked
    ("methylparaben", "propylparaben", date(2026, 5, 2), "block", True),  # so does a high cross-reaction
    ("lidocaine", "mepivacaine", date(2026, 5, 2), "info", True),
]


@pytest.mark.parametrize(("allergen", "ingredient", "when", "severity", "annotated"), TOLERANCE_RULES)
def test_tolerated_before(allergen, ingredient, when, severity, annotated):
    product = component(1, "Vitamin Complex B 2 mL", (ingredient, "excipient"))
    [finding] = check(
        patient(allergy(allergen), tolerated=[tolerated(product.product_id, when)]), product
    ).findings
    assert finding.severity == severity
    assert finding.tolerated_on == (when if annotated else None)
    assert finding.message.endswith(f"; tolerated on {when.isoformat()} with no reaction noted") == annotated


def test_tolerance_of_another_product_does_not_count():
    product = component(1, "Vitamin Complex B 2 mL", ("methylparaben", "excipient"))
    person = patient(allergy("procaine"), tolerated=[tolerated(product.product_id + 1, date(2026, 5, 2))])
    assert kinds(check(person, product)) == [("cross-reaction", "caution")]


def test_latest_tolerance_is_shown():
    product = component(1, "Vitamin Complex B 2 mL", ("methylparaben", "excipient"))
    days = [date(2026, 3, 1), date(2026, 9, 1), date(2025, 6, 1)]
    person = patient(allergy("procaine"), tolerated=[tolerated(product.product_id, day) for day in days])
    [finding] = check(person, product).findings
    assert finding.tolerated_on == date(2026, 9, 1)
