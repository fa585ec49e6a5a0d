"""Patient records: allergies coded through synonyms, free text kept, statuses, conditions, refusals."""

from datetime import date

import pytest
from sqlalchemy import func, select

from formulary.extensions import db
from formulary.patients.models import Allergy, Patient
from formulary.patients.records import (
    AllergyData,
    PatientData,
    PatientError,
    add_allergy,
    create_patient,
    set_allergy_status,
    update_patient,
)


def test_an_allergy_is_coded_to_a_substance_through_a_synonym(make_patient, make_substance):
    make_substance("cyanocobalamin", synonyms=["vitamin B12"])
    patient = make_patient(allergies=["Vitamin B-12"])
    [allergy] = patient.allergies
    assert (allergy.substance.name, allergy.group, allergy.text) == ("cyanocobalamin", None, None)
    assert patient.allergy_status == "recorded"


def test_an_allergy_to_a_group_and_a_free_text_one(make_patient, make_substance):
    make_substance("methylparaben", groups=["parabens"])
    patient = make_patient(allergies=["Parabens", "that blue serum last summer"])
    coded, free = patient.allergies
    assert coded.group.name == "parabens" and coded.substance is None
    assert free.text == "that blue serum last summer" and free.label == "that blue serum last summer"


def test_no_known_allergies_is_distinct_from_never_asked(make_patient):
    assert make_patient("Asked", allergy_status="none-known").allergy_status == "none-known"
    assert make_patient("Never asked", allergy_status="unknown").allergy_status == "unknown"


def test_no_known_allergies_cannot_be_set_over_active_allergies(make_patient, make_substance):
    make_substance("lidocaine")
    patient = make_patient(allergies=["lidocaine"])
    with pytest.raises(PatientError, match="active allergies"):
        update_patient(patient, PatientData(name=patient.name, allergy_status="none-known"), actor=None)
    set_allergy_status(patient.allergies[0], "resolved", actor=None)
    update_patient(patient, PatientData(name=patient.name, allergy_status="none-known"), actor=None)
    assert patient.allergy_status == "none-known"
    assert db.session.scalar(select(func.count()).select_from(Allergy)) == 1  # never deleted


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "  "}, "name", "name is required"),
        ({"date_of_birth": date(2999, 1, 1)}, "date_of_birth", "not plausible"),
        ({"skin_type": "VII"}, "skin_type", "Skin type must be one of"),
        ({"conditions": ["being a vampire"]}, "conditions", "Unknown condition 'being a vampire'"),
    ],
)
def test_bad_patient_values_are_refused_and_nothing_saved(fields, field, message):
    values = {"name": "Ana Silva", **fields}
    with pytest.raises(PatientError) as refused:
        create_patient(PatientData(**values), actor=None)
    assert any(f == field and message in m for f, m in refused.value.errors)
    assert db.session.scalar(select(func.count()).select_from(Patient)) == 0


def test_a_clinic_reference_is_unique(make_patient):
    make_patient("A", reference="P-001")
    with pytest.raises(PatientError, match="P-001 already belongs"):
        make_patient("B", reference="P-001")


def test_conditions_are_set_and_replaced(make_patient, make_condition):
    make_condition("breastfeeding")
    patient = make_patient(conditions=["pregnancy"])
    update_patient(patient, PatientData(name=patient.name, allergy_status="none-known",
                                        conditions=["breastfeeding"]), actor=None)
    assert [pc.condition.name for pc in patient.conditions] == ["breastfeeding"]


def test_bad_allergy_values_are_refused(make_patient):
    patient = make_patient()
    with pytest.raises(PatientError, match="Criticality must be one of low, high"):
        add_allergy(patient, AllergyData(allergen="latex", criticality="extreme"), actor=None)
    with pytest.raises(PatientError, match="Name the substance"):
        add_allergy(patient, AllergyData(allergen=" "), actor=None)
