"""The shipped reference library loads, is consistent, and holds the facts a clinic relies on."""

import re

import pytest

from formulary.reference.library import (
    EntryKind,
    Strength,
    SubstanceCategory,
)
from formulary.reference.loader import load_library, shipped_library
from formulary.reference.names import normalize_name

LIBRARY = load_library()

REQUIRED_GOALS = {
    "rejuvenation", "hydration", "brightening", "tightening", "acne-scar reduction",
    "texture", "radiance", "pore refinement", "relaxation",
}  # fmt: skip
REQUIRED_CONDITIONS = {
    "pregnancy", "breastfeeding", "anticoagulant therapy", "active skin infection",
    "autoimmune disease", "keloid tendency", "herpes simplex outbreak", "bleeding disorder",
    "uncontrolled diabetes", "recent isotretinoin", "cancer under treatment",
}  # fmt: skip


def test_shipped_library_is_read_once():
    assert shipped_library() is shipped_library()
    assert shipped_library() == LIBRARY


def test_shipped_library_is_substantial():
    assert len(LIBRARY.substances) > 150
    assert len(LIBRARY.groups) >= 15
    assert len(LIBRARY.cross_reactions) >= 15


def test_every_name_and_synonym_finds_its_own_substance():
    for substance in LIBRARY.substances:
        for name in (substance.name, *substance.synonyms):
            assert LIBRARY.find_substance(name) is substance, name


def test_every_group_member_and_cross_reaction_side_resolves():
    names = {s.name for s in LIBRARY.substances}
    groups = {g.name for g in LIBRARY.groups}
    for group in LIBRARY.groups:
        assert group.members and set(group.members) <= names, group.name
        for synonym in group.synonyms:
            assert LIBRARY.find_group(synonym) is group
    for row in LIBRARY.cross_reactions:
        for kind, name in row.sides:
            assert name in (groups if kind is EntryKind.GROUP else names)
        assert row.note, "every cross-reaction states its source"


def test_uniis_are_well_formed_and_unique():
    uniis = [s.unii for s in LIBRARY.substances if s.unii]
    assert len(uniis) > 40
    assert len(set(uniis)) == len(uniis)
    assert all(re.fullmatch(r"[0-9A-Z]{10}", unii) for unii in uniis)


def test_goals_and_conditions():
    assert {g.name for g in LIBRARY.goals} == REQUIRED_GOALS
    assert all(g.description.endswith(".") for g in LIBRARY.goals)
    assert {c.name for c in LIBRARY.conditions} >= REQUIRED_CONDITIONS
    assert LIBRARY.find_goal("Acne scar reduction").name == "acne-scar reduction"
    assert LIBRARY.find_condition("Herpes-simplex outbreak").name == "herpes simplex outbreak"


@pytest.mark.parametrize(
    ("substance", "group"),
    [
        ("lidocaine", "amide local anaesthetics"),
        ("articaine", "amide local anaesthetics"),
        ("procaine", "ester local anaesthetics"),
        ("tetracaine", "ester local anaesthetics"),
        ("methylparaben", "parabens"),
        ("propylparaben", "parabens"),
        ("sodium metabisulfite", "sulfites"),
        ("cyanocobalamin", "cobalt compounds"),
        ("hydroxocobalamin", "vitamin B12 forms (cobalamins)"),
        ("sodium hyaluronate (avian-derived)", "avian-derived proteins"),
        ("polydeoxyribonucleotide", "fish-derived material"),
        ("polysorbate 80", "polysorbates"),
        ("polyethylene glycol", "polyethylene glycols (PEG)"),
    ],
)
def test_group_membership(substance, group):
    assert group in {g.name for g in LIBRARY.groups_of(substance)}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("cyano-B12", "cyanocobalamin"),
        ("vitamin B12a", "hydroxocobalamin"),
        ("L-ascorbic acid", "ascorbic acid"),
        ("calcium pantothenate", "pantothenic acid"),
        ("panthenol", "dexpanthenol"),
        ("thiamine pyrophosphate", "cocarboxylase"),
        ("pyridoxal phosphate", "pyridoxal 5'-phosphate"),
        ("sodium ascorbate", "ascorbic acid"),
        ("lignocaine", "lidocaine"),
        ("Adrenaline", "epinephrine"),
        ("α-lipoic acid", "alpha-lipoic acid"),
        ("thioctic acid", "alpha-lipoic acid"),
        ("sodium metabisulphite", "sodium metabisulfite"),
        ("hyaluronic acid", "sodium hyaluronate"),
        ("rooster comb hyaluronic acid", "sodium hyaluronate (avian-derived)"),
        ("GHK-Cu", "copper tripeptide-1"),
        ("Argireline", "acetyl hexapeptide-8"),
        ("DMAE", "deanol"),
        ("PDRN", "polydeoxyribonucleotide"),
    ],
)
def test_synonyms_resolve(text, name):
    assert LIBRARY.find_substance(text).name == name


def test_hyaluronic_acid_sources_are_distinct_substances():
    animal = LIBRARY.find_substance("sodium hyaluronate (avian-derived)")
    plain = LIBRARY.find_substance("sodium hyaluronate")
    assert animal is not plain
    assert animal.category is plain.category is SubstanceCategory.HYALURONIC_ACID


def test_group_lookup_by_name_and_synonym():
    assert LIBRARY.find_group("Sulphites").name == "sulfites"
    ester = LIBRARY.find_group("ester (PABA-derived) local anaesthetics")
    assert ester.name == "ester local anaesthetics"
    assert LIBRARY.group_by_key(normalize_name("PARABENS")).name == "parabens"
    assert LIBRARY.substance_by_key(normalize_name("Vitamin C")) is None  # the vitamin names every form of it
    assert LIBRARY.group_by_key(normalize_name("Vitamin C")).name == "vitamin C forms"


def test_ester_anaesthetics_cross_react_with_parabens():
    rows = LIBRARY.cross_reactions_of(EntryKind.GROUP, "parabens")
    pairs = {(r.source, r.target): r.strength for r in rows}
    assert pairs[("ester local anaesthetics", "parabens")] is Strength.MODERATE


def test_amide_and_ester_anaesthetics_do_not_cross_react():
    amide = {r.target for r in LIBRARY.cross_reactions_of("group", "amide local anaesthetics")}
    amide |= {r.source for r in LIBRARY.cross_reactions_of("group", "amide local anaesthetics")}
    assert "ester local anaesthetics" not in amide
    assert LIBRARY.cross_reaction_between("substance", "lidocaine", "procaine") is None


@pytest.mark.parametrize(
    ("kind", "allergen", "substance", "strength"),
    [
        ("substance", "procaine", "methylparaben", Strength.MODERATE),
        ("group", "ester local anaesthetics", "propylparaben", Strength.MODERATE),
        ("substance", "methylparaben", "butylparaben", Strength.HIGH),
        ("substance", "para-aminobenzoic acid", "benzocaine", Strength.HIGH),
        ("substance", "cobalt", "cyanocobalamin", Strength.MODERATE),
        ("substance", "polyethylene glycol", "polysorbate 80", Strength.MODERATE),
        ("substance", "polysorbate 20", "polysorbate 80", Strength.HIGH),
        ("substance", "egg protein", "sodium hyaluronate (avian-derived)", Strength.HIGH),
        ("substance", "fish protein", "polynucleotides", Strength.LABELLED),
        ("substance", "lidocaine", "mepivacaine", Strength.MODERATE),
    ],
)
def test_cross_reaction_between(kind, allergen, substance, strength):
    assert LIBRARY.cross_reaction_between(kind, allergen, substance).strength is strength


@pytest.mark.parametrize(
    ("kind", "allergen", "substance"),
    [
        ("group", "parabens", "methylparaben"),  # a direct allergy, not a cross-reaction
        ("substance", "procaine", "procaine"),
        ("substance", "egg protein", "sodium hyaluronate"),  # non-animal hyaluronic acid
        ("group", "sulfites", "sodium chloride"),
        ("substance", "a clinic's own substance", "lidocaine"),
    ],
)
def test_no_cross_reaction(kind, allergen, substance):
    assert LIBRARY.cross_reaction_between(kind, allergen, substance) is None


def test_direct_match():
    assert LIBRARY.is_direct_match("group", "parabens", "methylparaben")
    assert LIBRARY.is_direct_match("substance", "lidocaine", "lidocaine")
    assert not LIBRARY.is_direct_match("substance", "lidocaine", "prilocaine")
    assert not LIBRARY.is_direct_match("group", "no such group", "lidocaine")
