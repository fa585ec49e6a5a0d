"""Forms of the patient pages: a patient's identity and history, an allergy, an allergy's status."""

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice

from formulary.catalogue.forms import CheckboxListField
from formulary.patients.records import AllergyData, PatientData
from formulary.vocabulary import (
    AllergyCategory,
    AllergyHistory,
    AllergyType,
    ClinicalStatus,
    Criticality,
    SkinType,
    VerificationStatus,
)

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
VERIFICATION_CHOICES = [
    SelectChoice(VerificationStatus.CONFIRMED, "Confirmed"),
    SelectChoice(VerificationStatus.UNCONFIRMED, "Unconfirmed (suspected)"),
    SelectChoice(VerificationStatus.REFUTED, "Refuted (tested or tolerated: not an allergy)"),
    SelectChoice(VerificationStatus.ENTERED_IN_ERROR, "Entered in error"),
]
TYPE_CHOICES = [SelectChoice("", "Not said"), SelectChoice(AllergyType.ALLERGY, "Allergy (immune)"),
                SelectChoice(AllergyType.INTOLERANCE, "Intolerance (not immune)")]
CATEGORY_CHOICES = [SelectChoice("", "Not said"), *(SelectChoice(c, c.capitalize()) for c in AllergyCategory)]


class OptionalDateField(DateField):
    """A date (YYYY-MM-DD), blank allowed, with a message that names what was typed."""

    what = "the date"

    def process_formdata(self, valuelist):
        text = valuelist[0].strip() if valuelist else ""
        self.data = None
        if text:
            try:
                super().process_formdata([text])
            except ValueError:
                raise ValueError(f"Write {self.what} as YYYY-MM-DD (got {text!r}).") from None


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
    condition_texts = TextAreaField(
        "Other conditions, in words", render_kw={"rows": 2, "placeholder": "one a line, e.g. pregnant, 12 weeks"},
        description="One a line. A listed condition's name or synonym (“pregnant”) is ticked above; anything else "
                    "is kept in the patient's words and shown at every check.")
    notes = TextAreaField("Notes", render_kw={"rows": 3})
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
            conditions=[*(self.conditions.data or []), *condition_lines(self.condition_texts.data or "")],
        )


def condition_lines(text: str) -> list:
    """Each line of the "other conditions" box: a listed condition's name or synonym, else {"text": line}."""
    from formulary.catalogue.lookup import find_condition

    items: list = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            condition = find_condition(line)
            items.append(condition.name if condition is not None else {"text": line})
    return items


def patient_form_data(patient) -> dict:
    """What the edit form starts with: the patient as they are."""
    return {
        "name": patient.name, "date_of_birth": patient.date_of_birth, "reference": patient.reference or "",
        "skin_type": patient.skin_type, "allergy_status": patient.allergy_status, "notes": patient.notes,
        "conditions": [pc.condition.name for pc in patient.conditions],
        "condition_texts": "\n".join(told.text for told in patient.condition_texts),
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
    status = SelectField("Clinical status", choices=CLINICAL_STATUS_CHOICES, default=ClinicalStatus.ACTIVE)
    verification_status = SelectField("Certainty", choices=VERIFICATION_CHOICES,
                                      default=VerificationStatus.CONFIRMED)
    type = SelectField("Type", choices=TYPE_CHOICES, default="")
    category = SelectField("Category", choices=CATEGORY_CHOICES, default="")
    onset = OptionalDateField("Onset", format="%Y-%m-%d", description="When it began, if known.")
    # What the user chose among the coded entries proposed for free text: "substance:ID", "group:ID" or "text".
    coding = HiddenField()
    submit = SubmitField("Record allergy")

    def allergy_data(self) -> AllergyData:
        """AllergyData from the form."""
        return AllergyData(
            allergen=self.allergen.data or "", criticality=self.criticality.data or "",
            reaction=self.reaction.data or "", status=self.status.data or "",
            verification_status=self.verification_status.data or VerificationStatus.CONFIRMED,
            type=self.type.data or None, category=self.category.data or None, onset=self.onset.data,
        )


class AllergyStatusForm(FlaskForm):
    """Set an allergy active, inactive or resolved, and how certain it is (allergies are never deleted)."""

    status = SelectField("Status", choices=CLINICAL_STATUS_CHOICES)
    verification_status = SelectField("Certainty", choices=VERIFICATION_CHOICES,
                                      validate_choice=False)  # absent from older pages: then unchanged
    submit = SubmitField("Change")
