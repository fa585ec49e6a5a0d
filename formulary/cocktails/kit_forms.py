"""The forms of procedure items: the clinic's kit page and the composer's procedure rows."""

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice

from formulary.cocktails.kit import ProcedureLine
from formulary.vocabulary import ProcedureUse

# Blank rows the kit page and the composer offer for new items.
BLANK_ROWS = 2
USE_CHOICES = [SelectChoice(use.value, use.value.capitalize()) for use in ProcedureUse]


def _product_id(value) -> int | None:
    text = "" if value is None else str(value).strip()
    return int(text) if text.isdigit() else None


class ProcedureRow(Form):
    """One procedure item: a product and what it is for."""

    product = SelectField("Product", coerce=_product_id, choices=[], validate_choice=False)
    use = SelectField("Use", choices=USE_CHOICES, validate_choice=False)


def product_choices(products) -> list[SelectChoice]:
    """The products offered for a procedure item, grouped by category."""
    choices = [SelectChoice("", "— none —")]
    for product in products:
        choices.append(SelectChoice(str(product.id), product.name, optgroup=product.category.capitalize()))
    return choices


def procedure_lines(rows) -> list[ProcedureLine]:
    """The rows with a product chosen, as the kit service's lines (blank rows are ignored)."""
    return [ProcedureLine(row.form.product.data, row.form.use.data or "") for row in rows
            if row.form.product.data is not None]


def rows_data(items) -> list[dict]:
    """Form data for existing items (kit or version), plus blank rows."""
    return [{"product": item.product_id, "use": item.use} for item in items] + [{}] * BLANK_ROWS


class KitForm(FlaskForm):
    """The clinic's default kit, edited as a whole."""

    items = FieldList(FormField(ProcedureRow))
    add_rows = SubmitField("Add more rows")
    submit = SubmitField("Save the kit")
