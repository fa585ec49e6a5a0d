"""Session forms: plan, override, administer, reaction, cancel, recall and the aftercare wording."""

from typing import Any

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from formulary.spreadsheets.values import CellProblem, to_date
from formulary.vocabulary import Criticality, ReactionSeverity

AREAS = ["forehead", "glabella", "crow's feet", "cheeks", "nasolabial", "perioral", "jawline", "neck", "décolleté"]


MAX_ID = 2**31 - 1  # ids are INTEGER columns: PostgreSQL refuses a bigger number rather than finding nothing


def _optional_int(value) -> int | None:
    if value in ("", None):
        return None
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise ValueError(f"No such choice: {value}")
    return number


class PickField(SelectField):
    """A select box of records by id; a value that is not one of them gets the field's own sentence."""

    def __init__(self, label=None, validators=None, *, invalid: str, **kwargs):
        super().__init__(label, validators, coerce=_optional_int, validate_choice=False, **kwargs)
        self.invalid = invalid

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.invalid) from None


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (areas treated, lots picked)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ClinicDateField(DateField):
    """A date typed as the browser's picker sends it (2026-12-15) or in the clinic's order (15/12/2026 with
    FORMULARY_DATE_ORDER=DMY, 12/15/2026 with MDY)."""

    data: Any  # a date once validated, as WTForms' own DateField declares it

    def process_formdata(self, valuelist):
        text = " ".join(valuelist).strip() if valuelist else ""
        if not text:
            self.data = None
            return
        order = current_app.config.get("DATE_ORDER", "DMY")
        try:
            self.data = to_date(text, order)
        except (CellProblem, ValueError):
            self.data = None
            example = "15/12/2026 (day/month/year)" if order == "DMY" else "12/15/2026 (month/day/year)"
            raise ValueError(f"Not a date: {text!r}. Write it {example} or 2026-12-15.") from None


class PlanForm(FlaskForm):
    """Plan a session: patient, cocktail (its current version is recorded), date, practitioner."""

    patient = PickField("Patient", [InputRequired("Choose the patient.")], invalid="Choose the patient from the list.")
    cocktail = PickField("Cocktail", [InputRequired("Choose the cocktail.")],
                         invalid="Choose the cocktail from the list.",
                         description="The session records the cocktail's current version.")
    scheduled_for = ClinicDateField("Date", validators=[InputRequired("Enter the session's date.")])
    at_time = TimeField("Time", validators=[Optional()], description="On the clinic's clock; leave empty for none.")
    practitioner = PickField("Practitioner", [InputRequired("Choose who treats the patient.")],
                             invalid="Choose the practitioner from the list.")
    submit = SubmitField("Plan session")


class OverrideForm(FlaskForm):
    """Override a blocked check: a role allowed to, with the reason written out."""

    reason = TextAreaField(
        "Reason for overriding", validators=[DataRequired("Write the reason for overriding."), Length(max=2000)],
        description="At least a sentence: what makes it safe for this patient (e.g. a negative patch test).",
        render_kw={"rows": 3},
    )
    submit = SubmitField("Override the block")


class AdministerForm(FlaskForm):
    """Administer: re-run the check, draw by FEFO or from the lots scanned or picked, record the areas."""

    areas = CheckboxesField("Areas treated", choices=[SelectChoice(area, area) for area in AREAS],
                           validate_choice=True)
    other_areas = StringField("Other areas", validators=[Length(max=300)],
                              description="Anything not in the list, separated by commas.")
    scans = TextAreaField(
        "Scanned lots", validators=[Length(max=5000)], render_kw={"rows": 3, "autocomplete": "off",
                                                                 "spellcheck": "false"},
        description="Scan the barcode of each vial you use, one per line; leave empty to draw by FEFO.",
    )
    lots = CheckboxesField("Or pick the lots", coerce=int, validate_choice=False)
    acknowledge_caution = BooleanField("I have read the cautions and discussed them with the patient")
    override_reason = TextAreaField(
        "Reason for overriding the block", validators=[Length(max=2000)], render_kw={"rows": 2},
        description="Only if the check is blocked: at least a sentence.",
    )
    submit = SubmitField("Administer and draw the stock")

    def area_text(self) -> str:
        """The areas ticked and typed, as one line."""
        typed = [part.strip() for part in (self.other_areas.data or "").split(",") if part.strip()]
        ticked = sorted(self.areas.data or [], key=AREAS.index)  # from the forehead down, as on the form
        return ", ".join([*ticked, *typed])


class ReactionForm(FlaskForm):
    """A reaction noticed after the session; naming an allergen records the allergy too."""

    description = TextAreaField("What happened", validators=[DataRequired("Describe the reaction."),
                                                             Length(max=2000)], render_kw={"rows": 2})
    severity = SelectField("Severity", choices=[SelectChoice(s, s.capitalize()) for s in ReactionSeverity],
                           default=ReactionSeverity.MILD)
    allergen = StringField(
        "Record as an allergy to", validators=[Optional(), Length(max=300)],
        description="A substance or allergen group (any name or synonym), or free text; "
                    "leave empty to record the reaction only.",
        render_kw={"autocomplete": "off"},
    )
    criticality = SelectField(
        "Criticality", choices=[SelectChoice(c, c.replace("-", " ").capitalize()) for c in Criticality],
        default=Criticality.HIGH,
    )
    submit = SubmitField("Record the reaction")


class CancelForm(FlaskForm):
    """Cancel a session that was not administered."""

    reason = StringField("Reason", validators=[DataRequired("Give a reason for cancelling."), Length(max=500)],
                         description="e.g. the patient called to cancel.")
    submit = SubmitField("Cancel session")


class RecallForm(FlaskForm):
    """Recall a lot from the recall page."""

    reason = StringField("Reason", validators=[DataRequired("Give the reason for the recall."), Length(max=500)],
                         description="e.g. the manufacturer's recall notice and its reference.")
    submit = SubmitField("Recall this lot")


class AftercareTextForm(FlaskForm):
    """The clinic's aftercare wording."""

    body = TextAreaField(
        "Aftercare advice", validators=[DataRequired("The advice cannot be empty."), Length(max=20000)],
        render_kw={"rows": 24},
        description="Plain text. A blank line starts a new paragraph; lines starting with “- ” become a list, "
                    "and a line just before such a list becomes its heading.",
    )
    submit = SubmitField("Save the wording")


class RecallLetterForm(FlaskForm):
    """The clinic's recall letter, with placeholders."""

    body = TextAreaField(
        "Recall letter", validators=[DataRequired("The letter cannot be empty."), Length(max=20000)],
        render_kw={"rows": 20},
        description="Plain text. {patient}, {product}, {lot}, {expiry}, {sessions} and {clinic} are filled in for "
                    "each patient.",
    )
    submit = SubmitField("Save the letter")
