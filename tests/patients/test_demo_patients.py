"""The demo patients: realistic allergy records coded through the reference library, loaded once."""

from sqlalchemy import func, select

from formulary.catalogue.reference_sync import sync_reference_library
from formulary.demo import patients as demo_patients
from formulary.demo import users as demo_users
from formulary.extensions import db
from formulary.patients.models import Allergy, Patient


def test_demo_patients_code_their_allergies_and_load_once():
    sync_reference_library()
    demo_users.load()
    lines = demo_patients.load()
    assert lines == ["Demo patients: 30 added (clinic references P-1001 to P-1030)."]
    patients = {p.reference: p for p in db.session.scalars(select(Patient))}
    assert len(patients) == 30

    coded = {}
    for patient in patients.values():
        for allergy in patient.allergies:
            kind = "substance" if allergy.substance else "group" if allergy.group else "text"
            coded[(patient.reference, allergy.label)] = kind
            assert allergy.recorded_by.username == "practitioner"
    assert coded[("P-1002", "parabens")] == "group"
    assert coded[("P-1005", "procaine")] == "substance"
    assert coded[("P-1006", "cobalt")] == "substance"  # typed as "cobalt chloride"
    assert coded[("P-1007", "cobalt compounds")] == "group"
    assert coded[("P-1008", "sulfites")] == "group"  # typed as "sulphites"
    assert coded[("P-1009", "egg protein")] == "substance"  # typed as "egg"
    assert coded[("P-1010", "avian-derived proteins")] == "group"
    assert coded[("P-1012", "polyethylene glycol")] == "substance"  # typed as "PEG"
    assert coded[("P-1013", "fish protein")] == "substance"
    assert coded[("P-1023", "ester local anaesthetics")] == "group"  # typed as "PABA esters"
    # Exactly one record is free text, on purpose.
    assert [key for key, kind in coded.items() if kind == "text"] == [("P-1011", demo_patients.FREE_TEXT)]

    statuses = {p.reference: p.allergy_status for p in patients.values()}
    assert statuses["P-1001"] == "none-known" and statuses["P-1015"] == "unknown"
    assert patients["P-1014"].allergies[0].status == "resolved"
    assert {a.criticality for p in patients.values() for a in p.allergies} == {"high", "low", "unable-to-assess"}
    conditions = {pc.condition.name for p in patients.values() for pc in p.conditions}
    assert {"pregnancy", "breastfeeding", "anticoagulant therapy", "keloid tendency", "autoimmune disease",
            "active skin infection"} <= conditions
    assert all(1965 <= p.date_of_birth.year <= 2002 and p.skin_type for p in patients.values())

    allergies = db.session.scalar(select(func.count()).select_from(Allergy))
    assert demo_patients.load() == ["Demo patients already there."]
    assert db.session.scalar(select(func.count()).select_from(Patient)) == 30
    assert db.session.scalar(select(func.count()).select_from(Allergy)) == allergies


def test_demo_patients_for_allergy_certainty_load_once_with_their_fhir_fields():
    from formulary.demo import certainty

    sync_reference_library()
    demo_users.load()
    assert certainty.load() == ["Demo patients for allergy certainty: 4 added (P-1031 to P-1034)."]
    assert certainty.load() == []
    by_reference = {p.reference: p for p in db.session.scalars(select(Patient).where(Patient.reference >= "P-1031"))}
    [told] = by_reference["P-1031"].allergies
    assert (told.text, told.substance_id) == ("lidocaine (hives)", None)  # read by the check, never coded
    [reilly] = by_reference["P-1032"].allergies
    assert (reilly.substance.name, reilly.criticality, str(reilly.onset)) == ("lidocaine", "high", "2015-03-01")
    refuted, soya = by_reference["P-1033"].allergies
    assert (refuted.verification_status, soya.verification_status, soya.category) == ("refuted", "unconfirmed", "food")
    sara = by_reference["P-1034"]
    assert [pc.condition.name for pc in sara.conditions] == ["pregnancy"]
    assert [t.text for t in sara.condition_texts] == ["stopped isotretinoin in May"]
