"""The shipped reference library: substances, allergen groups, cross-reactions, goals and conditions."""
