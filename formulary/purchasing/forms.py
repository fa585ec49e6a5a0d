"""Forms of the purchasing pages: a supplier, an order's lines, a delivery received against a line."""

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from formulary.stock.forms import ExpiryField, Present, QuantityField


class SupplierForm(FlaskForm):
    """A supplier's name, contacts and lead time; the service checks the values."""

    name = StringField("Name")
    contact_person = StringField("Contact person")
    email = StringField("E-mail", description="Orders are e-mailed here.", render_kw={"type": "email"})
    phone = StringField("Phone")
    lead_time_days = StringField("Lead time (days)", description="How many days an order takes to arrive.",
                                 render_kw={"inputmode": "numeric"})
    notes = TextAreaField("Notes", render_kw={"rows": 3})
    submit = SubmitField("Save supplier")


class OrderLinesForm(FlaskForm):
    """A draft's lines: the packs of each line and the lines to remove come as packs-ID and remove-ID fields."""

    add_product = SelectField("Add a product", choices=[], validate_choice=False)
    add_packs = StringField("Packs", render_kw={"inputmode": "numeric"})
    save = SubmitField("Save changes")


class LineReceiveForm(FlaskForm):
    """One delivered lot of an order line: lot number, expiry, quantity."""

    lot_number = StringField("Lot", validators=[DataRequired("Enter the lot number."), Length(max=40)])
    expiry = ExpiryField("Expires", validators=[Present("Enter the expiry date.")],
                         render_kw={"placeholder": "YYYY-MM-DD", "autocomplete": "off"})
    quantity = QuantityField("Quantity", validators=[Present("Enter the quantity received.")],
                             render_kw={"inputmode": "decimal", "autocomplete": "off"})
    received_on = DateField("Received", validators=[Present("Enter the date of receipt.")], format="%Y-%m-%d")
    submit = SubmitField("Receive")


class ScanReceiveForm(FlaskForm):
    """A box scanned at the door: its GS1 barcode names product, lot and expiry; the quantity defaults to a pack."""

    scan = StringField("Scan", validators=[DataRequired("Scan the barcode on the box."), Length(max=200)],
                       render_kw={"autocomplete": "off", "spellcheck": "false"})
    quantity = QuantityField("Quantity", description="Blank: one pack of its line.",
                             render_kw={"inputmode": "decimal", "autocomplete": "off"})
    received_on = DateField("Received", validators=[Present("Enter the date of receipt.")], format="%Y-%m-%d")
    submit = SubmitField("Receive the scan")
