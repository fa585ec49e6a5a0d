"""Recording an allergy told in words: what it names is proposed, the user chooses, nothing is coded silently."""

from sqlalchemy import func, select

from formulary.catalogue.lookup import find_substance
from formulary.catalogue.reference_sync import sync_reference_library
from formulary.extensions import db
from formulary.patients.models import Allergy, PatientConditionText
from tests.conftest import post_form


def text(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def allergies() -> int:
    return db.session.scalar(select(func.count()).select_from(Allergy))


def _patient(make_patient, login_as):
    sync_reference_library()
    patient = make_patient("Ana Silva")
    db.session.commit()
    login_as("practitioner")
    return patient


def test_a_sentence_is_read_and_the_coded_entry_proposed_before_anything_is_written(client, login_as,
                                                                                     make_patient):
    patient = _patient(make_patient, login_as)
    form = {"allergen": "lidocaine (hives)", "criticality": "high", "status": "active",
            "verification_status": "confirmed", "type": "allergy", "category": "medication", "onset": "2019-05-01"}
    page = text(post_form(client, f"/patients/{patient.id}/allergies/new", form))
    assert "“lidocaine (hives)” — which allergy is it?" in page and "Record as lidocaine" in page
    assert allergies() == 0  # nothing until the user chooses
    lidocaine = find_substance("lidocaine")
    page = text(post_form(client, f"/patients/{patient.id}/allergies/new",
                          {**form, "coding": f"substance:{lidocaine.id}"}))
    assert "Allergy to lidocaine (substance) recorded." in page
    allergy = db.session.scalars(select(Allergy)).one()
    assert (allergy.substance_id, allergy.text, allergy.criticality, allergy.type, allergy.category,
            str(allergy.onset)) == (lidocaine.id, None, "high", "allergy", "medication", "2019-05-01")
    assert allergy.reaction == "Told as “lidocaine (hives)”"  # the patient's words are kept


def test_an_ambiguous_word_is_never_coded_and_can_be_kept_as_free_text(client, login_as, make_patient):
    patient = _patient(make_patient, login_as)
    form = {"allergen": "water", "criticality": "low", "status": "active", "verification_status": "confirmed"}
    page = text(post_form(client, f"/patients/{patient.id}/allergies/new", form))
    assert "ambiguous" in page and "“water” could mean more than one thing" in page
    assert "Record as water for injection" not in page and allergies() == 0
    post_form(client, f"/patients/{patient.id}/allergies/new", {**form, "coding": "text"})
    allergy = db.session.scalars(select(Allergy)).one()
    assert (allergy.text, allergy.substance_id) == ("water", None)


def test_an_exact_name_is_coded_at_once(client, login_as, make_patient):
    patient = _patient(make_patient, login_as)
    post_form(client, f"/patients/{patient.id}/allergies/new",
              {"allergen": "Lignocaine", "criticality": "low", "status": "active",
               "verification_status": "confirmed"})
    assert db.session.scalars(select(Allergy)).one().substance == find_substance("lidocaine")


def test_a_refuted_allergy_is_kept_struck_through_and_the_history_stays_as_it_was(client, login_as,
                                                                                   make_patient):
    patient = _patient(make_patient, login_as)
    post_form(client, f"/patients/{patient.id}/allergies/new",
              {"allergen": "procaine", "criticality": "low", "status": "active",
               "verification_status": "refuted"})
    page = text(client.get(f"/patients/{patient.id}"))
    assert "<del>" in page and "refuted</span>" in page and "patient-allergy-set-aside" in page
    assert db.session.scalar(select(Allergy.verification_status)) == "refuted"
    assert patient.allergy_status == "none-known"


def test_conditions_told_in_words_are_kept_and_a_synonym_ticks_the_listed_one(client, login_as, make_patient):
    patient = _patient(make_patient, login_as)
    page = text(post_form(client, f"/patients/{patient.id}/edit", {
        "name": "Ana Silva", "allergy_status": "none-known", "condition_texts": "pregnant\non isotretinoin until May"}))
    assert "Patient Ana Silva saved." in page
    assert [pc.condition.name for pc in patient.conditions] == ["pregnancy"]
    assert db.session.scalars(select(PatientConditionText.text)).all() == ["on isotretinoin until May"]
    assert "“on isotretinoin until May”" in page and "in words" in page
