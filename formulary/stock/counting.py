"""Cycle counts: which lots one count covers (a storage place, a category, a product), when each lot
was last counted and by whom, and which lots are overdue for a count."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, or_, select, update

from formulary.catalogue.models import Product
from formulary.db import utcnow
from formulary.extensions import db
from formulary.quantity import package_label
from formulary.stock.models import Lot

CHUNK = 5_000  # lot ids per UPDATE … WHERE id IN (…)
OVERDUE_LISTED = 5  # storage places the dashboard names


@dataclass(frozen=True)
class CountScope:
    """What one count covers; all empty: all stock. A cycle count counts one part at a time."""

    storage: str = ""
    category: str = ""
    product_id: int | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> CountScope:
        """From a query string or a form: storage, category, product_id (blank or unknown parts left out)."""
        product = (args.get("product_id") or "").strip()
        return cls((args.get("storage") or "").strip()[:200], (args.get("category") or "").strip()[:40],
                   int(product) if product.isdigit() else None)

    def __bool__(self) -> bool:
        return bool(self.storage or self.category or self.product_id)

    def clauses(self) -> list[ColumnElement[bool]]:
        """Conditions on the product (joined as `Product`) that keep the lots this count covers."""
        found: list[ColumnElement[bool]] = []
        if self.storage:
            found.append(Product.storage == self.storage)
        if self.category:
            found.append(Product.category == self.category)
        if self.product_id:
            found.append(Product.id == self.product_id)
        return found

    def describe(self, product_name: str | None = None) -> str:
        """The scope in words, for the workbook's record and the pages: "storage 2–8 °C, category peptide"."""
        parts = []
        if self.storage:
            parts.append(f"storage {self.storage}")
        if self.category:
            parts.append(f"category {self.category}")
        if self.product_id:
            parts.append(f"product {product_name or f'#{self.product_id}'}")
        return ", ".join(parts) or "all stock"

    def query_args(self) -> dict[str, str | int]:
        """The scope as query-string arguments."""
        args: dict[str, str | int] = {}
        if self.storage:
            args["storage"] = self.storage
        if self.category:
            args["category"] = self.category
        if self.product_id:
            args["product_id"] = self.product_id
        return args


def not_counted_within(days: int, now: datetime | None = None) -> ColumnElement[bool]:
    """Lots not counted in the last `days` days: counted before then, or never counted and received before then.

    A lot received last week was seen when it arrived; one never counted since a year ago was not.
    """
    since = (now or utcnow()) - timedelta(days=days)
    return not_counted_since(since, since.date())


def not_counted_since(since, since_day) -> ColumnElement[bool]:
    """Lots counted before `since`, or never counted and received before its day (values, or bound parameters)."""
    return or_(Lot.counted_at < since, and_(Lot.counted_at.is_(None), Lot.received_on < since_day))


def mark_counted(lot_ids: Iterable[int], at: datetime, user_id: int | None) -> None:
    """Record that these lots were counted at `at` (the count moment) by this user. Flushes, never commits."""
    ids = sorted(set(lot_ids))
    for start in range(0, len(ids), CHUNK):
        db.session.execute(
            update(Lot).where(Lot.id.in_(ids[start : start + CHUNK])).values(counted_at=at, counted_by_id=user_id),
            execution_options={"synchronize_session": False},
        )
    for instance in list(db.session.identity_map.values()):  # lots loaded before read the new values again
        if isinstance(instance, Lot) and instance.id in ids:
            db.session.expire(instance, ["counted_at", "counted_by_id"])


class OverduePlace(NamedTuple):
    """Lots in stock at one storage place that are overdue for a count."""

    storage: str
    lots: int
    oldest: date | None  # the oldest last count (or receipt, never counted)


@dataclass(frozen=True)
class CountsOverdue:
    """What the dashboard shows: lots in stock not counted within the interval, by storage place (summed with
    the other sums per product: stock/product_sums.py)."""

    days: int
    lots: int
    never: int  # of which never counted at all
    places: list[OverduePlace]


class SheetLot(NamedTuple):
    """One lot on the printed count sheet."""

    storage: str
    product_id: int
    product: str
    gtin: str | None
    unit: str
    unit_size: Decimal
    package: str
    lot_id: int
    lot_number: str
    expiry: date
    status: str
    opened_content: Decimal  # what its opened vials hold: the counter looks for them (the amount is not shown)


@dataclass
class SheetProduct:
    """A product's lots on the count sheet."""

    name: str
    gtin: str | None
    unit: str
    unit_size: Decimal
    package: str
    lots: list[SheetLot]

    @property
    def counted_in(self) -> str:
        """What a sealed unit counted is: "vial of 2 mL" (the Sealed box), the Opened box being in `unit`."""
        return package_label(self.package, self.unit_size, self.unit)


def count_sheet(scope: CountScope) -> dict[str, list[SheetProduct]]:
    """The lots holding stock in the scope, by storage place then product (names in order), lots by expiry."""
    query = (
        select(Product.storage, Product.id, Product.name, Product.gtin, Product.unit, Product.unit_size,
               Product.package, Lot.id, Lot.lot_number, Lot.expiry, Lot.status, Lot.opened_content)
        .join(Product, Product.id == Lot.product_id)
        .where(Lot.on_hand > 0, *scope.clauses())
        .order_by(Product.storage, Product.name, Lot.expiry, Lot.lot_number)
    )
    places: dict[str, list[SheetProduct]] = {}
    for row in db.session.execute(query):
        lot = SheetLot._make((row[0] or "", *row[1:]))
        products = places.setdefault(lot.storage, [])
        if not products or products[-1].name != lot.product:
            products.append(SheetProduct(lot.product, lot.gtin, lot.unit, lot.unit_size, lot.package, []))
        products[-1].lots.append(lot)
    return places


def scope_choices() -> tuple[list[str], list[str], Sequence[tuple[int, str]]]:
    """The storage places, categories and products that hold stock: what a cycle count can choose from."""
    in_stock = select(Lot.product_id).where(Lot.on_hand > 0).distinct().scalar_subquery()
    products = db.session.execute(
        select(Product.id, Product.name, Product.storage, Product.category)
        .where(Product.id.in_(in_stock)).order_by(Product.name)
    ).all()
    storages = sorted({row.storage for row in products if row.storage}, key=str.casefold)
    categories = sorted({row.category for row in products if row.category}, key=str.casefold)
    return storages, categories, [(row.id, row.name) for row in products]

