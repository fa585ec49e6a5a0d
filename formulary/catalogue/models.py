"""The catalogue: substances, allergen groups, conditions, treatment goals and products."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from formulary.db import one_of, utcnow
from formulary.extensions import Model, db
from formulary.reference.library import SubstanceCategory
from formulary.vocabulary import ComponentRole, ContraindicationSeverity, Origin, PackageKind, ProductCategory, Strength

# Where a row comes from: the shipped reference library (updated by `formulary setup`)
# or the clinic itself (never touched by setup).
REFERENCE, CLINIC = Origin.REFERENCE, Origin.CLINIC
# The allowed values as lists, for the validators that still import them from here.
PRODUCT_CATEGORIES: list[str] = list(ProductCategory)
COMPONENT_ROLES: list[str] = list(ComponentRole)
CROSS_REACTION_STRENGTHS: list[str] = list(Strength)

group_member = Table(
    "group_member",
    db.metadata,
    Column("group_id", ForeignKey("allergen_group.id", ondelete="CASCADE"), primary_key=True),
    Column("substance_id", ForeignKey("substance.id", ondelete="CASCADE"), primary_key=True),
)


class Substance(Model):
    """Something a patient can react to: an active ingredient or an excipient."""

    __tablename__ = "substance"
    __table_args__ = (
        one_of("origin", Origin, "origin_known"),
        CheckConstraint("max_mg_per_session IS NULL OR max_mg_per_session > 0", name="max_dose_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The matching key (formulary.reference.names.normalize_name): unique across names.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    category: Mapped[str] = mapped_column(String(60), default=SubstanceCategory.OTHER)
    unii: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(10), default=Origin.CLINIC)
    # The clinic's maximum per session, in mg (formulary.safety.dose); None: no maximum set.
    max_mg_per_session: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))

    synonyms: Mapped[list["SubstanceSynonym"]] = relationship(
        back_populates="substance", cascade="all, delete-orphan", order_by="SubstanceSynonym.name"
    )
    groups: Mapped[list["AllergenGroup"]] = relationship(
        secondary=group_member, back_populates="members", order_by="AllergenGroup.name"
    )

    def __repr__(self) -> str:
        return f"<Substance {self.name}>"


class SubstanceSynonym(Model):
    """Another name for a substance: a salt, ester, trade name or common name."""

    __tablename__ = "substance_synonym"

    id: Mapped[int] = mapped_column(primary_key=True)
    substance_id: Mapped[int] = mapped_column(ForeignKey("substance.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    origin: Mapped[str] = mapped_column(String(10), default=Origin.CLINIC)

    substance: Mapped[Substance] = relationship(back_populates="synonyms")


class AllergenGroup(Model):
    """A class of substances that matter together for allergy (e.g. parabens)."""

    __tablename__ = "allergen_group"
    __table_args__ = (one_of("origin", Origin, "origin_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(10), default=Origin.CLINIC)

    members: Mapped[list[Substance]] = relationship(
        secondary=group_member, back_populates="groups", order_by=Substance.name
    )
    synonyms: Mapped[list["GroupSynonym"]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="GroupSynonym.name"
    )


class GroupSynonym(Model):
    """Another name for an allergen group ("sulphites", "PABA esters")."""

    __tablename__ = "group_synonym"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("allergen_group.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    origin: Mapped[str] = mapped_column(String(10), default=Origin.CLINIC)

    group: Mapped[AllergenGroup] = relationship(back_populates="synonyms")


class CrossReaction(Model):
    """A group or substance that cross-reacts with another, with a stated strength."""

    __tablename__ = "cross_reaction"
    __table_args__ = (
        CheckConstraint(
            "(source_group_id IS NULL) <> (source_substance_id IS NULL)", name="one_source"
        ),
        CheckConstraint(
            "(target_group_id IS NULL) <> (target_substance_id IS NULL)", name="one_target"
        ),
        one_of("strength", Strength, "strength_known"),
        one_of("origin", Origin, "origin_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_group_id: Mapped[int | None] = mapped_column(ForeignKey("allergen_group.id"), index=True)
    source_substance_id: Mapped[int | None] = mapped_column(ForeignKey("substance.id"), index=True)
    target_group_id: Mapped[int | None] = mapped_column(ForeignKey("allergen_group.id"), index=True)
    target_substance_id: Mapped[int | None] = mapped_column(ForeignKey("substance.id"), index=True)
    strength: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(10), default=Origin.CLINIC)

    source_group: Mapped[AllergenGroup | None] = relationship(foreign_keys=[source_group_id])
    source_substance: Mapped[Substance | None] = relationship(foreign_keys=[source_substance_id])
    target_group: Mapped[AllergenGroup | None] = relationship(foreign_keys=[target_group_id])
    target_substance: Mapped[Substance | None] = relationship(foreign_keys=[target_substance_id])

    @property
    def source_name(self) -> str:
        """The name of the group or substance the cross-reaction starts from."""
        source = self.source_group or self.source_substance
        assert source is not None  # the one_source CHECK: exactly one of them is set
        return source.name

    @property
    def target_name(self) -> str:
        """The name of the group or substance it reaches."""
        target = self.target_group or self.target_substance
        assert target is not None  # the one_target CHECK
        return target.name


class Condition(Model):
    """A patient condition that products can name as a contraindication."""

    __tablename__ = "condition"
    __table_args__ = (one_of("origin", Origin, "origin_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # What the condition means for every mesotherapy session, whatever the products say (pregnancy):
    # the check shows it as a caution. Empty for conditions that matter only when a product names them.
    session_caution: Mapped[str] = mapped_column(Text, default="", server_default="")
    origin: Mapped[str] = mapped_column(String(10), default=Origin.CLINIC)

    synonyms: Mapped[list["ConditionSynonym"]] = relationship(
        back_populates="condition", cascade="all, delete-orphan", order_by="ConditionSynonym.name"
    )


class ConditionSynonym(Model):
    """Another name for a condition ("pregnant" for pregnancy), so that any wording finds it."""

    __tablename__ = "condition_synonym"

    id: Mapped[int] = mapped_column(primary_key=True)
    condition_id: Mapped[int] = mapped_column(ForeignKey("condition.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(120), unique=True)
    origin: Mapped[str] = mapped_column(String(10), default=Origin.CLINIC)

    condition: Mapped[Condition] = relationship(back_populates="synonyms")


class TreatmentGoal(Model):
    """What a cocktail aims at: hydration, brightening, …"""

    __tablename__ = "treatment_goal"
    __table_args__ = (one_of("origin", Origin, "origin_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(10), default=Origin.CLINIC)


class Supplier(Model):
    """Who the clinic buys products from: contacts and how many days an order takes to arrive.

    In the catalogue, not in purchasing: a product names its supplier, and the product form offers them.
    """

    __tablename__ = "supplier"
    __table_args__ = (CheckConstraint("lead_time_days >= 0", name="lead_time_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    contact_person: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    lead_time_days: Mapped[int] = mapped_column(default=7)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    products: Mapped[list["Product"]] = relationship(back_populates="supplier", order_by="Product.name")

    def __repr__(self) -> str:
        return f"<Supplier {self.name}>"


class Product(Model):
    """What the clinic buys and stocks: a vial, ampoule or syringe SKU."""

    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("unit_size > 0", name="unit_size_positive"),
        one_of("package", PackageKind, "package_known"),
        CheckConstraint("reorder_level IS NULL OR reorder_level >= 0", name="reorder_level_not_negative"),
        CheckConstraint("expiry_margin_days >= 0", name="expiry_margin_not_negative"),
        CheckConstraint(
            "opened_shelf_life_days IS NULL OR opened_shelf_life_days > 0", name="opened_life_positive"
        ),
        CheckConstraint("pack_size IS NULL OR pack_size > 0", name="pack_size_positive"),
        CheckConstraint("minimum_order_packs IS NULL OR minimum_order_packs >= 1", name="minimum_order_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    category: Mapped[str] = mapped_column(String(40), index=True)
    manufacturer: Mapped[str] = mapped_column(String(200), default="")
    gtin: Mapped[str | None] = mapped_column(String(14), unique=True)
    unit: Mapped[str] = mapped_column(String(20), default="mL")
    # How much of the stock unit one vial/ampoule/syringe holds (2 for a 2 mL vial).
    unit_size: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    # What one unit is on the shelf (vial, ampoule, box …): stock is counted in these, volume beside.
    package: Mapped[str] = mapped_column(String(12), default=PackageKind.VIAL, server_default=PackageKind.VIAL)
    single_use: Mapped[bool] = mapped_column(default=True)
    opened_shelf_life_days: Mapped[int | None]
    storage: Mapped[str] = mapped_column(String(200), default="")
    reorder_level: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    expiry_margin_days: Mapped[int] = mapped_column(default=0)
    notes: Mapped[str] = mapped_column(Text, default="")
    retired: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Purchasing: who sells it, how much of the stock unit one pack holds (none: one unit), the fewest packs.
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"), index=True)
    pack_size: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    minimum_order_packs: Mapped[int | None]

    supplier: Mapped[Supplier | None] = relationship(back_populates="products")

    composition: Mapped[list["ProductComponent"]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductComponent.position"
    )
    contraindications: Mapped[list["ProductContraindication"]] = relationship(
        back_populates="product", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Product {self.name}>"


class ProductComponent(Model):
    """One substance of a product's composition, active or excipient, with its strength."""

    __tablename__ = "product_component"
    __table_args__ = (
        UniqueConstraint("product_id", "substance_id"),
        one_of("role", ComponentRole, "role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    substance_id: Mapped[int] = mapped_column(ForeignKey("substance.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    strength: Mapped[str] = mapped_column(String(60), default="")
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="composition")
    substance: Mapped[Substance] = relationship()


class ProductContraindication(Model):
    """A condition that rules a product out (block) or calls for care (caution)."""

    __tablename__ = "product_contraindication"
    __table_args__ = (one_of("severity", ContraindicationSeverity, "severity_known"),)

    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), primary_key=True)
    condition_id: Mapped[int] = mapped_column(ForeignKey("condition.id"), primary_key=True, index=True)
    severity: Mapped[str] = mapped_column(String(10), default=ContraindicationSeverity.BLOCK)

    product: Mapped[Product] = relationship(back_populates="contraindications")
    condition: Mapped[Condition] = relationship()
