"""The patient, cocktail and practitioner a planning form offers and reads back (a session or a course)."""

from dataclasses import dataclass

from formulary.auth.models import User
from formulary.cocktails.models import Cocktail
from formulary.extensions import db
from formulary.patients.models import Patient
from formulary.treatments import queries


@dataclass(frozen=True)
class Chosen:
    """What the form named; None where the choice was missing or no longer exists."""

    patient: Patient | None
    cocktail: Cocktail | None
    practitioner: User | None


def offer_choices(form, *, chosen_patient: int | None, search: str = "") -> None:
    """Fill the three pickers; the patient list keeps the chosen one even when a search would hide it."""
    form.patient.choices = [("", "Choose a patient…")] + queries.patient_choices(search, include_id=chosen_patient)
    form.cocktail.choices = [("", "Choose a cocktail…")] + queries.cocktail_choices()
    form.practitioner.choices = queries.practitioner_choices()


def read_choices(form) -> Chosen:
    """The rows the form named, with an error on each field whose choice is missing or unusable."""
    chosen = Chosen(db.session.get(Patient, form.patient.data), db.session.get(Cocktail, form.cocktail.data),
                    db.session.get(User, form.practitioner.data))
    if chosen.patient is None:
        form.patient.errors.append("Choose the patient.")
    if chosen.cocktail is None:
        form.cocktail.errors.append("Choose the cocktail.")
    if chosen.practitioner is None or not chosen.practitioner.active:
        form.practitioner.errors.append("Choose an active user as the practitioner.")
    return chosen
