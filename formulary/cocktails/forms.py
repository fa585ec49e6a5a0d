"""The composer's form: name, goals, components in draw-up order, technique notes and the series."""

from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice

from formulary.catalogue.forms import CheckboxListField, WholeNumberField
from formulary.cocktails.kit_forms import BLANK_ROWS, ProcedureRow, procedure_lines, rows_data
from formulary.cocktails.recipes import ComponentLine, RecipeData
from formulary.quantity import fmt_quantity

# Blank component rows a new cocktail starts with, and how many "Add more rows" adds.
NEW_ROWS, MORE_ROWS = 4, 3


def _product_id(value) -> int | None:
    text = "" if value is None else str(value).strip()
    return int(text) if text else None


class CountField(WholeNumberField):
    """A whole number, blank allowed, with a message that says what it counts and what was typed."""

    def __init__(self, label, what: str, **kwargs):
        super().__init__(label, **kwargs)
        self.what = what

    def refusal(self, text: str) -> str:
        """What to say of a text that is not a whole number: what it counts, too."""
        return f"{self.what}: enter a whole number (got {text!r})."


class ComponentRow(Form):
    """One component: a product and the amount drawn up per session."""

    product = SelectField("Product", coerce=_product_id, choices=[], validate_choice=False)
    amount = StringField("Amount", render_kw={"inputmode": "decimal", "autocomplete": "off"})


class CocktailForm(FlaskForm):
    """Everything RecipeData holds; blank component rows are ignored."""

    name = StringField("Name", render_kw={"autocomplete": "off"})
    goals = CheckboxListField("Treatment goals", choices=[], validate_choice=False)
    components = FieldList(FormField(ComponentRow))
    procedure = FieldList(FormField(ProcedureRow))  # items this cocktail adds to the clinic's kit
    notes = TextAreaField(
        "Technique and depth", render_kw={"rows": 4},
        description="How it is injected: nappage, papules or linear threading, depth, needle, areas.",
    )
    series_sessions = CountField("Sessions in a series", "Sessions in a series")
    series_interval_days = CountField("Days between sessions", "Days between sessions")
    add_rows = SubmitField("Add more rows")
    preview = SubmitField("Preview")
    submit = SubmitField("Save cocktail")

    def set_choices(self, products, goal_names: list[str]) -> None:
        """Offer the products (grouped by category, each with its unit) and the goals."""
        choices = [SelectChoice("", "— choose a product —")]
        for product in products:
            label = f"{product.name}{' — retired' if product.retired else ''}"
            choices.append(SelectChoice(str(product.id), label, {"data-unit": product.unit},
                                        optgroup=product.category.capitalize()))
        for entry in [*self.components, *self.procedure]:
            entry.form.product.choices = choices
        self.goals.choices = [SelectChoice(name, name.capitalize()) for name in goal_names]

    def validate(self, extra_validators=None) -> bool:
        """What only the form can tell: an amount typed with no product chosen."""
        valid = super().validate(extra_validators)
        for entry in self.components:
            if entry.form.product.data is None and (entry.form.amount.data or "").strip():
                entry.form.product.errors.append("Choose the product for this amount.")
                valid = False
        return valid

    def recipe_data(self) -> RecipeData:
        """RecipeData with one line per form row, so that the service's components.N is row N."""
        return RecipeData(
            name=self.name.data or "",
            goals=list(self.goals.data or []),
            components=[ComponentLine(e.form.product.data, (e.form.amount.data or "").strip())
                        for e in self.components],
            notes=self.notes.data or "",
            series_sessions=self.series_sessions.data,
            series_interval_days=self.series_interval_days.data,
            procedure=procedure_lines(self.procedure),
        )

    def preview_rows(self) -> list[tuple[int, int, Decimal | None, str]]:
        """(row, product id, amount or None when not a positive number, amount as typed) of filled rows."""
        rows = []
        for index, entry in enumerate(self.components):
            product_id = entry.form.product.data
            if not product_id:
                continue
            typed = (entry.form.amount.data or "").strip()
            try:
                amount = Decimal(typed.replace(",", "."))
            except InvalidOperation:
                amount = None
            if amount is not None and (not amount.is_finite() or amount <= 0 or amount >= 1000):
                amount = None
            rows.append((index, product_id, amount, typed))
        return rows


def version_form_data(version) -> dict:
    """What the edit form starts with: the current version, plus blank rows."""
    return {
        "name": version.cocktail.name,
        "goals": [goal.name for goal in version.goals],
        "components": [
            {"product": c.product_id, "amount": fmt_quantity(c.amount)} for c in version.components
        ] + [{}] * MORE_ROWS,
        "notes": version.notes,
        "series_sessions": version.series_sessions,
        "series_interval_days": version.series_interval_days,
        "procedure": rows_data(version.procedure_items),
    }


def new_form_data() -> dict:
    """What a new cocktail's form starts with: blank rows."""
    return {"components": [{}] * NEW_ROWS, "procedure": [{}] * BLANK_ROWS}


class GoalForm(FlaskForm):
    """A clinic adds its own treatment goal."""

    name = StringField("Name", render_kw={"autocomplete": "off"})
    description = TextAreaField("Description", render_kw={"rows": 3},
                                description="One sentence: what a cocktail for this goal aims at.")
    submit = SubmitField("Add goal")
