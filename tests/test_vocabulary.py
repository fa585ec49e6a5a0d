"""The vocabulary: every CHECK that lists allowed values lists exactly an enum's values, in its order."""

import re

import pytest
from sqlalchemy import CheckConstraint

from formulary import vocabulary
from formulary.auth.permissions import Role
from formulary.db import one_of
from formulary.extensions import db
from formulary.stock.outflow_models import Span

IN_LIST = re.compile(r"^(\w+) IN \((.*)\)$")

# (table, constraint name) → the enum whose values the column may hold.
EXPECTED = {
    ("lot", "status_known"): vocabulary.LotStatus,
    ("stock_movement", "kind_known"): vocabulary.MovementKind,
    ("stock_import", "mode_known"): vocabulary.ImportMode,
    ("treatment_session", "status_known"): vocabulary.SessionStatus,
    ("safety_check", "outcome_known"): vocabulary.CheckOutcome,
    ("patient", "allergy_status_known"): vocabulary.AllergyHistory,
    ("allergy", "criticality_known"): vocabulary.Criticality,
    ("allergy", "status_known"): vocabulary.ClinicalStatus,
    ("allergy", "verification_status_known"): vocabulary.VerificationStatus,
    ("allergy", "type_known"): vocabulary.AllergyType,
    ("allergy", "category_known"): vocabulary.AllergyCategory,
    ("cross_reaction", "strength_known"): vocabulary.Strength,
    ("product_component", "role_known"): vocabulary.ComponentRole,
    ("product_contraindication", "severity_known"): vocabulary.ContraindicationSeverity,
    ("user", "role_known"): Role,
    ("login_throttle", "scope_known"): vocabulary.ThrottleScope,
    ("procedure_kit_item", "use_known"): vocabulary.ProcedureUse,
    ("cocktail_procedure_item", "use_known"): vocabulary.ProcedureUse,

    ("product", "package_known"): vocabulary.PackageKind,

    ("purchase_order", "status_known"): vocabulary.OrderStatus,

    ("consent", "method_known"): vocabulary.ConsentMethod,

    ("preparation", "status_known"): vocabulary.PreparationStatus,

    ("product_outflow", "span_known"): Span,
    **{(table, "origin_known"): vocabulary.Origin for table in (
        "substance", "allergen_group", "cross_reaction", "condition", "treatment_goal",
    )},
}


def _value_lists(app):
    with app.app_context():
        for table in db.metadata.tables.values():
            for constraint in table.constraints:
                if isinstance(constraint, CheckConstraint):
                    match = IN_LIST.match(str(constraint.sqltext))
                    if match:
                        name = str(constraint.name).removeprefix(f"ck_{table.name}_")
                        yield table.name, name, re.findall(r"'([^']*)'", match.group(2))


def test_every_check_of_allowed_values_is_built_from_its_enum(app):
    found = {(table, name): values for table, name, values in _value_lists(app)}
    assert set(found) == set(EXPECTED)
    for key, enum in EXPECTED.items():
        assert found[key] == [member.value for member in enum], key


def test_one_of_writes_the_sql_the_migrations_wrote():
    check = one_of("status", vocabulary.LotStatus, "status_known")
    assert str(check.sqltext) == "status IN ('available', 'quarantined', 'recalled')"
    assert check.name == "status_known"


@pytest.mark.parametrize("severity, outcome", [("block", "blocked"), ("caution", "caution"), ("info", "clear")])
def test_a_findings_severity_gives_the_checks_outcome(severity, outcome):
    assert vocabulary.FindingSeverity(severity).outcome == outcome


def test_movement_kinds_split_into_quantity_and_status_kinds():
    assert set(vocabulary.MovementKind) == vocabulary.QUANTITY_KINDS | vocabulary.STATUS_KINDS
    assert not vocabulary.QUANTITY_KINDS & vocabulary.STATUS_KINDS
    assert vocabulary.MovementKind.WASTE.changes_quantity and not vocabulary.MovementKind.RECALL.changes_quantity
