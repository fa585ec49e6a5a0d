"""Stock forms: receiving (typed or scanned) and the actions on a lot."""

import calendar
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from wtforms import DateField, Field, HiddenField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, StopValidation
from wtforms.widgets import TextInput

from formulary.quantity import fmt_quantity
from formulary.stock.errors import InvalidStockInput
from formulary.stock.scan import ScanError, parse_scan
from formulary.vocabulary import MovementKind

MONTH = re.compile(r"(\d{4})-(\d{1,2})")


def parse_expiry(text: str) -> date:
    """An expiry as typed: YYYY-MM-DD, or YYYY-MM meaning the last day of that month."""
    text = text.strip()
    month = MONTH.fullmatch(text)
    try:
        if month:
            year, number = int(month.group(1)), int(month.group(2))
            return date(year, number, calendar.monthrange(year, number)[1])
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"Expiry {text} is not a date: write YYYY-MM-DD, or YYYY-MM for a month.") from None


class ExpiryField(Field):
    """A text box for an expiry date or month; its data is the date it means."""

    widget = TextInput()

    def process_formdata(self, valuelist):
        text = valuelist[0].strip() if valuelist else ""
        self.data = parse_expiry(text) if text else None

    def _value(self) -> str:
        if self.raw_data and self.raw_data[0]:
            return self.raw_data[0]
        return self.data.isoformat() if self.data else ""


class QuantityField(Field):
    """A decimal typed by a person (a comma works as the decimal point); data is a Decimal."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, noun="The quantity", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.noun = noun

    def process_formdata(self, valuelist):
        text = valuelist[0].strip() if valuelist else ""
        self.data = None
        if text:
            try:
                number = Decimal(text.replace(",", "."))
            except InvalidOperation:
                raise ValueError(f"{self.noun} must be a number (got {text}).") from None
            if not number.is_finite():
                raise ValueError(f"{self.noun} must be a number (got {text}).")
            self.data = number

    def _value(self) -> str:
        if self.raw_data and self.raw_data[0]:
            return self.raw_data[0]
        return fmt_quantity(self.data) if self.data is not None else ""


def _optional_int(value) -> int | None:
    return None if value in ("", None) else int(value)


class Present:
    """Required, but a zero counts as given (the ledger explains why zero is refused)."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        if field.errors:  # the value could not be read: that message says more than ours
            raise StopValidation()
        if field.data is None or field.data == "":
            raise StopValidation(self.message)


class ReceiveForm(FlaskForm):
    """Receive a new lot, typed or filled from a GS1 scan."""

    scan = StringField(
        "Scan", validators=[Length(max=200)],
        description="Scan the barcode on the box (GS1 DataMatrix or GS1-128), or type the values below.",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    product = SelectField("Product", coerce=_optional_int, validate_choice=False,
                          validators=[Present("Choose the product.")])
    lot_number = StringField("Lot", validators=[DataRequired("Enter the lot number."), Length(max=40)])
    expiry = ExpiryField(
        "Expires", validators=[Present("Enter the expiry date.")],
        description="YYYY-MM-DD, or YYYY-MM for a month-only expiry (the last day of that month).",
        render_kw={"placeholder": "YYYY-MM-DD", "autocomplete": "off"},
    )
    quantity = QuantityField("Quantity", validators=[Present("Enter the quantity received.")],
                             render_kw={"inputmode": "decimal", "autocomplete": "off"},
                             description="In the product's stock unit (mL by default), or in units: see beside.")
    count_in = SelectField("Counted in", choices=[
        SelectChoice("volume", "stock unit (mL)"), SelectChoice("units", "units (vials, ampoules …)"),
    ], default="volume", validate_choice=False,
        description="Units are turned into the stock unit by the product's content per unit.")
    received_on = DateField("Received", validators=[Present("Enter the date of receipt.")],
                            format="%Y-%m-%d")
    supplier = StringField("Supplier", validators=[Length(max=200)])
    unit_cost = QuantityField("Unit cost", noun="The unit cost", render_kw={"inputmode": "decimal"},
                              description="Per stock unit (e.g. per mL), without a currency sign.")
    serial = HiddenField()
    submit = SubmitField("Receive")

    def scanned(self, find_product) -> str | None:
        """Fill product, lot and expiry from the scan field; returns a problem, or None.

        `find_product(gtin)` looks the 14-digit GTIN up in the catalogue.
        """
        text = (self.scan.data or "").strip()
        if not text:
            return None
        try:
            result = parse_scan(text)
        except ScanError as error:
            return f"{error}."
        product = find_product(result.gtin)
        if product is None:
            return (f"No known product for GTIN {result.gtin}: add this GTIN to the product in the "
                    "catalogue, or choose the product below.")
        self.product.data = product.id
        self.product.process_errors = []
        if result.lot_number:
            self.lot_number.data = result.lot_number
        if result.expiry:
            self.expiry.data, self.expiry.raw_data, self.expiry.process_errors = result.expiry, None, []
        self.serial.data = result.serial or ""
        self.scan.data = ""  # read: the field is free for the next scan
        return None


def _count_in() -> SelectField:
    """The lot page's "In" beside a quantity: the stock unit (mL) or whole units (vials); the page names both."""
    return SelectField("Counted in", choices=[SelectChoice("volume", "stock unit"), SelectChoice("units", "units")],
                       default="volume", validate_choice=False)


class ReceiveMoreForm(FlaskForm):
    """More of this lot arrived, in the stock unit or in whole units (vials)."""

    quantity = QuantityField("Quantity", validators=[Present("Enter the quantity received.")])
    count_in = _count_in()
    reason = StringField("Note", validators=[Length(max=500)],
                         description="Optional, e.g. the delivery note.")
    submit = SubmitField("Receive more")


class WasteForm(FlaskForm):
    """Throw stock away, with a reason; in the stock unit or in whole units (vials)."""

    quantity = QuantityField("Quantity", validators=[Present("Enter the quantity wasted.")])
    count_in = _count_in()
    reason = StringField("Reason", validators=[Length(max=500)],
                         description="e.g. broken vial, cold chain lost.")
    submit = SubmitField("Record waste")


class AdjustForm(FlaskForm):
    """Stocktake: what was counted; the difference becomes an adjust movement.

    A product kept in packages of its own (vials of 20 mL) is counted as a shelf is: sealed units whole,
    what the opened ones hold in the stock unit. The quantity box stays for stock kept in the packages
    themselves and for callers that send the total.
    """

    quantity = QuantityField("Counted quantity", noun="The counted quantity")
    sealed = QuantityField("Sealed units", noun="Sealed units", render_kw={"inputmode": "numeric"})
    opened = QuantityField("Opened content", noun="Opened content", render_kw={"inputmode": "decimal"})
    reason = StringField("Reason", validators=[Length(max=500)], description="e.g. monthly stocktake.")
    submit = SubmitField("Record count")

    def counted(self, unit_size, in_packages: bool) -> Decimal:
        """The count in the stock unit: sealed × what one unit holds + opened, or the total typed.

        Raises InvalidStockInput naming the field at fault.
        """
        if self.sealed.data is None and self.opened.data is None:
            if self.quantity.data is not None:
                return self.quantity.data
            if in_packages:
                raise InvalidStockInput("Enter the sealed units you counted (0 if none), and what the opened "
                                        "ones hold.", "sealed")
            raise InvalidStockInput("Enter the quantity you counted.", "quantity")
        sealed, opened = self.sealed.data or Decimal(0), self.opened.data or Decimal(0)
        if sealed < 0 or sealed != sealed.to_integral_value():
            raise InvalidStockInput(f"Sealed units must be a whole number, 0 or more (got {fmt_quantity(sealed)}).",
                                    "sealed")
        if opened < 0:
            raise InvalidStockInput(f"Opened content cannot be negative (got {fmt_quantity(opened)}).", "opened")
        return sealed * Decimal(unit_size) + opened


class ReturnForm(FlaskForm):
    """Send stock back to the supplier; in the stock unit or in whole units (vials)."""

    quantity = QuantityField("Quantity", validators=[Present("Enter the quantity returned.")])
    count_in = _count_in()
    reason = StringField("Reason", validators=[Length(max=500)])
    submit = SubmitField("Return to supplier")


class QuarantineForm(FlaskForm):
    """Hold a lot back while it is checked."""

    reason = StringField("Reason", validators=[Length(max=500)], description="e.g. cloudy solution.")
    submit = SubmitField("Quarantine")


class ReleaseForm(FlaskForm):
    """Put a quarantined lot back into use."""

    reason = StringField("Reason", validators=[Length(max=500)],
                         description="e.g. checked with the supplier.")
    submit = SubmitField("Release")


class RecallForm(FlaskForm):
    """Recall a lot: out of use at once, for good."""

    reason = StringField("Reason", validators=[Length(max=500)],
                         description="e.g. the manufacturer's recall notice and its reference.")
    submit = SubmitField("Recall this lot")


# The lot page's actions: URL segment → form class (the prefix is the segment too).
ACTION_FORMS: dict[str, type[FlaskForm]] = {
    "receive-more": ReceiveMoreForm,
    MovementKind.WASTE: WasteForm,
    MovementKind.ADJUST: AdjustForm,
    MovementKind.RETURN: ReturnForm,
    MovementKind.QUARANTINE: QuarantineForm,
    MovementKind.RELEASE: ReleaseForm,
    MovementKind.RECALL: RecallForm,
}
