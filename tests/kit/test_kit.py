"""The procedure kit: kept by the clinic, added to by a cocktail version, checked like the components."""

from decimal import Decimal

import pytest

from formulary.cocktails.diff import describe_changes
from formulary.cocktails.kit import KitError, ProcedureLine, default_kit, session_kit, set_default_kit
from formulary.cocktails.recipes import CocktailError, ComponentLine, RecipeData, revise_cocktail
from formulary.extensions import db
from formulary.safety.messages import describe
from formulary.treatments.checks import check_patient, findings_as_dicts
from tests.kit.conftest import TODAY


def the_kit(kit_clinic, gloves="nitrile"):
    return set_default_kit([
        ProcedureLine(kit_clinic["cream"].id, "topical anaesthetic"),
        ProcedureLine(kit_clinic["antiseptic"].id, "antiseptic"),
        ProcedureLine(kit_clinic[gloves].id, "gloves"),
    ], actor=None)


def recipe(kit_clinic, procedure=(), amount="0.5"):
    return RecipeData(name="Glow with lidocaine", goals=["hydration"], components=[
        ComponentLine(kit_clinic["ha"].id, "2"), ComponentLine(kit_clinic["lido"].id, amount)],
        procedure=list(procedure))


def check(patient, kit_clinic):
    return check_patient(patient.id, kit_clinic["cocktail"].current.id, TODAY)


def test_the_default_kit_is_replaced_whole_and_kept_in_order(kit_clinic):
    the_kit(kit_clinic)
    assert [(i.product.name, i.use) for i in default_kit()] == [
        ("Lidocaine/prilocaine cream 5%", "topical anaesthetic"),
        ("Chlorhexidine 0.5% skin antiseptic", "antiseptic"),
        ("Nitrile examination gloves", "gloves"),
    ]
    set_default_kit([ProcedureLine(kit_clinic["latex"].id, "gloves")], actor=None)
    assert [i.product.name for i in default_kit()] == ["Latex examination gloves"]


@pytest.mark.parametrize("lines, field, words", [
    ([ProcedureLine(999_999, "gloves")], "items.0.product_id", "unknown product"),
    ([ProcedureLine(None, "gloves")], "items.0.product_id", "unknown product"),
    (["nitrile", "gauze"], "items.0.use", "use must be one of"),
    (["nitrile", "gloves", "nitrile", "gloves"], "items.1.product_id", "listed twice"),
])
def test_a_bad_kit_is_refused_naming_the_item_and_nothing_changes(kit_clinic, lines, field, words):
    the_kit(kit_clinic)
    if isinstance(lines[0], str):  # (product key, use) pairs
        lines = [ProcedureLine(kit_clinic[lines[i]].id, lines[i + 1]) for i in range(0, len(lines), 2)]
    with pytest.raises(KitError) as refused:
        set_default_kit(lines, actor=None)
    assert refused.value.errors[0][0] == field and words in refused.value.errors[0][1]
    assert len(default_kit()) == 3


def test_a_latex_allergy_blocks_when_the_kit_has_latex_gloves_and_says_in_the_gloves(kit_clinic, make_patient):
    patient = make_patient("Lena Latex", allergies=["natural rubber latex"])
    the_kit(kit_clinic, gloves="latex")
    result = check(patient, kit_clinic)
    assert result.outcome == "blocked"
    [finding] = [f for f in result.findings if f.kind == "allergy"]
    assert "in the gloves: Latex examination gloves" in finding.message
    assert finding.place == "procedure" and finding.product_id == kit_clinic["latex"].id
    assert findings_as_dicts(result)[0]["place"] == "procedure"
    assert "procedure item: gloves" in finding.path
    assert "3 procedure items" in describe(result)


def test_nitrile_gloves_instead_clear_the_latex_allergy(kit_clinic, make_patient):
    patient = make_patient("Lena Latex", allergies=["latex"])
    the_kit(kit_clinic, gloves="nitrile")
    assert check(patient, kit_clinic).outcome == "clear"


def test_a_chlorhexidine_allergy_says_in_the_antiseptic(kit_clinic, make_patient):
    patient = make_patient("Chloe", allergies=["chlorhexidine"])
    the_kit(kit_clinic)
    [finding] = check(patient, kit_clinic).findings
    assert finding.severity == "block"
    assert "in the antiseptic: Chlorhexidine 0.5% skin antiseptic" in finding.message


def test_an_amide_allergy_is_found_in_the_cocktail_and_in_the_numbing_cream(kit_clinic, make_patient):
    patient = make_patient("Amy Amide", allergies=["amide local anaesthetics"])
    the_kit(kit_clinic)
    findings = [f for f in check(patient, kit_clinic).findings if f.kind == "allergy"]
    where = {(f.place, f.substance) for f in findings}
    assert where == {("cocktail", "lidocaine"), ("procedure", "lidocaine"), ("procedure", "prilocaine")}
    cream = [f for f in findings if f.place == "procedure"]
    assert all("in the numbing cream: Lidocaine/prilocaine cream 5%" in f.message for f in cream)


def test_without_a_kit_nothing_is_added(kit_clinic, make_patient):
    patient = make_patient("Lena Latex", allergies=["latex"])
    assert session_kit(kit_clinic["cocktail"].current.id) == []
    assert check(patient, kit_clinic).outcome == "clear"


def test_a_cocktails_own_items_make_a_new_version_and_are_checked(kit_clinic, make_patient):
    cocktail = kit_clinic["cocktail"]
    first = cocktail.current
    version = revise_cocktail(cocktail, recipe(kit_clinic, [ProcedureLine(kit_clinic["latex"].id, "gloves")]),
                              actor=None)
    db.session.commit()
    assert version is not None and version.number == 2
    assert [(i.product.name, i.use) for i in version.procedure_items] == [("Latex examination gloves", "gloves")]
    assert first.procedure_items == []  # the old version keeps what it had
    assert describe_changes(first, version) == ["Procedure item added: Latex examination gloves (gloves)."]
    assert [(i.product_name, i.source) for i in session_kit(version.id)] == [("Latex examination gloves", "cocktail")]
    patient = make_patient("Lena Latex", allergies=["latex"])
    assert check(patient, kit_clinic).outcome == "blocked"
    assert check_patient(patient.id, first.id, TODAY).outcome == "clear"
    # The same items again: no new version.
    assert revise_cocktail(cocktail, recipe(kit_clinic, [ProcedureLine(kit_clinic["latex"].id, "gloves")]),
                           actor=None) is None


def test_an_item_in_both_kits_is_listed_once_as_the_cocktails(kit_clinic):
    the_kit(kit_clinic)
    version = revise_cocktail(kit_clinic["cocktail"], recipe(
        kit_clinic, [ProcedureLine(kit_clinic["antiseptic"].id, "antiseptic")]), actor=None)
    names = [(i.product_name, i.source) for i in session_kit(version.id)]
    assert names.count(("Chlorhexidine 0.5% skin antiseptic", "cocktail")) == 1
    assert len(names) == 3


def test_a_bad_procedure_item_refuses_the_recipe_naming_it(kit_clinic):
    with pytest.raises(CocktailError) as refused:
        revise_cocktail(kit_clinic["cocktail"], recipe(kit_clinic, [ProcedureLine(kit_clinic["latex"].id, "hat")]),
                        actor=None)
    assert refused.value.errors[0][0] == "procedure.0.use"


def test_over_the_clinics_maximum_is_a_dose_finding_with_the_arithmetic(kit_clinic, make_patient, make_substance):
    lidocaine = make_substance("lidocaine")
    lidocaine.max_mg_per_session = Decimal(40)
    revise_cocktail(kit_clinic["cocktail"], recipe(kit_clinic, amount="2.5"), actor=None)
    patient = make_patient("Nora None")
    result = check(patient, kit_clinic)
    assert result.outcome == "blocked"
    [finding] = [f for f in result.findings if f.kind == "dose"]
    assert finding.severity == "block"
    assert "Lidocaine 2 % × 2.5 mL = 50 mg; clinic maximum 40 mg" in finding.message.replace("lidocaine", "Lidocaine")
    lidocaine.max_mg_per_session = Decimal(50)
    assert check(patient, kit_clinic).outcome == "clear"
