"""The check's allergy and cross-reaction rule table, its sentences and paths, outcome and order."""

from dataclasses import replace
from datetime import date

import pytest

from formulary.safety.check import run_check
from formulary.safety.facts import AllergyFact, IngredientFact, SubstanceFact
from formulary.safety.messages import describe
from tests.safety.world import (
    GROUP_IDS,
    ON,
    SUBSTANCE_IDS,
    allergy,
    component,
    condition,
    cross_reactions,
    patient,
    substance,
    text_allergy,
)

ROWS = cross_reactions()
OUTCOME = {None: "clear", "info": "clear", "caution": "caution", "block": "blocked"}


def check(person, *components):
    return run_check(person, list(components), ROWS, on=ON)


def kinds(result):
    return [(finding.kind, finding.severity) for finding in result.findings]


ALLERGY_RULES = [
    # Direct: the substance itself, or a group it belongs to, active or excipient.
    ("lidocaine", "lidocaine", "active", ("allergy", "block")),
    ("parabens", "methylparaben", "excipient", ("allergy", "block")),
    ("cobalt compounds", "cyanocobalamin", "active", ("allergy", "block")),
    ("sulfites", "sodium metabisulfite", "excipient", ("allergy", "block")),
    ("hyaluronic acid (all sources)", "sodium hyaluronate", "active", ("allergy", "block")),
    # Cross-reactions, by the row's strength: high blocks, moderate cautions, low informs.
    ("methylparaben", "propylparaben", "excipient", ("cross-reaction", "block")),  # parabens ↔ parabens
    ("sodium metabisulfite", "sodium bisulfite", "excipient", ("cross-reaction", "block")),
    ("ester local anaesthetics", "para-aminobenzoic acid", "active", ("cross-reaction", "block")),
    ("procaine", "methylparaben", "excipient", ("cross-reaction", "caution")),  # ester ↔ parabens
    ("parabens", "procaine", "active", ("cross-reaction", "caution")),  # the same row read backwards
    ("cobalt", "cyanocobalamin", "active", ("cross-reaction", "caution")),
    ("egg protein", "sodium hyaluronate (avian-derived)", "active", ("cross-reaction", "block")),
    ("p-phenylenediamine", "procaine", "active", ("cross-reaction", "caution")),
    ("gram-positive bacterial proteins", "sodium hyaluronate", "active", ("cross-reaction", "block")),  # labelled
    ("polyethylene glycols (PEG)", "polysorbate 80", "excipient", ("cross-reaction", "caution")),
    # A group allergy reaches a row through its members: sodium hyaluronate ↔ gram-positive proteins.
    (
        "hyaluronic acid (all sources)",
        "gram-positive bacterial proteins",
        "active",
        ("cross-reaction", "block"),  # the labelled row holds both ways
    ),
    ("lidocaine", "mepivacaine", "active", ("cross-reaction", "caution")),  # amide ↔ amide, moderate
    ("Myroxylon pereirae resin", "benzyl alcohol", "excipient", ("cross-reaction", "info")),
    # Must not fire: amide and ester anaesthetics do not cross-react; unrelated substances.
    ("procaine", "lidocaine", "active", None),
    ("ester local anaesthetics", "lidocaine", "active", None),
    ("lidocaine", "procaine", "active", None),
    ("amide local anaesthetics", "procaine", "active", None),
    ("parabens", "lidocaine", "active", None),
    ("methylparaben", "benzyl alcohol", "excipient", None),
    ("sulfites", "sodium chloride", "excipient", None),
    ("cobalt compounds", "sodium hyaluronate", "active", None),
    ("egg protein", "sodium hyaluronate", "active", None),  # non-animal hyaluronic acid
    ("cow's milk protein", "glycine", "active", None),
]


@pytest.mark.parametrize(("allergen", "ingredient", "role", "expected"), ALLERGY_RULES)
def test_allergy_and_cross_reaction_rules(allergen, ingredient, role, expected):
    product = component(1, "Product 2 mL", (ingredient, role), ("sodium chloride", "excipient"))
    result = check(patient(allergy(allergen)), product)
    assert kinds(result) == ([expected] if expected else [])
    assert result.outcome == OUTCOME[expected and expected[1]]


def test_direct_allergy_sentence_and_path():
    vitamins = component(
        2, "Vitamin Complex B 2 mL", ("cyanocobalamin", "active"), ("methylparaben", "excipient")
    )
    parabens = allergy("parabens")
    [finding] = check(
        patient(parabens), component(1, "Glycine 2 mL", ("glycine", "active")), vitamins
    ).findings
    assert (
        finding.message
        == "Blocked: allergic to parabens — methylparaben is an excipient in the cocktail: Vitamin Complex B 2 mL"
    )
    assert finding.path == (
        "allergy: parabens",
        "substance: methylparaben (excipient)",
        "product: Vitamin Complex B 2 mL",
        "component 2",
    )
    assert (finding.substance, finding.product_id, finding.allergy_id, finding.component_position) == (
        "methylparaben",
        vitamins.product_id,
        parabens.id,
        2,
    )
    assert finding.lot_id is None and finding.tolerated_on is None


def test_substance_allergy_says_criticality():
    [finding] = check(
        patient(allergy("lidocaine", criticality="high")),
        component(1, "Lidocaine 1% 2 mL", ("lidocaine", "active")),
    ).findings
    assert (
        finding.message
        == "Blocked: allergic to lidocaine (high criticality) — an active ingredient in the cocktail: Lidocaine 1% 2 mL"
    )


def test_cross_reaction_sentence_names_the_groups_and_strength():
    vitamins = component(1, "Vitamin Complex B 2 mL", ("methylparaben", "excipient"))
    [finding] = check(patient(allergy("procaine")), vitamins).findings
    assert finding.message == (
        "Caution: allergic to procaine (ester local anaesthetics),"
        " which cross-reacts (moderate) with parabens"
        " — methylparaben is an excipient in the cocktail: Vitamin Complex B 2 mL"
    )
    assert finding.path == (
        "allergy: procaine",
        "cross-reaction (moderate): ester local anaesthetics ↔ parabens",
        "substance: methylparaben (excipient)",
        "product: Vitamin Complex B 2 mL",
        "component 1",
    )


def test_cross_reaction_within_a_group():
    vitamins = component(1, "Vitamin Complex B 2 mL", ("propylparaben", "excipient"))
    [finding] = check(patient(allergy("methylparaben")), vitamins).findings
    assert finding.message == (
        "Blocked: allergic to methylparaben (parabens); parabens cross-react with one another (high)"
        " — propylparaben is an excipient in the cocktail: Vitamin Complex B 2 mL"
    )
    assert finding.path[1] == "cross-reaction (high): within parabens"


def test_strongest_row_wins_once_per_allergy_substance_and_component():
    # Procaine reaches PABA-related compounds by ester ↔ PABA (high); both link groups to parabens too.
    product = component(
        1, "Sunscreen 2 mL", ("para-aminobenzoic acid", "active"), ("methylparaben", "excipient")
    )
    again = component(
        2, "Sunscreen 2 mL", ("para-aminobenzoic acid", "active"), product_id=product.product_id
    )
    result = check(patient(allergy("procaine")), product, again)
    assert [(f.substance, f.severity, f.component_position) for f in result.findings] == [
        ("para-aminobenzoic acid", "block", 1),
        ("para-aminobenzoic acid", "block", 2),
        ("methylparaben", "caution", 1),  # ester ↔ parabens moderate beats PABA ↔ parabens low
    ]


def test_matching_is_by_id_not_by_name():
    lidocaine = allergy("lidocaine")
    # The loader resolved "Xylocaine" to lidocaine's id: the name shown does not matter.
    xylocaine = IngredientFact(SubstanceFact(SUBSTANCE_IDS["lidocaine"], "Xylocaine"), "active")
    renamed = replace(component(1, "Xylocaine 2 mL"), composition=(xylocaine,))
    assert kinds(check(patient(lidocaine), renamed)) == [("allergy", "block")]
    # Same name, another id: a clinic's own substance that happens to share the spelling.
    namesake = AllergyFact(1, "substance", 99_999, "lidocaine", "low", "active", date(2026, 1, 1))
    assert kinds(check(patient(namesake), component(1, "Lidocaine 2 mL", ("lidocaine", "active")))) == []


def test_group_and_substance_ids_are_kept_apart():
    # A group allergy whose id equals a substance's id must not match that substance.
    group_id = GROUP_IDS["parabens"]
    clash = next(name for name, number in SUBSTANCE_IDS.items() if number == group_id)
    assert group_id not in substance(clash).group_ids
    result = check(patient(allergy("parabens")), component(1, "Other 2 mL", (clash, "active")))
    assert [f.kind for f in result.findings if f.kind == "allergy"] == []


@pytest.mark.parametrize(
    ("status", "expected"),
    [("active", ["caution"]), ("inactive", []), ("resolved", [])],
)
def test_free_text_allergy_is_shown_verbatim(status, expected):
    blue = text_allergy("that blue serum last summer", status=status)
    result = check(patient(blue), component(1, "Glycine 2 mL", ("glycine", "active")))
    assert [f.severity for f in result.findings] == expected
    if expected:
        [finding] = result.findings
        assert finding.kind == "unmatched-allergy" and finding.allergy_id == blue.id
        assert finding.message == (
            "Caution: allergy recorded as free text that names nothing checked:"
            " 'that blue serum last summer' — ask the patient"
        )


@pytest.mark.parametrize(
    ("allergens", "outcome"),
    [
        ((), "clear"),
        (("glycine",), "clear"),  # nothing it reaches is in the cocktail
        (("lidocaine", "procaine"), "caution"),
        (("lidocaine", "procaine", "parabens"), "blocked"),
    ],
)
def test_outcome_is_the_worst_severity(allergens, outcome):
    product = component(1, "Mepivacaine 2 mL", ("mepivacaine", "active"), ("methylparaben", "excipient"))
    assert check(patient(*(allergy(name) for name in allergens)), product).outcome == outcome


def test_findings_come_worst_first_in_the_order_found():
    first = component(1, "Mepivacaine 2 mL", ("mepivacaine", "active"), ("methylparaben", "excipient"))
    second = component(2, "Vitamin C 20% 5 mL", ("ascorbic acid", "active"), lots=[])
    person = patient(allergy("lidocaine"), allergy("procaine"), text_allergy("blue serum"), status="unknown")
    result = check(person, second, first)  # components are taken by position, whatever the order given
    assert [(f.kind, f.severity, f.component_position) for f in result.findings] == [
        ("stock", "block", 2),
        ("allergy-history-unknown", "caution", None),
        ("unmatched-allergy", "caution", None),
        ("cross-reaction", "caution", 1),  # lidocaine → mepivacaine (amide ↔ amide)
        ("cross-reaction", "caution", 1),  # procaine → methylparaben
    ]
    assert result.outcome == "blocked" and result.checked_on == ON


def test_summary_says_what_was_checked():
    first = component(
        1, "Vitamin Complex B 2 mL", ("cyanocobalamin", "active"), ("methylparaben", "excipient")
    )
    second = component(2, "Glycine 2 mL", ("glycine", "active"), ("methylparaben", "excipient"))
    person = patient(
        allergy("lidocaine"),
        allergy("cobalt", status="resolved"),
        text_allergy("blue serum"),
        conditions=[condition("pregnancy")],
    )
    result = check(person, first, second)
    assert describe(result) == (
        "Checked 2 active allergies, 1 condition and 2 products with 3 substances,"
        " and the 2 lots the session would draw on 2026-12-01 (soonest expiry first)"
    )
