"""Reading stock: the lot list with its filters, a lot's display status, a lot with its history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple, Protocol

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import selectinload

from formulary.catalogue.models import PRODUCT_CATEGORIES, Product
from formulary.extensions import db
from formulary.stock.counting import not_counted_within
from formulary.stock.models import IN_STOCK, Lot, StockMovement
from formulary.vocabulary import LotDisplayStatus, LotStatus

# The status a lot shows, most urgent first: each lot has exactly one, so filters partition stock.
DISPLAY_STATUSES: dict[str, str] = {
    LotDisplayStatus.AVAILABLE: "Available",
    LotDisplayStatus.EXPIRING: "Expires soon",
    LotDisplayStatus.EXPIRED: "Expired",
    LotDisplayStatus.QUARANTINED: "Quarantined",
    LotDisplayStatus.RECALLED: "Recalled",
}
SORTS = {
    "expiry": (Lot.expiry,),
    "product": (Product.name, Lot.expiry),
    "on_hand": (Lot.on_hand,),
    "received": (Lot.received_on,),
}


class DatedLot(Protocol):
    """What display_status reads of a lot: a Lot, or any row with its status and expiry."""

    @property
    def status(self) -> str: ...

    @property
    def expiry(self) -> date: ...


def display_status(lot: DatedLot, today: date, warning_days: int) -> str:
    """The one status a lot shows: recalled, quarantined, expired, expiring or available."""
    if lot.status != LotStatus.AVAILABLE:
        return lot.status
    if lot.expiry < today:
        return LotDisplayStatus.EXPIRED
    if lot.expiry <= today + timedelta(days=warning_days):
        return LotDisplayStatus.EXPIRING
    return LotDisplayStatus.AVAILABLE


@dataclass
class LotFilters:
    """What the lot list is asked to show, read from the query string."""

    product_id: int | None = None
    product: str = ""  # the product's name as typed in the filter (or shown for a product_id)
    category: str = ""
    status: str = ""
    within: int | None = None  # days, for status "expiring"
    q: str = ""
    sort: str = "expiry"
    direction: str = "asc"
    show_empty: bool = False
    not_counted_days: int | None = None  # cycle counts: lots not counted in this many days
    problems: list[str] = field(default_factory=list)

    def as_args(self) -> dict:
        """The query-string arguments that reproduce these filters (for links)."""
        args = {
            "product_id": self.product_id, "category": self.category, "status": self.status,
            "within": self.within, "q": self.q, "show_empty": "1" if self.show_empty else None,
            "not_counted": self.not_counted_days,
        }
        if (self.sort, self.direction) != ("expiry", "asc"):
            args |= {"sort": self.sort, "dir": self.direction}
        return {key: value for key, value in args.items() if value not in (None, "")}


def _int(text: str | None, label: str, problems: list[str], minimum: int = 0) -> int | None:
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        problems.append(f"{label} must be a whole number (got {text!r}).")
        return None
    if number < minimum:
        problems.append(f"{label} cannot be less than {minimum} (got {number}).")
        return None
    return number


def parse_filters(args) -> LotFilters:
    """Read the lot list's filters from request.args; unknown values are ignored and reported."""
    problems: list[str] = []
    status = (args.get("status") or "").strip()
    if status and status not in DISPLAY_STATUSES:
        problems.append(f"Unknown status {status!r}.")
        status = ""
    category = (args.get("category") or "").strip()
    if category and category not in PRODUCT_CATEGORIES:
        problems.append(f"Unknown category {category!r}.")
        category = ""
    sort = args.get("sort") or "expiry"
    return LotFilters(
        product_id=_int(args.get("product_id"), "Product", problems, minimum=1),
        product=" ".join((args.get("product") or "").split())[:200],
        category=category,
        status=status,
        within=_int(args.get("within"), "Days", problems),
        q=(args.get("q") or "").strip()[:100],
        sort=sort if sort in SORTS else "expiry",
        direction="desc" if args.get("dir") == "desc" else "asc",
        show_empty=args.get("show_empty") in ("1", "on", "true", "y"),
        not_counted_days=_int(args.get("not_counted"), "Not counted in (days)", problems),
        problems=problems,
    )


def settle_product(filters: LotFilters) -> None:
    """Match the product filter's two forms: a name typed in the form becomes its product's id (any case);
    an id from a link gets its product's name, for the form to show. Unknown ones are reported, ignored."""
    if filters.product_id:
        name = db.session.scalar(select(Product.name).where(Product.id == filters.product_id))
        if name is None:
            filters.problems.append(f"There is no product with id {filters.product_id}.")
            filters.product_id = None
        filters.product = name or ""
    elif filters.product:
        found = db.session.execute(
            select(Product.id, Product.name).where(func.lower(Product.name) == filters.product.lower()).limit(1)
        ).first()
        if found is None:
            filters.problems.append(f"No product is named {filters.product!r}: pick one of the suggestions.")
            filters.product = ""
        else:
            filters.product_id, filters.product = found


def product_suggestions(text: str, limit: int = 15) -> list[tuple[int, str]]:
    """(id, name) of the products whose name holds the text typed (any case), by name: the filter's type-ahead
    (a chain's thousand products make a select box too long to use and to send)."""
    text = " ".join(text.split())
    if not text:
        return []
    query = (select(Product.id, Product.name).where(Product.name.icontains(text, autoescape=True))
             .order_by(Product.retired, Product.name).limit(limit))
    return [(row.id, row.name) for row in db.session.execute(query)]


def status_condition(status: str, today: date, within_days: int):
    """The SQL condition for one display status (matching display_status)."""
    return status_window(status, today, today + timedelta(days=within_days))


def status_window(status: str, today, until):
    """The same, with the warning window's last day given: dates, or the bound parameters of a statement
    built once (the dashboard's)."""
    available = Lot.status == LotStatus.AVAILABLE
    if status == LotDisplayStatus.AVAILABLE:
        return and_(available, Lot.expiry > until)
    if status == LotDisplayStatus.EXPIRING:
        return and_(available, Lot.expiry >= today, Lot.expiry <= until)
    if status == LotDisplayStatus.EXPIRED:
        return and_(available, Lot.expiry < today)
    return Lot.status == status


def lot_ids_query(filters: LotFilters, today: date, warning_days: int) -> Select:
    """The ids of the lots the filters select, in the list's order; joined to products only when
    a filter or the sort needs them, so that counting and skipping pages walk the lot table alone."""
    query = select(Lot.id)
    if filters.category or filters.q or filters.sort == "product":
        query = query.join(Lot.product)
    if filters.product_id:
        query = query.where(Lot.product_id == filters.product_id)
    if filters.category:
        query = query.where(Product.category == filters.category)
    if filters.status:
        within = filters.within if filters.within is not None else warning_days
        query = query.where(status_condition(filters.status, today, within))
    if filters.q:
        query = query.where(
            Lot.lot_number.icontains(filters.q, autoescape=True)
            | Product.name.icontains(filters.q, autoescape=True)
        )
    if filters.not_counted_days is not None:
        query = query.where(not_counted_within(filters.not_counted_days))
    if not filters.show_empty:
        query = query.where(IN_STOCK)
    columns = SORTS[filters.sort]
    ordered = [c.desc() if filters.direction == "desc" else c.asc() for c in columns]
    return query.order_by(*ordered, Lot.id.desc() if filters.direction == "desc" else Lot.id)


class ListedProduct(NamedTuple):
    name: str
    category: str
    unit: str
    unit_size: Decimal | None = None
    package: str | None = None


class ListedLot(NamedTuple):
    """A row of the lot list: what it shows of a lot and its product (plain values, not ORM objects,
    which cost several times more to load for a page that only reads)."""

    id: int
    lot_number: str
    expiry: date
    status: str
    on_hand: Decimal
    unit_cost: Decimal | None
    received_on: date
    supplier: str
    counted_at: datetime | None
    product: ListedProduct


class LotPage(Pagination):
    """One page of the lot list: the page's ids first (a deep page skips index entries, not joined
    rows), then those lots with their products in one query."""

    def _query_items(self) -> list[ListedLot]:
        ids = list(db.session.scalars(self._query_args["ids"].limit(self.per_page).offset(self._query_offset)))
        if not ids:
            return []
        rows = db.session.execute(
            select(Lot.id, Lot.lot_number, Lot.expiry, Lot.status, Lot.on_hand, Lot.unit_cost, Lot.received_on,
                   Lot.supplier, Lot.counted_at, Product.name, Product.category, Product.unit, Product.unit_size,
                   Product.package)
            .join(Product, Product.id == Lot.product_id).where(Lot.id.in_(ids))
        )
        by_id = {row[0]: ListedLot(*row[:9], ListedProduct(*row[9:])) for row in rows}  # type: ignore[call-arg]
        return [by_id[lot_id] for lot_id in ids]

    def _query_count(self) -> int:
        ids = self._query_args["ids"].order_by(None).subquery()
        return db.session.execute(select(func.count()).select_from(ids)).scalar_one()


def lot_page(filters: LotFilters, today: date, warning_days: int, per_page: int) -> LotPage:
    """The page of the lot list that the request asks for (?page=N)."""
    return LotPage(per_page=per_page, error_out=False, ids=lot_ids_query(filters, today, warning_days))


def product_choices(include_retired: bool = True) -> list[tuple[int, str]]:
    """(id, name) of the products, by name, for select boxes."""
    query = select(Product.id, Product.name).order_by(Product.name)
    if not include_retired:
        query = query.where(Product.retired.is_(False))
    return [(row.id, row.name) for row in db.session.execute(query)]


def lot_with_history(lot_id: int) -> Lot | None:
    """A lot with its product and every movement (and who made it), in three queries."""
    return db.session.scalar(
        select(Lot)
        .where(Lot.id == lot_id)
        .options(
            selectinload(Lot.product),
            selectinload(Lot.movements).selectinload(StockMovement.user),
        )
    )


def product_by_gtin(gtin: str) -> Product | None:
    """The product with this 14-digit GTIN, if the catalogue has one."""
    return db.session.scalar(select(Product).where(Product.gtin == gtin))
