"""Invariants of the check, and agreement with the reference library's own matcher."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formulary.safety.check import CROSS_SEVERITY, run_check
from formulary.vocabulary import FindingSeverity
from tests.safety.world import (
    GROUP_IDS,
    LIBRARY,
    ON,
    SUBSTANCE_IDS,
    allergy,
    component,
    condition,
    cross_reactions,
    patient,
    text_allergy,
    tolerated,
)

ROWS = cross_reactions()
SUBSTANCES = sorted(SUBSTANCE_IDS)
ALLERGENS = sorted(SUBSTANCE_IDS) + sorted(GROUP_IDS)

ingredients = st.lists(
    st.tuples(st.sampled_from(SUBSTANCES), st.sampled_from(["active", "excipient"])),
    min_size=1,
    max_size=4,
    unique_by=lambda pair: pair[0],
)
cocktails = st.lists(ingredients, min_size=1, max_size=6).map(
    lambda products: [component(n, f"Product {n}", *pairs) for n, pairs in enumerate(products, start=1)]
)
allergies = st.lists(
    st.builds(
        lambda name, status, criticality: allergy(name, status=status, criticality=criticality),
        st.sampled_from(ALLERGENS),
        st.sampled_from(["active", "inactive", "resolved"]),
        st.sampled_from(["low", "high", "unable-to-assess"]),
    )
    | st.builds(text_allergy, st.text(min_size=1, max_size=30)),
    max_size=5,
)
histories = st.sampled_from(["unknown", "none-known", "recorded"])
conditions = st.lists(st.sampled_from([c.name for c in LIBRARY.conditions]), max_size=3, unique=True)


@settings(max_examples=200, deadline=None)
@given(cocktails, allergies, histories, st.data())
def test_an_active_direct_allergy_always_blocks(cocktail, others, history, data):
    product = data.draw(st.sampled_from(cocktail))
    name = data.draw(st.sampled_from([i.substance.name for i in product.composition]))
    # The substance itself, or any group it belongs to.
    allergen = data.draw(st.sampled_from([name, *(g.name for g in LIBRARY.groups_of(name))]))
    days = data.draw(st.lists(st.dates(date(2025, 1, 1), ON), max_size=3))
    added = allergy(allergen)
    person = patient(
        *others, added, status=history, tolerated=[tolerated(product.product_id, d) for d in days]
    )
    result = run_check(person, cocktail, ROWS, on=ON)
    assert result.outcome == "blocked"
    assert any(
        f.kind == "allergy" and f.severity == "block" and f.allergy_id == added.id and f.substance == name
        for f in result.findings
    )


@settings(max_examples=100, deadline=None)
@given(cocktails, st.lists(st.sampled_from(ALLERGENS), max_size=5), conditions)
def test_nothing_to_find_is_clear(cocktail, allergens, has):
    # Allergies no longer active and conditions that no product names change nothing.
    person = patient(
        *(allergy(name, status="resolved") for name in allergens),
        status="none-known",
        conditions=[condition(name) for name in has],
    )
    result = run_check(person, cocktail, ROWS, on=ON)
    assert result.outcome == "clear"
    assert all(finding.severity == "info" and finding.kind == "allergy" for finding in result.findings)
    assert run_check(patient(), cocktail, ROWS, on=ON).findings == ()


@settings(max_examples=200, deadline=None)
@given(cocktails, allergies, histories)
def test_findings_are_worst_first_and_the_outcome_is_the_worst(cocktail, recorded, history):
    result = run_check(patient(*recorded, status=history), cocktail, ROWS, on=ON)
    severities = list(FindingSeverity)  # worst first
    ranks = [severities.index(finding.severity) for finding in result.findings]
    assert ranks == sorted(ranks)
    worst = severities[ranks[0]] if ranks else "info"
    assert result.outcome == {"block": "blocked", "caution": "caution", "info": "clear"}[worst]
    keys = [(f.allergy_id, f.substance, f.component_position) for f in result.findings if f.substance]
    assert len(keys) == len(set(keys))  # one finding per allergy, substance and component


def expected_from_library(kind, allergen, name):
    if LIBRARY.is_direct_match(kind, allergen, name):
        return ("allergy", "block")
    row = LIBRARY.cross_reaction_between(kind, allergen, name)
    return ("cross-reaction", CROSS_SEVERITY[row.strength.value]) if row else None


@pytest.mark.parametrize("allergen", ALLERGENS)
def test_agrees_with_the_reference_library_for_every_allergen_and_substance(allergen):
    kind = "substance" if allergen in SUBSTANCE_IDS else "group"
    cocktail = [component(n, name, (name, "active")) for n, name in enumerate(SUBSTANCES, start=1)]
    result = run_check(patient(allergy(allergen)), cocktail, ROWS, on=ON)
    found = {f.substance: (f.kind, f.severity) for f in result.findings}
    expected = {name: expected_from_library(kind, allergen, name) for name in SUBSTANCES}
    assert found == {name: value for name, value in expected.items() if value is not None}
