"""Builders for purchasing tests: a supplier, a product it sells, a booked session."""

from datetime import date

import pytest

from formulary.extensions import db
from formulary.purchasing.suppliers import SupplierData, create_supplier
from formulary.treatments.sessions import plan_session


@pytest.fixture
def make_supplier():
    """make_supplier("Mesolab", lead_time_days=14) → Supplier."""
    counter = iter(range(1, 10_000))

    def build(name: str | None = None, *, lead_time_days=14, email="orders@mesolab.example", **fields):
        supplier = create_supplier(SupplierData(name=name or f"Supplier {next(counter)}",
                                                lead_time_days=lead_time_days, email=email, **fields), actor=None)
        db.session.flush()
        return supplier

    return build


@pytest.fixture
def book(make_patient):
    """book(cocktail, day) → a planned session of the cocktail on that day."""

    def build(cocktail, day: date):
        return plan_session(make_patient(), cocktail, day, practitioner=None, actor=None)

    return build
