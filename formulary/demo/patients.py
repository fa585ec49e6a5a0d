"""The demo clinic's patients: thirty fictitious people with the allergy records a clinic really meets.

Allergens are named as a practitioner would type them (a name, a synonym or a group of the
reference library), so that loading them exercises the same coding as the allergy form; one
is free text that nothing matches. Patients are matched by clinic reference, so loading
twice adds nothing.
"""

from datetime import date

from sqlalchemy import select

from formulary.auth.users import find_user
from formulary.extensions import db
from formulary.patients.models import Patient
from formulary.patients.records import AllergyData, PatientData, add_allergy, create_patient

FREE_TEXT = "reacted to 'glow booster' at another clinic, product unknown"

# (reference, name, date of birth, skin type, allergy status, allergies, conditions, notes);
# an allergy is (allergen as typed, criticality, reaction, status).
PATIENTS = [
    ("P-1001", "Amelia Hart", date(1984, 3, 12), "II", "none-known", [], [], ""),
    ("P-1002", "Sofia Marquez", date(1990, 7, 22), "III", "recorded",
     [("parabens", "high", "Contact dermatitis from a paraben-preserved cream; positive paraben mix",
       "active")], [], ""),
    ("P-1003", "Hannah Lindqvist", date(1978, 11, 2), "I", "recorded",
     [("methylparaben", "low", "Itchy wheals at the injection sites", "active")], [], ""),
    ("P-1004", "Chloé Dubois", date(1987, 5, 30), "II", "recorded",
     [("lidocaine", "high", "Urticaria and lip swelling after dental anaesthesia", "active")], [],
     "Ask for anaesthetic-free products."),
    ("P-1005", "Marta Kowalska", date(1972, 9, 14), "II", "recorded",
     [("procaine", "high", "Generalised urticaria after mesotherapy with procaine in 2019", "active")],
     [], ""),
    ("P-1006", "Priya Raman", date(1993, 1, 8), "IV", "recorded",
     [("cobalt chloride", "low", "Contact dermatitis from costume jewellery; cobalt patch test positive",
       "active")], [], ""),
    ("P-1007", "Olivia Bennett", date(1981, 12, 19), "III", "recorded",
     [("cobalt compounds", "high", "Severe eczema flare after a vitamin B12 injection", "active")], [], ""),
    ("P-1008", "Daniel Okafor", date(1976, 4, 25), "V", "recorded",
     [("sulphites", "high", "Wheezing after wine and dried fruit", "active")], [],
     "Asthmatic; carries a reliever."),
    ("P-1009", "Grace Whitfield", date(1995, 6, 3), "II", "recorded",
     [("egg", "high", "Anaphylaxis after eating egg as a child", "active")], ["history of anaphylaxis"],
     "Carries an adrenaline auto-injector."),
    ("P-1010", "Leila Haddad", date(1989, 10, 11), "IV", "recorded",
     [("avian proteins", "low", "Itching and redness after a rooster-comb hyaluronic acid filler", "active")],
     [], ""),
    ("P-1011", "Emma Novak", date(1998, 2, 17), "II", "recorded",
     [(FREE_TEXT, "unable-to-assess", "Redness and swelling for three days", "active")], [],
     "Asked the other clinic for the product name."),
    ("P-1012", "Isabel Moreno", date(1983, 8, 29), "III", "recorded",
     [("PEG", "high", "Anaphylaxis to a macrogol bowel preparation", "active")], [], ""),
    ("P-1013", "Yuki Tanaka", date(1991, 3, 5), "III", "recorded",
     [("fish", "high", "Hives and vomiting after eating salmon", "active")], [],
     "Asked about salmon DNA (PDRN) boosters: not for her."),
    ("P-1014", "Rebecca Stone", date(1969, 11, 21), "I", "recorded",
     [("lidocaine", "low", "Dizziness after a dental injection in 1998; tolerated lidocaine since",
       "resolved")], [], ""),
    ("P-1015", "Aisha Bello", date(2001, 9, 9), "VI", "unknown", [], [], "First consultation booked."),
    ("P-1016", "Thomas Berg", date(1965, 5, 14), "II", "unknown", [], [], ""),
    ("P-1017", "Nina Petrović", date(1986, 6, 18), "III", "none-known", [], ["pregnancy"],
     "Due in the autumn; treatments paused."),
    ("P-1018", "Camille Laurent", date(1992, 12, 1), "II", "none-known", [], ["breastfeeding"], ""),
    ("P-1019", "Robert Hughes", date(1967, 2, 27), "II", "none-known", [], ["anticoagulant therapy"],
     "Apixaban 5 mg twice daily."),
    ("P-1020", "Mei Chen", date(1994, 4, 16), "IV", "none-known", [], ["keloid tendency"], ""),
    ("P-1021", "Fatima Al-Sayed", date(1979, 8, 7), "IV", "recorded",
     [("methylparaben", "high", "Facial swelling after a paraben-preserved vitamin vial", "active")],
     ["autoimmune disease"], "Systemic lupus, stable on hydroxychloroquine."),
    ("P-1022", "Laura Rossi", date(1988, 1, 23), "III", "none-known", [], ["active skin infection"],
     "Impetigo on the chin; rebook when healed."),
    ("P-1023", "Sarah Cohen", date(1975, 10, 30), "II", "recorded",
     [("PABA esters", "high", "Anaphylactoid reaction to a benzocaine gel", "active")], [], ""),
    ("P-1024", "Ingrid Johansson", date(1970, 7, 7), "I", "recorded",
     [("vitamin B12", "low", "Acne-like rash after a course of B12 injections", "inactive")], [], ""),
    ("P-1025", "Lucía Fernández", date(1997, 3, 19), "III", "none-known", [], [], ""),
    ("P-1026", "Anna Schmidt", date(1985, 9, 2), "II", "recorded",
     [("latex", "high", "Hives from examination gloves", "active"),
      ("sodium metabisulfite", "low", "Flushing after a vitamin C injection", "active")], [],
     "Latex-free gloves and stoppers."),
    ("P-1027", "Zoe Papadopoulos", date(2002, 5, 26), "III", "unknown", [], [], ""),
    ("P-1028", "Helen Murphy", date(1968, 12, 12), "I", "recorded",
     [("vitamin C", "low", "Stinging and redness for a day after vitamin C mesotherapy", "active")],
     ["anticoagulant therapy"], "Warfarin; bruises easily."),
    ("P-1029", "Jana Horvat", date(1980, 4, 4), "II", "recorded",
     [("sulfites", "low", "Headache and flushing after sulphited food", "active")],
     ["autoimmune disease"], ""),
    ("P-1030", "Michael Adeyemi", date(1973, 8, 15), "V", "none-known", [], ["keloid tendency"],
     "Keloid scars on both earlobes."),
]


def load() -> list[str]:
    """Add the demo patients whose clinic reference is not there yet."""
    have = set(db.session.scalars(select(Patient.reference).where(Patient.reference.like("P-1%"))))
    actor = find_user("practitioner")
    added = 0
    for reference, name, born, skin_type, status, allergies, conditions, notes in PATIENTS:
        if reference in have:
            continue
        patient = create_patient(
            PatientData(name=name, date_of_birth=born, reference=reference, skin_type=skin_type,
                        allergy_status=status, conditions=list(conditions), notes=notes),
            actor=actor,
        )
        for allergen, criticality, reaction, allergy_status in allergies:
            add_allergy(patient, AllergyData(allergen, criticality, reaction, allergy_status), actor=actor)
        added += 1
    if not added:
        return ["Demo patients already there."]
    return [f"Demo patients: {added} added (clinic references P-1001 to P-1030)."]
