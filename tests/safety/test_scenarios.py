"""Scenarios written as a clinical pharmacist would try them: an allergy as recorded, a product, the outcome.

Each row is an allergy as the patient's record holds it (typed into the form: coded when it is exactly a
name or synonym of the library, free text otherwise), its criticality, the substances of one product,
and the outcome and the kind of the worst finding a careful clinician expects. Rows come in pairs
(A against B, then B against A) wherever the reverse is a real situation. Every case of issue 13's
"Found" list is here.
"""

import pytest

from formulary.safety.check import run_check
from tests.safety.world import LEXICON, ON, component, cross_reactions, patient, recorded

ROWS = cross_reactions()
H, L = "high", "low"

SCENARIOS = [
    # --- Found: criticality was never read (amide ↔ amide) -------------------------------------
    ("lignocaine", H, ["mepivacaine"], "blocked", "cross-reaction"),
    ("lignocaine", L, ["mepivacaine"], "caution", "cross-reaction"),
    ("mepivacaine", H, ["lidocaine"], "blocked", "cross-reaction"),
    ("mepivacaine", L, ["lidocaine"], "caution", "cross-reaction"),
    ("lidocaine", L, ["articaine"], "caution", "cross-reaction"),
    ("articaine", L, ["lidocaine"], "caution", "cross-reaction"),
    # --- Found: every form of a vitamin reachable from its name -------------------------------
    ("Vitamin C", L, ["magnesium ascorbyl phosphate"], "blocked", "allergy"),
    ("vitamin C", L, ["sodium ascorbyl phosphate"], "blocked", "allergy"),
    ("vitamin C", L, ["ascorbyl palmitate"], "blocked", "allergy"),
    ("vitamin B5", L, ["dexpanthenol"], "blocked", "allergy"),
    ("vitamin B5", L, ["pantothenic acid"], "blocked", "allergy"),
    ("vitamin B1", L, ["cocarboxylase"], "blocked", "allergy"),
    ("vitamin B1", L, ["thiamine"], "blocked", "allergy"),
    ("vitamin B6", L, ["pyridoxal 5'-phosphate"], "blocked", "allergy"),
    ("vitamin B12", L, ["hydroxocobalamin"], "blocked", "allergy"),
    ("vitamin B-12", L, ["methylcobalamin"], "blocked", "allergy"),
    ("vitamin E", L, ["tocopheryl acetate"], "blocked", "allergy"),
    ("vitamin A", L, ["retinyl palmitate"], "blocked", "allergy"),
    ("vitamin B3", L, ["niacin"], "blocked", "allergy"),
    # one form against another of the same vitamin: a caution, raised by high criticality
    ("pyridoxine", L, ["pyridoxal 5'-phosphate"], "caution", "cross-reaction"),
    ("pyridoxal phosphate", L, ["pyridoxine"], "caution", "cross-reaction"),
    ("thiamine", L, ["cocarboxylase"], "caution", "cross-reaction"),
    ("thiamine pyrophosphate", L, ["thiamine"], "caution", "cross-reaction"),
    ("thiamine", H, ["cocarboxylase"], "blocked", "cross-reaction"),
    ("ascorbic acid", L, ["sodium ascorbyl phosphate"], "caution", "cross-reaction"),
    ("sodium ascorbyl phosphate", L, ["ascorbic acid"], "caution", "cross-reaction"),
    ("calcium pantothenate", L, ["dexpanthenol"], "caution", "cross-reaction"),
    ("panthenol", L, ["pantothenic acid"], "caution", "cross-reaction"),
    ("tocopherol", H, ["tocopheryl acetate"], "blocked", "cross-reaction"),
    ("cyanocobalamin", L, ["hydroxocobalamin"], "caution", "cross-reaction"),
    ("cobalt", H, ["cyanocobalamin"], "blocked", "cross-reaction"),
    # --- Found: free text read, never guessed -------------------------------------------------
    ("lidocaine (hives)", L, ["lidocaine"], "blocked", "text-match"),
    ("allergic to lidocaine", L, ["lidocaine"], "blocked", "text-match"),
    ("lidocaine hydrochloride 1%", L, ["lidocaine"], "blocked", "text-match"),
    ("Lidocaína", L, ["lidocaine"], "blocked", "text-match"),
    ("lidocaïne", L, ["lidocaine"], "blocked", "allergy"),  # accents never matter: the name itself
    ("Lidocain", L, ["lidocaine"], "blocked", "text-match"),
    ("allergic to amide local anaesthetics", L, ["lidocaine"], "blocked", "text-match"),
    ("mepivacaine (anaphylaxis in 2019)", H, ["lidocaine"], "blocked", "cross-reaction"),
    ("fish allergy", L, ["polydeoxyribonucleotide"], "blocked", "cross-reaction"),
    ("water", L, ["water for injection"], "caution", "unmatched-allergy"),
    ("HA", L, ["sodium hyaluronate"], "caution", "unmatched-allergy"),
    ("PPD", L, ["benzocaine"], "caution", "unmatched-allergy"),
    ("PN", L, ["polynucleotides"], "caution", "unmatched-allergy"),
    ("SAP", L, ["sodium ascorbyl phosphate"], "caution", "unmatched-allergy"),
    ("reacted to HA filler", L, ["sodium hyaluronate"], "caution", "unmatched-allergy"),
    # --- Found: labelled contraindications block ----------------------------------------------
    ("fish", L, ["polydeoxyribonucleotide"], "blocked", "cross-reaction"),
    ("fish", L, ["polynucleotides"], "blocked", "cross-reaction"),
    ("polydeoxyribonucleotide", L, ["fish protein"], "blocked", "cross-reaction"),
    ("fish-derived material", L, ["polydeoxyribonucleotide"], "blocked", "allergy"),
    ("gram-positive bacterial protein", L, ["sodium hyaluronate"], "blocked", "cross-reaction"),
    ("streptococcal protein", L, ["sodium hyaluronate"], "blocked", "cross-reaction"),
    ("soya", L, ["phosphatidylcholine"], "blocked", "cross-reaction"),
    ("soy derivatives", L, ["phosphatidylcholine"], "blocked", "allergy"),
    ("soy", L, ["phosphatidylcholine"], "blocked", "cross-reaction"),
    ("phosphatidylcholine", L, ["soy protein"], "blocked", "cross-reaction"),
    ("peanut", L, ["phosphatidylcholine"], "blocked", "cross-reaction"),
    ("groundnut", L, ["phosphatidylcholine"], "blocked", "cross-reaction"),
    ("cow's milk protein", L, ["lactose"], "blocked", "cross-reaction"),
    ("milk", L, ["lactose"], "blocked", "cross-reaction"),
    ("PABA", L, ["lidocaine", "methylparaben"], "blocked", "cross-reaction"),
    ("para-aminobenzoic acid", L, ["lidocaine", "methylparaben"], "blocked", "cross-reaction"),
    ("methylparaben", L, ["padimate O"], "blocked", "cross-reaction"),
    # --- Found: one allergen, one outcome however typed ---------------------------------------
    ("egg", L, ["sodium hyaluronate (avian-derived)"], "blocked", "cross-reaction"),
    ("hen's egg", L, ["sodium hyaluronate (avian-derived)"], "blocked", "cross-reaction"),
    ("avian proteins", L, ["sodium hyaluronate (avian-derived)"], "blocked", "allergy"),
    ("feathers", L, ["sodium hyaluronate (avian-derived)"], "blocked", "cross-reaction"),
    ("egg", L, ["sodium hyaluronate"], "clear", None),  # non-animal hyaluronic acid
    ("egg", L, ["egg protein"], "blocked", "allergy"),
    # --- Other classes a careful clinician checks --------------------------------------------
    ("procaine", L, ["methylparaben"], "caution", "cross-reaction"),
    ("procaine", H, ["methylparaben"], "blocked", "cross-reaction"),
    ("methylparaben", L, ["procaine"], "caution", "cross-reaction"),
    ("benzocaine", L, ["procaine"], "blocked", "cross-reaction"),
    ("parabens", L, ["methylparaben"], "blocked", "allergy"),
    ("sulphites", L, ["sodium metabisulfite"], "blocked", "allergy"),
    ("PEG", L, ["polysorbate 80"], "caution", "cross-reaction"),
    ("polysorbate 80", L, ["polyethylene glycol"], "caution", "cross-reaction"),
    ("bee venom", L, ["hyaluronidase (ovine)"], "clear", "cross-reaction"),
    ("bee venom", H, ["hyaluronidase (ovine)"], "caution", "cross-reaction"),
    ("Myroxylon pereirae resin", H, ["benzyl alcohol"], "caution", "cross-reaction"),
    ("lidocaine", L, ["procaine"], "clear", None),  # amides and esters do not cross-react
    ("nickel", L, ["cyanocobalamin"], "clear", None),
]


def _check(text, criticality, substances):
    allergy = recorded(text, criticality=criticality)
    product = component(1, "Product", *((name, "active") for name in substances))
    return run_check(patient(allergy), [product], ROWS, on=ON, lexicon=LEXICON)


def test_there_are_at_least_sixty_scenarios():
    assert len(SCENARIOS) >= 60


@pytest.mark.parametrize(
    ("text", "criticality", "substances", "outcome", "kind"),
    SCENARIOS,
    ids=[f"{text} ({crit}) → {'+'.join(subs)}" for text, crit, subs, _o, _k in SCENARIOS],
)
def test_scenario(text, criticality, substances, outcome, kind):
    result = _check(text, criticality, substances)
    assert result.outcome == outcome, [f.message for f in result.findings]
    assert (result.findings[0].kind if result.findings else None) == kind


@pytest.mark.parametrize("text", ["lidocaine (hives)", "allergic to lidocaine", "Lidocaína",
                                  "lidocaine hydrochloride 1%"])
def test_a_text_match_names_the_substance_and_where_it_is(text):
    [finding] = _check(text, L, ["lidocaine"]).findings
    assert finding.severity == "block" and finding.place == "cocktail" and finding.substance == "lidocaine"
    assert f"'{text}'" in finding.message and "in the cocktail: Product" in finding.message


def test_an_ambiguous_word_is_shown_as_such_and_never_coded():
    allergy = recorded("water")
    assert allergy.kind == "text"
    [finding] = _check("water", L, ["water for injection"]).findings
    assert "'water' could mean more than one thing" in finding.message


def test_a_raised_cross_reaction_says_why():
    [raised] = _check("lignocaine", H, ["mepivacaine"]).findings
    assert raised.message.endswith("; raised a step by the high criticality")
    [plain] = _check("lignocaine", L, ["mepivacaine"]).findings
    assert "raised" not in plain.message
