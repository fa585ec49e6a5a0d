"""Demo patients for allergy certainty and reading: free text, high criticality, refuted, conditions in words.

Loaded after the thirty demo patients (formulary.demo.patients) and matched by clinic reference, so that
loading twice adds nothing.
"""

from datetime import date

from sqlalchemy import select

from formulary.auth.users import find_user
from formulary.extensions import db
from formulary.patients.models import Patient
from formulary.patients.records import AllergyData, PatientData, add_allergy, create_patient

# (reference, name, date of birth, allergy status, allergies, conditions, notes); an allergy is AllergyData's fields.
PATIENTS: list[tuple[str, str, date, str, list[dict], list, str]] = [
    ("P-1031", "Elena Vásquez", date(1990, 2, 14), "recorded",
     [dict(allergen="lidocaine (hives)", criticality="low", reaction="Hives after a dental block",
           type="allergy", category="medication")],
     [], "Told at intake in her words; not yet coded."),
    ("P-1032", "Tom Reilly", date(1977, 6, 3), "recorded",
     [dict(allergen="lignocaine", criticality="high", reaction="Anaphylaxis after a skin biopsy",
           type="allergy", category="medication", onset=date(2015, 3, 1))],
     [], "High criticality: every amide local anaesthetic is blocked."),
    ("P-1033", "Marie Fontaine", date(1983, 9, 21), "recorded",
     [dict(allergen="procaine", criticality="low", reaction="Suspected in 2018; negative skin and challenge test 2023",
           verification_status="refuted", type="allergy", category="medication"),
      dict(allergen="soya", criticality="low", reaction="Itchy mouth with soy milk", type="allergy",
           category="food", verification_status="unconfirmed")],
     [], ""),
    ("P-1034", "Sara Lindgren", date(1993, 11, 2), "none-known", [],
     ["pregnant", {"text": "stopped isotretinoin in May"}], "Due in the spring."),
]


def load() -> list[str]:
    """Add these demo patients when their clinic reference is not there yet."""
    have = set(db.session.scalars(select(Patient.reference).where(Patient.reference.in_([p[0] for p in PATIENTS]))))
    actor = find_user("practitioner")
    added = 0
    for reference, name, born, status, allergies, conditions, notes in PATIENTS:
        if reference in have:
            continue
        patient = create_patient(PatientData(name=name, date_of_birth=born, reference=reference,
                                             allergy_status=status, conditions=list(conditions), notes=notes),
                                 actor=actor)
        for fields in allergies:
            add_allergy(patient, AllergyData(**fields), actor=actor)
        added += 1
    return [f"Demo patients for allergy certainty: {added} added (P-1031 to P-1034)."] if added else []
