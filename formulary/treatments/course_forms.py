"""Course and consent forms."""

from datetime import date

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, SubmitField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from formulary.clinic_time import clinic_today
from formulary.treatments.courses import MAX_INTERVAL_DAYS, MAX_SESSIONS
from formulary.treatments.forms import ClinicDateField, PickField
from formulary.vocabulary import ConsentMethod


class CourseForm(FlaskForm):
    """Start a course: the patient's goals, a cocktail, how many sessions how often, the first date and time."""

    patient = PickField("Patient", [InputRequired("Choose the patient.")], invalid="Choose the patient from the list.")
    goals = TextAreaField("Goals", validators=[Optional(), Length(max=2000)], render_kw={"rows": 2},
                          description="What the patient wants, as discussed at the consultation.")
    cocktail = PickField("Cocktail", [InputRequired("Choose the cocktail.")],
                         invalid="Choose the cocktail from the list.",
                         description="Every session records the cocktail's current version.")
    sessions = IntegerField("Number of sessions", validators=[
        InputRequired("Enter the number of sessions."),
        NumberRange(1, MAX_SESSIONS, f"The number of sessions must be from 1 to {MAX_SESSIONS}.")])
    interval_days = IntegerField("Days between sessions", validators=[
        InputRequired("Enter the days between sessions."),
        NumberRange(1, MAX_INTERVAL_DAYS, f"The interval must be from 1 to {MAX_INTERVAL_DAYS} days.")])
    first_on = ClinicDateField("First session", validators=[InputRequired("Enter the first session's date.")])
    at_time = TimeField("Time", validators=[Optional()], description="On the clinic's clock; leave empty for none.")
    practitioner = PickField("Practitioner", [InputRequired("Choose who treats the patient.")],
                             invalid="Choose the practitioner from the list.")
    submit = SubmitField("Book the sessions")

    def validate_first_on(self, field):
        """A course starts today or later (the clinic's today)."""
        if isinstance(field.data, date) and field.data < clinic_today():
            raise ValidationError(f"The first session cannot be in the past ({field.data:%Y-%m-%d}).")


class ConsentForm(FlaskForm):
    """The patient's consent: signed on the tablet (the pad's PNG) or on the printed sheet."""

    method = RadioField("How the patient signs", choices=[
        SelectChoice(ConsentMethod.ON_SCREEN, "On this screen"),
        SelectChoice(ConsentMethod.PAPER, "On the printed sheet (filed by the clinic)")],
        default=ConsentMethod.ON_SCREEN, validators=[InputRequired("Choose how the patient signs.")])
    signature = HiddenField()  # the pad's drawing, a PNG data URL written by signature.js
    submit = SubmitField("Record the consent")


class WordingForm(FlaskForm):
    """The clinic's consent wording; saving it makes a new version."""

    body = TextAreaField("Consent wording", validators=[InputRequired("The wording cannot be empty."),
                                                        Length(min=20, max=20000)], render_kw={"rows": 18},
                         description="Plain text; a blank line starts a paragraph, lines starting with “- ” a list. "
                                     "Saving makes a new version; consents already signed keep theirs.")
    submit = SubmitField("Save as a new version")
