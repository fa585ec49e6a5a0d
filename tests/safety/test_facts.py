"""The facts refuse values that would let an allergy slip past the check."""

from datetime import date

import pytest

from formulary.safety.facts import (
    AllergyFact,
    ContraindicationFact,
    CrossReactionFact,
    IngredientFact,
    PatientFacts,
    SubstanceFact,
)

DAY = date(2026, 1, 1)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: AllergyFact(1, "substance", 5, "lidocaine", "low", "Active", DAY),
            "Unknown allergy status 'Active'",
        ),
        (lambda: AllergyFact(1, "drug", 5, "lidocaine", "low", "active", DAY), "Unknown allergy kind 'drug'"),
        (
            lambda: AllergyFact(1, "group", 5, "parabens", "severe", "active", DAY),
            "Unknown criticality 'severe'",
        ),
        (lambda: AllergyFact(1, "text", 5, "blue serum", "low", "active", DAY), "free text, so it cannot"),
        (lambda: AllergyFact(1, "group", None, "parabens", "low", "active", DAY), "needs its id"),
        (lambda: PatientFacts("never asked"), "Unknown allergy history status 'never asked'"),
        (lambda: IngredientFact(SubstanceFact(1, "glycine"), "inactive"), "Unknown role 'inactive'"),
        (lambda: ContraindicationFact(1, "pregnancy", "info"), "Unknown contraindication severity 'info'"),
        (lambda: CrossReactionFact("group", 1, "a", "class", 2, "b", "high"), "Unknown cross-reaction side"),
        (
            lambda: CrossReactionFact("group", 1, "a", "group", 2, "b", "strong"),
            "Unknown cross-reaction strength",
        ),
    ],
)
def test_unknown_values_are_refused(build, message):
    with pytest.raises(ValueError, match=message):
        build()
