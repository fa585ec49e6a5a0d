"""Forms of the catalogue pages: a substance, an allergen group, a product with its composition."""

from collections.abc import Sequence

from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from formulary.catalogue.products import ComponentData, ProductData
from formulary.quantity import fmt_quantity
from formulary.reference.library import SubstanceCategory
from formulary.vocabulary import ComponentRole, ContraindicationSeverity, PackageKind, ProductCategory

ROLE_CHOICES = [SelectChoice(role, role.capitalize()) for role in ComponentRole]
SEVERITY_CHOICES = [SelectChoice(severity, severity.capitalize()) for severity in ContraindicationSeverity]
USE_CHOICES = [SelectChoice("single", "Single-use"), SelectChoice("multi", "Multi-dose")]
# Blank rows offered to fill, and how many "Add more rows" adds.
COMPONENT_ROWS, CONDITION_ROWS = 3, 2


class WholeNumberField(IntegerField):
    """A whole number, blank allowed, with a message that names what was typed."""

    def refusal(self, text: str) -> str:
        """What to say of a text that is not a whole number."""
        return f"Enter a whole number (got {text!r})."

    def process_formdata(self, valuelist):
        text = valuelist[0].strip() if valuelist else ""
        self.data = None
        if text:
            try:
                self.data = int(text)
            except ValueError:
                raise ValueError(self.refusal(text)) from None


class DaysField(WholeNumberField):
    """A whole number of days, blank allowed."""

    def refusal(self, text: str) -> str:
        """What to say of a text that is not a whole number of days."""
        return f"Enter a whole number of days (got {text!r})."


class CheckboxListField(SelectMultipleField):
    """A multiple choice shown as checkboxes, so nothing depends on Ctrl-click."""

    def set_choices(self, rows) -> None:
        """Offer (id, label) rows."""
        self.choices = [SelectChoice(ident, label) for ident, label in rows]

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SubstanceForm(FlaskForm):
    """A clinic adds its own substance."""

    name = StringField("Name", description="The canonical name, e.g. “sodium ascorbyl phosphate”.")
    category = SelectField("Category", choices=[SelectChoice(c, c.capitalize()) for c in SubstanceCategory])
    synonyms = TextAreaField(
        "Synonyms", description="One per line: other names, salts, esters, trade names.",
        render_kw={"rows": 4},
    )
    groups = CheckboxListField("Allergen groups it belongs to", coerce=int, choices=[])
    submit = SubmitField("Add substance")


class GroupForm(FlaskForm):
    """A clinic adds its own allergen group."""

    name = StringField("Name")
    description = TextAreaField("Description", render_kw={"rows": 3})
    members = CheckboxListField("Members", coerce=int, choices=[])
    submit = SubmitField("Add allergen group")


class ConditionForm(FlaskForm):
    """A clinic adds its own condition."""

    name = StringField("Name")
    synonyms = TextAreaField("Other names", render_kw={"rows": 2, "placeholder": "one a line, e.g. keloids"},
                             description="Any wording of it, one a line: each finds the condition where it is typed.")
    description = TextAreaField("Description", render_kw={"rows": 2})
    session_caution = TextAreaField(
        "Caution at every session", render_kw={"rows": 2},
        description="Leave empty when the condition matters only where a product names it. Filled in, it is shown "
                    "as a caution at every session of a patient who has it, whatever the products say.")
    submit = SubmitField("Add condition")

    def synonym_list(self) -> list[str]:
        return [line.strip() for line in (self.synonyms.data or "").splitlines() if line.strip()]


class ComponentForm(Form):
    """One row of the composition editor."""

    substance = StringField("Substance")
    role = SelectField("Role", choices=ROLE_CHOICES, default=ComponentRole.ACTIVE)
    strength = StringField("Strength", render_kw={"placeholder": "e.g. 20 mg/mL"})


class ContraindicationForm(Form):
    """One contraindicated condition with its severity."""

    condition = SelectField("Condition", choices=[])
    severity = SelectField("Severity", choices=SEVERITY_CHOICES, default=ContraindicationSeverity.BLOCK)


class ProductForm(FlaskForm):
    """A product with every field of ProductData."""

    name = StringField("Name")
    category = SelectField("Category", choices=[SelectChoice(c, c.capitalize()) for c in ProductCategory])
    manufacturer = StringField("Manufacturer")
    gtin = StringField("GTIN", description="8, 12, 13 or 14 digits from the barcode; checked by its check digit.",
                       render_kw={"inputmode": "numeric"})
    unit = StringField("Stock unit", default="mL", description="What stock is counted in: mL, mg, vial …")
    unit_size = StringField("Content per unit", description="How much of the stock unit one vial holds.",
                            render_kw={"inputmode": "decimal"})
    package = SelectField("One unit is a", choices=[SelectChoice(kind, kind) for kind in PackageKind],
                          default=PackageKind.VIAL, description="What people count on the shelf: 12 vials · 24 mL.")
    use = RadioField("Use", choices=USE_CHOICES, default="single")
    opened_shelf_life_days = DaysField("Opened shelf life (days)",
                                       description="Multi-dose only: how long an opened unit keeps.")
    storage = StringField("Storage", render_kw={"placeholder": "e.g. 2–8 °C, away from light"})
    reorder_level = StringField("Reorder level", description="Warn when on hand falls below this.",
                                render_kw={"inputmode": "decimal"})
    expiry_margin_days = DaysField("Expiry margin (days)", default=0,
                                   description="Stop using a lot this many days before it expires.")
    notes = TextAreaField("Notes", render_kw={"rows": 3})
    supplier_id = SelectField("Supplier", choices=[SelectChoice("", "—")], validate_choice=False)
    pack_size = StringField("Pack size", description="How much of the stock unit one pack holds (blank: one unit).",
                            render_kw={"inputmode": "decimal"})
    minimum_order_packs = WholeNumberField("Minimum order (packs)", description="The fewest packs the supplier sells.")
    composition = FieldList(FormField(ComponentForm))
    contraindications = FieldList(FormField(ContraindicationForm))
    add_rows = SubmitField("Add more rows")
    add_conditions = SubmitField("Add more conditions")
    submit = SubmitField("Save product")

    def set_supplier_choices(self, suppliers: Sequence[tuple[int, str]]) -> None:
        """Offer the clinic's suppliers, by name."""
        self.supplier_id.choices = [SelectChoice("", "—")] + [SelectChoice(str(i), name) for i, name in suppliers]

    def set_condition_choices(self, names: Sequence[str]) -> None:
        """Offer the catalogue's conditions in every contraindication row."""
        choices = [SelectChoice("", "—")] + [SelectChoice(name) for name in names]
        for entry in self.contraindications:
            entry.form.condition.choices = choices

    def validate(self, extra_validators=None) -> bool:
        """What only the form can tell: a strength with no substance, a condition listed twice."""
        valid = super().validate(extra_validators)
        for entry in self.composition:
            if not (entry.form.substance.data or "").strip() and (entry.form.strength.data or "").strip():
                entry.form.substance.errors.append("Name the substance this strength belongs to.")
                valid = False
        seen = set()
        for entry in self.contraindications:
            name = entry.form.condition.data
            if name and name in seen:
                entry.form.condition.errors.append(f"{name} is listed twice.")
                valid = False
            seen.add(name)
        return valid

    def composition_rows(self) -> tuple[list[ComponentData], list[int]]:
        """The filled composition rows, and for each its row number on the form."""
        rows, positions = [], []
        for position, entry in enumerate(self.composition):
            name = (entry.form.substance.data or "").strip()
            if name:
                strength = (entry.form.strength.data or "").strip()
                rows.append(ComponentData(name, entry.form.role.data, strength))
                positions.append(position)
        return rows, positions

    def product_data(self) -> tuple[ProductData, list[int], list[int]]:
        """ProductData from the form, with the form rows behind each composition and condition line."""
        composition, component_rows = self.composition_rows()
        conditions, condition_rows = [], []
        for position, entry in enumerate(self.contraindications):
            if entry.form.condition.data:
                conditions.append((entry.form.condition.data, entry.form.severity.data))
                condition_rows.append(position)
        data = ProductData(
            name=self.name.data or "", category=self.category.data, unit_size=self.unit_size.data or "",
            unit=self.unit.data or "mL", manufacturer=self.manufacturer.data or "",
            gtin=(self.gtin.data or "").strip() or None, single_use=self.use.data != "multi",
            opened_shelf_life_days=self.opened_shelf_life_days.data, storage=self.storage.data or "",
            reorder_level=(self.reorder_level.data or "").strip() or None,
            expiry_margin_days=self.expiry_margin_days.data or 0, notes=self.notes.data or "",
            composition=composition, contraindications=conditions, package=self.package.data or PackageKind.VIAL,
            supplier_id=self.supplier_id.data or None, pack_size=(self.pack_size.data or "").strip() or None,
            minimum_order_packs=self.minimum_order_packs.data,
        )
        return data, component_rows, condition_rows


def product_form_data(product) -> dict:
    """What an edit form starts with: the product as it is, plus blank rows to fill."""
    return {
        "name": product.name, "category": product.category, "manufacturer": product.manufacturer,
        "gtin": product.gtin or "", "unit": product.unit, "unit_size": fmt_quantity(product.unit_size),
        "package": product.package,
        "use": "single" if product.single_use else "multi",
        "opened_shelf_life_days": product.opened_shelf_life_days, "storage": product.storage,
        "reorder_level": "" if product.reorder_level is None else fmt_quantity(product.reorder_level),
        "expiry_margin_days": product.expiry_margin_days, "notes": product.notes,
        "supplier_id": str(product.supplier_id or ""),
        "pack_size": "" if product.pack_size is None else fmt_quantity(product.pack_size),
        "minimum_order_packs": product.minimum_order_packs,
        "composition": [
            {"substance": c.substance.name, "role": c.role, "strength": c.strength} for c in product.composition
        ] + [{}] * COMPONENT_ROWS,
        "contraindications": [
            {"condition": c.condition.name, "severity": c.severity} for c in product.contraindications
        ] + [{}] * CONDITION_ROWS,
    }


def new_product_data() -> dict:
    """What a new product form starts with: blank rows."""
    return {"composition": [{}] * (COMPONENT_ROWS + 2), "contraindications": [{}] * CONDITION_ROWS}
