"""Procedure items: what touches the patient without being injected (numbing cream, antiseptic, gloves).

The clinic keeps one default kit; a cocktail version may add its own items. Both are products with a
composition like any other, and the pre-session check reads them exactly as it reads the components.
"""

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from formulary.catalogue.models import Product
from formulary.cocktails.models import CocktailVersion
from formulary.db import one_of
from formulary.extensions import Model
from formulary.vocabulary import ProcedureUse


class ProcedureKitItem(Model):
    """One item of the clinic's default kit, used in every session."""

    __tablename__ = "procedure_kit_item"
    __table_args__ = (
        UniqueConstraint("product_id"),
        one_of("use", ProcedureUse, "use_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    use: Mapped[str] = mapped_column(String(30))
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship()


class CocktailProcedureItem(Model):
    """An item a cocktail version adds to the kit; kept with the version, never changed once saved."""

    __tablename__ = "cocktail_procedure_item"
    __table_args__ = (
        UniqueConstraint("version_id", "product_id"),
        one_of("use", ProcedureUse, "use_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("cocktail_version.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    use: Mapped[str] = mapped_column(String(30))
    position: Mapped[int] = mapped_column(default=0)

    version: Mapped[CocktailVersion] = relationship(back_populates="procedure_items")
    product: Mapped[Product] = relationship()
