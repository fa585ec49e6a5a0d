"""Creating and changing products with their composition: plain functions that flush."""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from formulary.audit.log import record
from formulary.catalogue.errors import CatalogueError
from formulary.catalogue.gtin import InvalidGtin, normalize_gtin
from formulary.catalogue.lookup import find_condition, find_substance
from formulary.catalogue.models import Condition, Product, ProductComponent, ProductContraindication, Supplier
from formulary.extensions import db
from formulary.vocabulary import ComponentRole, ContraindicationSeverity, PackageKind, ProductCategory


@dataclass
class ComponentData:
    """One line of a composition as typed: a substance name or synonym, its role, strength."""

    substance: str
    role: str = ComponentRole.ACTIVE
    strength: str = ""


@dataclass
class ProductData:
    """Everything a product form or API body says about a product."""

    name: str
    category: str
    unit_size: Decimal | str | float
    unit: str = "mL"
    manufacturer: str = ""
    gtin: str | None = None
    single_use: bool = True
    opened_shelf_life_days: int | None = None
    storage: str = ""
    reorder_level: Decimal | str | float | None = None
    expiry_margin_days: int = 0
    notes: str = ""
    composition: list[ComponentData] = field(default_factory=list)
    # (condition name, "block" or "caution")
    contraindications: list[tuple[str, str]] = field(default_factory=list)
    package: str = PackageKind.VIAL  # what one unit is on the shelf: people count stock in these
    # Purchasing: who sells it, how much of the stock unit a pack holds, the fewest packs an order takes.
    supplier_id: int | str | None = None
    pack_size: Decimal | str | float | None = None
    minimum_order_packs: int | str | None = None


def _decimal(value, field_name: str, label: str, errors, *, positive: bool) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        errors.append((field_name, f"{label} must be a number (got {value!r})."))
        return None
    if not number.is_finite() or number < 0 or (positive and number == 0):
        bound = "more than" if positive else "at least"
        errors.append((field_name, f"{label} must be {bound} zero (got {value})."))
        return None
    return number


def _whole(value, field_name: str, label: str, errors) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors.append((field_name, f"{label} must be a whole number of days (got {value!r})."))
        return None
    if abs(number) > 36500:
        errors.append((field_name, f"{label} of {number} days is not plausible."))
        return None
    return number


def _purchasing(data: ProductData, errors) -> tuple[int | None, Decimal | None, int | None]:
    """The supplier (which must exist), the pack size (more than zero) and the minimum order (at least one pack)."""
    supplier_id = None
    if data.supplier_id not in (None, ""):
        try:
            supplier_id = int(str(data.supplier_id))
        except ValueError:
            supplier_id = None
        # An id no row can have is not asked of the database (PostgreSQL refuses it outside int4).
        if supplier_id is None or not 0 < supplier_id < 2**31 or db.session.get(Supplier, supplier_id) is None:
            errors.append(("supplier_id", f"No supplier with id {data.supplier_id!r}."))
            supplier_id = None
    pack_size = None
    if data.pack_size not in (None, ""):
        try:
            pack_size = Decimal(str(data.pack_size))
        except InvalidOperation:
            errors.append(("pack_size", f"Pack size must be a number (got {data.pack_size!r})."))
        else:
            if not pack_size.is_finite() or pack_size <= 0:
                errors.append(("pack_size", f"Pack size must be more than zero (got {data.pack_size})."))
                pack_size = None
    minimum = None
    if data.minimum_order_packs not in (None, ""):
        try:
            minimum = int(str(data.minimum_order_packs).strip())
        except ValueError:
            errors.append(("minimum_order_packs", "The minimum order must be a whole number of packs "
                                                  f"(got {data.minimum_order_packs!r})."))
        else:
            if minimum < 1:
                errors.append(("minimum_order_packs",
                               f"The minimum order must be at least one pack (got {minimum})."))
                minimum = None
    return supplier_id, pack_size, minimum


def _validate(data: ProductData, product: Product | None) -> tuple[dict, list, list]:
    errors: list[tuple[str, str]] = []
    name = " ".join((data.name or "").split())
    if not name:
        errors.append(("name", "A product name is required."))
    elif len(name) > 200:
        errors.append(("name", "The product name is longer than 200 characters."))
    else:
        clash = db.session.scalar(select(Product).where(Product.name == name))
        if clash is not None and clash is not product:
            errors.append(("name", f"A product named {name!r} already exists."))
    if data.category not in tuple(ProductCategory):
        choices = ", ".join(ProductCategory)
        errors.append(("category", f"Unknown category {data.category!r}: use one of {choices}."))
    gtin = None
    if data.gtin:
        try:
            gtin = normalize_gtin(str(data.gtin))
        except InvalidGtin as error:
            errors.append(("gtin", str(error) + "."))
        else:
            clash = db.session.scalar(select(Product).where(Product.gtin == gtin))
            if clash is not None and clash is not product:
                errors.append(("gtin", f"GTIN {gtin} already belongs to {clash.name}."))
    unit_size = _decimal(data.unit_size, "unit_size", "Content per unit", errors, positive=True)
    if unit_size is None and not any(f == "unit_size" for f, _ in errors):
        errors.append(("unit_size", "Content per unit is required (e.g. 2 for a 2 mL vial)."))
    reorder = _decimal(data.reorder_level, "reorder_level", "Reorder level", errors, positive=False)
    margin = _whole(data.expiry_margin_days or 0, "expiry_margin_days", "The expiry margin", errors)
    if margin is not None and margin < 0:
        errors.append(("expiry_margin_days", f"The expiry margin cannot be negative (got {margin})."))
    opened = _whole(data.opened_shelf_life_days, "opened_shelf_life_days", "Opened shelf life", errors)
    if not data.single_use and opened is not None and opened <= 0:
        message = f"Opened shelf life must be at least one day (got {opened})."
        errors.append(("opened_shelf_life_days", message))

    supplier_id, pack_size, minimum = _purchasing(data, errors)

    components, seen = [], set()
    for index, component in enumerate(data.composition):
        label = f"composition.{index}"
        substance = find_substance(component.substance)
        if substance is None:
            message = f"Unknown substance {component.substance!r}: add it to the catalogue first."
            errors.append((f"{label}.substance", message))
            continue
        if component.role not in tuple(ComponentRole):
            errors.append((f"{label}.role", f"Role must be active or excipient (got {component.role!r})."))
            continue
        if substance.id in seen:
            errors.append((f"{label}.substance", f"{substance.name} is listed twice in the composition."))
            continue
        seen.add(substance.id)
        components.append((substance, component.role, (component.strength or "").strip()[:60]))
    if not components and not any(f.startswith("composition") for f, _ in errors):
        errors.append(("composition", "List at least one substance the product contains."))

    contraindications: list[tuple[Condition, str]] = []
    for index, (condition_name, severity) in enumerate(data.contraindications):
        condition = find_condition(condition_name)
        if condition is not None and condition in [c for c, _s in contraindications]:
            errors.append((f"contraindications.{index}", f"{condition.name} is listed twice."))
        elif condition is None:
            errors.append((f"contraindications.{index}", f"Unknown condition {condition_name!r}."))
        elif severity not in tuple(ContraindicationSeverity):
            message = f"Severity must be block or caution (got {severity!r})."
            errors.append((f"contraindications.{index}", message))
        else:
            contraindications.append((condition, severity))
    if (data.package or PackageKind.VIAL) not in tuple(PackageKind):
        errors.append(("package", f"Unit must be one of {', '.join(PackageKind)} (got {data.package!r})."))
    if errors:
        raise CatalogueError(errors)
    values = dict(
        package=data.package or PackageKind.VIAL,
        name=name, category=data.category, manufacturer=(data.manufacturer or "").strip(), gtin=gtin,
        unit=(data.unit or "mL").strip() or "mL", unit_size=unit_size, single_use=bool(data.single_use),
        opened_shelf_life_days=None if data.single_use else opened,
        storage=(data.storage or "").strip(), reorder_level=reorder, expiry_margin_days=margin,
        notes=(data.notes or "").strip(), supplier_id=supplier_id, pack_size=pack_size,
        minimum_order_packs=minimum,
    )
    return values, components, contraindications


def _apply(product: Product, values: dict, components, contraindications) -> None:
    for key, value in values.items():
        setattr(product, key, value)
    product.composition = [
        ProductComponent(substance=substance, role=role, strength=strength, position=position)
        for position, (substance, role, strength) in enumerate(components)
    ]
    product.contraindications = [
        ProductContraindication(condition=condition, severity=severity)
        for condition, severity in contraindications
    ]


def create_product(data: ProductData, *, actor) -> Product:
    """Create a product with its composition; every refused value is reported at once."""
    values, components, contraindications = _validate(data, None)
    product = Product()
    _apply(product, values, components, contraindications)
    db.session.add(product)
    db.session.flush()
    record("product.create", actor=actor, target=product, detail=product.name)
    return product


def update_product(product: Product, data: ProductData, *, actor) -> Product:
    """Change a product and replace its composition."""
    values, components, contraindications = _validate(data, product)
    # Replacing the lists deletes the old rows; flush that first so the unique
    # (product, substance) pairs do not collide with the new rows.
    product.composition = []
    product.contraindications = []
    db.session.flush()
    _apply(product, values, components, contraindications)
    db.session.flush()
    record("product.update", actor=actor, target=product, detail=product.name)
    return product


def set_retired(product: Product, retired: bool, *, actor) -> None:
    """Retire a product (no new stock or cocktails) or bring it back."""
    if product.retired != retired:
        product.retired = retired
        db.session.flush()
        record("product.retire" if retired else "product.unretire", actor=actor, target=product)
