"""The README's rule tables for the check say what the code does: each row is run through the check."""

import re
from pathlib import Path

import pytest

from formulary.safety.check import cross_severity, run_check
from formulary.vocabulary import FindingKind
from tests.safety.world import ON, allergy, component, cross_reactions, patient

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
ROWS = cross_reactions()


def table(marker: str) -> list[list[str]]:
    """The body rows of the table between <!-- marker --> and <!-- /marker -->, as cells."""
    body = README.split(f"<!-- {marker} -->")[1].split(f"<!-- /{marker} -->")[0]
    lines = [line for line in body.strip().splitlines() if line.startswith("|")][2:]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def test_every_kind_of_finding_the_check_gives_has_a_row_and_every_row_is_a_kind():
    kinds = {re.search(r"`([a-z-]+)`", row[0]).group(1) for row in table("check-rules")}
    assert kinds <= set(FindingKind)
    assert {"allergy", "cross-reaction", "text-match", "unmatched-allergy", "allergy-history-unknown",
            "condition", "contraindication", "stock"} <= kinds


@pytest.mark.parametrize("row", table("cross-reaction-severity"), ids=lambda row: row[0])
def test_the_cross_reaction_table_is_the_code(row):
    strength = row[0].split()[0]
    assert cross_severity(strength, "low") == row[1]
    assert cross_severity(strength, "unable-to-assess") == row[1]
    assert cross_severity(strength, "high") == row[2]


@pytest.mark.parametrize("row", table("allergy-certainty"), ids=lambda row: f"{row[0]}, {row[1]}")
def test_the_certainty_table_is_the_code(row):
    verification, clinical, direct, cross = row
    statuses = ["active", "inactive", "resolved"] if clinical == "any" else clinical.split(" or ")
    for status in statuses:
        recorded = allergy("lidocaine", status=status, verification_status=verification)
        same = run_check(patient(recorded), [component(1, "Lidocaine", ("lidocaine", "active"))], ROWS, on=ON)
        severities = [f.severity for f in same.findings if f.kind == "allergy"]
        assert severities == ([] if direct == "none" else [direct.split()[0]])
        other = run_check(patient(recorded), [component(1, "Mepivacaine", ("mepivacaine", "active"))], ROWS, on=ON)
        found = [f.severity for f in other.findings if f.kind == "cross-reaction"]
        assert found == ([] if cross == "none" else ["caution"])  # amide ↔ amide is moderate: caution at low
