"""The upload form and the confirm form of a stock import."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired

from formulary.vocabulary import ImportMode

MODE_CHOICES = [
    SelectChoice(ImportMode.DELIVERY, "Delivery: stock received, as new lots or more of a lot"),
    SelectChoice(ImportMode.STOCKTAKE, "Stocktake: the quantities counted, lot by lot"),
]


class UploadForm(FlaskForm):
    """A workbook (.xlsx or .csv), what it holds, and whether to import a delivery seen before."""

    file = FileField("Workbook (.xlsx or .csv)", validators=[FileRequired("Choose the file to import.")])
    mode = RadioField("What the file holds", choices=MODE_CHOICES, default=ImportMode.DELIVERY,
                      validators=[DataRequired("Choose delivery or stocktake.")])
    force = BooleanField(
        "Import it even if this delivery was imported before",
        description="Only when the same goods really arrived twice.",
    )


class ConfirmForm(FlaskForm):
    """Apply the file just previewed: named by its SHA-256, signed, never sent again."""

    sha256 = HiddenField(validators=[DataRequired()])
    mode = HiddenField(validators=[AnyOf(list(ImportMode))])
    force = HiddenField()
    file_name = HiddenField()
    changes = HiddenField()  # the fingerprint of the changes previewed
    signature = HiddenField(validators=[DataRequired()])
