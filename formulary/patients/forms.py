"""Forms of the patient pages: a patient's identity and history, an allergy, an allergy's status."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice

from formulary.catalogue.forms import CheckboxListField
from formulary.patients.records import AllergyData, PatientData
from formulary.vocabulary import AllergyHistory, ClinicalStatus, Criticality, SkinType

ALLERGY_STATUS_CHOICES = [
    SelectChoice(AllergyHistory.UNKNOWN, "Never asked"),
    SelectChoice(AllergyHistory.NONE_KNOWN, "No known allergies"),
    SelectChoice(AllergyHistory.RECORDED, "Allergies recorded"),
]
ALLERGY_STATUS_HELP = {
    AllergyHistory.UNKNOWN: "nobody has asked yet; every check will ask for the history first",
    AllergyHistory.NONE_KNOWN: "the patient was asked and reports none",
    AllergyHistory.RECORDED: "the allergies are listed on the patient's page",
}
# Fitzpatrick skin types.
SKIN_TYPE_CHOICES = [
    SelectChoice("", "Not recorded"),
    SelectChoice(SkinType.I, "I — always burns, never tans"),
    SelectChoice(SkinType.II, "II — usually burns, tans minimally"),
    SelectChoice(SkinType.III, "III — sometimes burns, tans gradually"),
    SelectChoice(SkinType.IV, "IV — burns minimally, tans well"),
    SelectChoice(SkinType.V, "V — rarely burns, tans deeply"),
    SelectChoice(SkinType.VI, "VI — never burns"),
]
CRITICALITY_CHOICES = [
    SelectChoice(Criticality.UNABLE_TO_ASSESS, "Unable to assess"),
    SelectChoice(Criticality.LOW, "Low"),
    SelectChoice(Criticality.HIGH, "High"),
]
CLINICAL_STATUS_CHOICES = [SelectChoice(status, status.capitalize()) for status in ClinicalStatus]


class BirthDateField(DateField):
    """A date of birth (YYYY-MM-DD), blank allowed, with a message that names what was typed."""

    def process_formdata(self, valuelist):
        text = valuelist[0].strip() if valuelist else ""
        self.data = None
        if text:
            try:
                super().process_formdata([text])
            except ValueError:
                raise ValueError(f"Write the date of birth as YYYY-MM-DD (got {text!r}).") from None


class PatientForm(FlaskForm):
    """A new patient, or a patient's identity, allergy status and conditions changed."""

    name = StringField("Name", render_kw={"autocomplete": "off"})
    date_of_birth = BirthDateField("Date of birth", format="%Y-%m-%d")
    reference = StringField("Clinic reference", description="The clinic's own patient number, e.g. P-1001.",
                            render_kw={"autocomplete": "off"})
    skin_type = SelectField("Skin type (Fitzpatrick)", choices=SKIN_TYPE_CHOICES, default="")
    allergy_status = RadioField("Allergy history", choices=ALLERGY_STATUS_CHOICES, default=AllergyHistory.UNKNOWN)
    conditions = CheckboxListField("Conditions", choices=[])
    notes = TextAreaField("Notes", render_kw={"rows": 3})
    phone = StringField("Phone", render_kw={"autocomplete": "off", "inputmode": "tel",
                                            "placeholder": "+44 20 7946 0958"})
    email = StringField("E-mail", render_kw={"autocomplete": "off", "inputmode": "email",
                                             "placeholder": "name@example.com"})
    contact_ok = BooleanField(
        "The patient agrees to be contacted by phone or e-mail",
        description="About their sessions and, always, about a recall of a product they received.",
    )
    # Ticked on the second try when the page warned of a patient with the same name and date of birth.
    same_person_checked = BooleanField("This is a different person: add them anyway")
    submit = SubmitField("Save patient")

    def set_condition_choices(self, conditions) -> None:
        """Offer the reference list of conditions (by name, which PatientData takes)."""
        self.conditions.choices = [SelectChoice(c.name, c.name) for c in conditions]

    def patient_data(self) -> PatientData:
        """PatientData from the form."""
        return PatientData(
            name=self.name.data or "", date_of_birth=self.date_of_birth.data, reference=self.reference.data,
            skin_type=self.skin_type.data or "", notes=self.notes.data or "",
            allergy_status=self.allergy_status.data or AllergyHistory.UNKNOWN,
            conditions=list(self.conditions.data or []), phone=self.phone.data or "",
            email=self.email.data or "", contact_ok=bool(self.contact_ok.data),
        )


def patient_form_data(patient) -> dict:
    """What the edit form starts with: the patient as they are."""
    return {
        "name": patient.name, "date_of_birth": patient.date_of_birth, "reference": patient.reference or "",
        "skin_type": patient.skin_type, "allergy_status": patient.allergy_status, "notes": patient.notes,
        "conditions": [pc.condition.name for pc in patient.conditions],
        "phone": patient.phone, "email": patient.email, "contact_ok": patient.contact_ok,
    }


class AllergyForm(FlaskForm):
    """An allergy: a substance or group by any of its names, or free text when nothing fits."""

    allergen = StringField(
        "Allergic to",
        description="Type a substance or allergen group (any name or synonym, e.g. “vitamin B12”, "
                    "“sulphites”), or describe it in words when nothing fits.",
        render_kw={"autocomplete": "off", "placeholder": "e.g. methylparaben, parabens, egg …"},
    )
    criticality = RadioField("Criticality", choices=CRITICALITY_CHOICES, default=Criticality.UNABLE_TO_ASSESS)
    reaction = TextAreaField("Reaction", render_kw={"rows": 2, "placeholder": "e.g. hives, facial swelling"})
    status = SelectField("Status", choices=CLINICAL_STATUS_CHOICES, default=ClinicalStatus.ACTIVE)
    submit = SubmitField("Record allergy")

    def allergy_data(self) -> AllergyData:
        """AllergyData from the form."""
        return AllergyData(
            allergen=self.allergen.data or "", criticality=self.criticality.data or "",
            reaction=self.reaction.data or "", status=self.status.data or "",
        )


class AllergyStatusForm(FlaskForm):
    """Set an allergy active, inactive or resolved (allergies are never deleted)."""

    status = SelectField("Status", choices=CLINICAL_STATUS_CHOICES)
    submit = SubmitField("Change")
