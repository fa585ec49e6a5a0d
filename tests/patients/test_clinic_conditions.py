"""A clinic's own condition: found by its synonyms when recording, and its session caution shown by the check."""

from datetime import date

import pytest

from formulary.catalogue.conditions import add_condition
from formulary.catalogue.errors import CatalogueError
from formulary.catalogue.reference_sync import sync_reference_library
from formulary.patients.records import PatientData, create_patient
from formulary.safety.check import run_check
from formulary.safety.loader import patient_facts


def test_a_clinic_condition_is_recorded_by_a_synonym_and_cautions_every_session():
    sync_reference_library()
    add_condition("recent vaccination", synonyms=["vaccinated this week"],
                  session_caution="wait two weeks after a vaccination", actor=None)
    patient = create_patient(PatientData(name="Ana", allergy_status="none-known",
                                         conditions=["Vaccinated this week", "pregnant"]), actor=None)
    assert sorted(pc.condition.name for pc in patient.conditions) == ["pregnancy", "recent vaccination"]
    result = run_check(patient_facts(patient.id), [], [], on=date(2026, 12, 10))
    assert [(f.kind, f.severity) for f in result.findings] == [("condition", "caution")] * 2
    assert any("wait two weeks after a vaccination" in f.message for f in result.findings)


def test_a_clinic_condition_may_not_take_a_name_another_goes_by():
    sync_reference_library()
    with pytest.raises(CatalogueError) as refused:
        add_condition("Pregnant", actor=None)
    assert refused.value.errors == [("name", "'Pregnant' already names the condition pregnancy.")]


def test_a_condition_told_in_words_is_read_for_a_condition_or_shown_as_said():
    sync_reference_library()
    patient = create_patient(PatientData(name="Ana", allergy_status="none-known", conditions=[
        {"text": "breast-feeding her second child"}, {"text": "smokes 10 a day"}]), actor=None)
    facts = patient_facts(patient.id).conditions
    assert [(c.name, c.told) for c in facts] == [("breastfeeding", "breast-feeding her second child"),
                                                 ("smokes 10 a day", "")]
    result = run_check(patient_facts(patient.id), [], [], on=date(2026, 12, 10))
    assert [f.message.split(" — ")[0] for f in result.findings] == [
        "Caution: the patient has breastfeeding (recorded as 'breast-feeding her second child')",
        "Caution: condition recorded as free text: 'smokes 10 a day'"]
