"""Dose per session: strength × volume, added up across products, against the clinic's maximum."""

from decimal import Decimal

import pytest

from formulary.cocktails.dose import DoseLine, doses_per_session, mg_per_ml


def line(strength, amount, *, substance=1, name="Lidocaine", product="Lidocaine 2%", unit="mL", size="5"):
    return DoseLine(substance, name, product, strength, Decimal(amount), unit, Decimal(size))


@pytest.mark.parametrize("strength, size, expected", [
    ("2 %", "5", Decimal(20)),
    ("2%", "5", Decimal(20)),
    ("20 mg/mL", "5", Decimal(20)),
    ("1,5 mg/ml", "5", Decimal("1.5")),
    ("500 mcg/mL", "1", Decimal("0.5")),
    ("25 mg", "2", Decimal("12.5")),  # per 2 mL ampoule
    ("", "2", None),
    ("q.s.", "2", None),
])
def test_a_strength_reads_as_mg_per_ml(strength, size, expected):
    assert mg_per_ml(strength, "mL", Decimal(size)) == expected


def test_the_arithmetic_says_the_issue_example():
    [dose] = doses_per_session([line("2 %", "2.5")], {1: Decimal(40)})
    assert dose.total_mg == Decimal(50)
    assert dose.over
    assert dose.arithmetic == "Lidocaine 2 % × 2.5 mL = 50 mg; clinic maximum 40 mg"


def test_two_products_add_up_and_each_is_named():
    doses = doses_per_session([
        line("2 %", "0.5"),
        line("3 mg/mL", "1", product="Skin Booster HA + Lidocaine"),
    ], {1: Decimal(200)})
    [dose] = doses
    assert dose.total_mg == Decimal(13)
    assert not dose.over
    assert "2 % × 0.5 mL (Lidocaine 2%) + 3 mg/mL × 1 mL (Skin Booster HA + Lidocaine) = 13 mg" in dose.arithmetic


def test_exactly_the_maximum_is_not_over():
    [dose] = doses_per_session([line("2 %", "2")], {1: Decimal(40)})
    assert dose.total_mg == Decimal(40) and not dose.over


def test_an_unreadable_strength_makes_the_total_unknown_never_a_guess():
    [dose] = doses_per_session([line("2 %", "1"), line("a little", "1", product="Other")], {1: Decimal(1)})
    assert dose.total_mg is None and not dose.over
    assert "unknown" in dose.arithmetic


def test_substances_without_a_stated_strength_are_left_out():
    assert doses_per_session([line("", "1")], {}) == []
