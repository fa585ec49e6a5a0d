"""The demo's counts: single-use products come in ampoules, and the fridge was counted three weeks ago,
so the dashboard shows the cupboard overdue for a count (helper "count")."""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update

from formulary.auth.models import User
from formulary.catalogue.models import Product
from formulary.extensions import db
from formulary.stock.counting import mark_counted
from formulary.stock.models import Lot
from formulary.vocabulary import PackageKind


def load(today: date) -> list[str]:
    """Once: ampoules for single-use products, and a count of the fridge's lots by the manager."""
    if db.session.scalar(select(Lot.id).where(Lot.counted_at.is_not(None)).limit(1)) is not None:
        return ["Demo counts already there."]
    db.session.execute(update(Product).where(Product.single_use.is_(True), Product.package == PackageKind.VIAL)
                       .values(package=PackageKind.AMPOULE))
    manager = db.session.scalar(select(User.id).where(User.username == "manager"))
    fridge = list(db.session.scalars(
        select(Lot.id).join(Product, Product.id == Lot.product_id)
        .where(Lot.on_hand > 0, Product.storage == "2–8 °C")))
    moment = datetime.combine(today - timedelta(days=21), time(18, 0), tzinfo=UTC)
    mark_counted(fridge, moment, manager)
    return [f"Demo counts: {len(fridge)} lots in the fridge counted on {moment:%Y-%m-%d}."]
