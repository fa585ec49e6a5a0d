"""Cocktails and their versions: a change to a recipe makes a new version, old ones stay."""

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Column, ForeignKey, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from formulary.catalogue.models import Product, TreatmentGoal
from formulary.db import utcnow
from formulary.extensions import Model, db

if TYPE_CHECKING:  # procedure_models imports this module
    from formulary.cocktails.procedure_models import CocktailProcedureItem

version_goal = Table(
    "cocktail_version_goal",
    db.metadata,
    Column("version_id", ForeignKey("cocktail_version.id", ondelete="CASCADE"), primary_key=True),
    Column("goal_id", ForeignKey("treatment_goal.id"), primary_key=True, index=True),
)


class Cocktail(Model):
    """A named recipe; what it contains lives in its versions."""

    __tablename__ = "cocktail"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    retired: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list["CocktailVersion"]] = relationship(
        back_populates="cocktail", order_by="CocktailVersion.number", cascade="all"
    )

    @property
    def current(self) -> "CocktailVersion":
        """The newest version: what new sessions use."""
        return self.versions[-1]

    def __repr__(self) -> str:
        return f"<Cocktail {self.name}>"


class CocktailVersion(Model):
    """One version of a recipe, never changed once saved: past sessions point to it."""

    __tablename__ = "cocktail_version"
    __table_args__ = (
        UniqueConstraint("cocktail_id", "number"),
        CheckConstraint("series_sessions IS NULL OR series_sessions > 0", name="series_sessions_positive"),
        CheckConstraint(
            "series_interval_days IS NULL OR series_interval_days > 0", name="series_interval_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cocktail_id: Mapped[int] = mapped_column(ForeignKey("cocktail.id"), index=True)
    number: Mapped[int]
    notes: Mapped[str] = mapped_column(Text, default="")
    series_sessions: Mapped[int | None]
    series_interval_days: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    cocktail: Mapped[Cocktail] = relationship(back_populates="versions")
    components: Mapped[list["CocktailComponent"]] = relationship(
        back_populates="version", order_by="CocktailComponent.position", cascade="all, delete-orphan"
    )
    goals: Mapped[list[TreatmentGoal]] = relationship(secondary=version_goal, order_by=TreatmentGoal.name)
    # What the version adds to the clinic's procedure kit (cocktails.procedure_models).
    procedure_items: Mapped[list["CocktailProcedureItem"]] = relationship(
        back_populates="version", order_by="CocktailProcedureItem.position", cascade="all, delete-orphan")
    created_by = relationship("User")

    @property
    def total_volume(self) -> Decimal:
        """Sum of the amounts drawn up per session, in mL (components in mL only)."""
        return sum((c.amount for c in self.components if c.product.unit == "mL"), Decimal(0))


class CocktailComponent(Model):
    """A product and the amount drawn up per session, in the product's stock unit."""

    __tablename__ = "cocktail_component"
    __table_args__ = (
        UniqueConstraint("version_id", "product_id"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("cocktail_version.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    position: Mapped[int] = mapped_column(default=0)

    version: Mapped[CocktailVersion] = relationship(back_populates="components")
    product: Mapped[Product] = relationship()
