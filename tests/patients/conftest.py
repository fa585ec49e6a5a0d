"""Builders for patients."""

import pytest

from formulary.catalogue.models import Condition
from formulary.extensions import db
from formulary.patients.records import AllergyData, PatientData, add_allergy, create_patient
from formulary.reference.names import normalize_name


@pytest.fixture
def make_condition():
    def build(name: str = "pregnancy"):
        condition = db.session.query(Condition).filter_by(key=normalize_name(name)).one_or_none()
        if condition is None:
            condition = Condition(name=name, key=normalize_name(name))
            db.session.add(condition)
            db.session.flush()
        return condition

    return build


@pytest.fixture
def make_patient(make_condition):
    """make_patient("Ana Silva", allergies=["methylparaben"], conditions=["pregnancy"]) → Patient."""

    def build(name: str = "Ana Silva", *, allergies=(), conditions=(), allergy_status=None, **fields):
        for condition in conditions:
            make_condition(condition)
        status = allergy_status or ("recorded" if allergies else "none-known")
        patient = create_patient(
            PatientData(name=name, conditions=list(conditions), allergy_status=status, **fields), actor=None
        )
        for allergen in allergies:
            add_allergy(patient, AllergyData(allergen=allergen, criticality="high"), actor=None)
        return patient

    return build
