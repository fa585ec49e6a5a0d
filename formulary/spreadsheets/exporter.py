"""The stock workbook and the delivery template from the database: one streamed query per sheet."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import BinaryIO, NamedTuple

from flask import current_app
from sqlalchemy import and_, case, func, or_, select, type_coerce

from formulary.catalogue.models import Product
from formulary.db import utcnow
from formulary.extensions import db
from formulary.quantity import count_size, fmt_count, split_count
from formulary.spreadsheets.count_record import CountRecord
from formulary.spreadsheets.identity import database_identifier
from formulary.spreadsheets.writer import ProductRow, StockRow, write_delivery_template, write_stock_workbook
from formulary.stock.counting import CountScope
from formulary.stock.models import QUANTITY, Lot
from formulary.stock.queries import DISPLAY_STATUSES, display_status
from formulary.vocabulary import LotStatus

CENT = Decimal("0.01")
BATCH = 2_000  # rows fetched at a time: 50,000 lots never sit in memory as objects


@dataclass(frozen=True)
class ExportCounts:
    """What an export wrote."""

    lots: int
    products: int


def stock_rows(today: date, warning_days: int, counter: list[int] | None = None,
               scope: CountScope | None = None) -> Iterator[StockRow]:
    """One Stock row per lot holding stock (in the scope), by product then expiry: Core rows, never ORM objects."""
    lot, product = Lot.__table__.c, Product.__table__.c
    query = (
        select(
            product.name, product.gtin, product.category, lot.lot_number, lot.expiry, lot.status, lot.on_hand,
            product.unit, lot.unit_cost, lot.supplier, lot.received_on, lot.id, product.package, product.unit_size,
            lot.opened_content,
        )
        .select_from(Lot.__table__.join(Product.__table__, product.id == lot.product_id))
        .where(lot.on_hand > 0, *(scope.clauses() if scope else ()))
        .order_by(product.name, lot.expiry, lot.lot_number)
        .execution_options(yield_per=BATCH)
    )
    shown: dict[tuple[str, date], str] = {}  # (status, expiry) → the status shown: few distinct pairs
    rows = db.session.connection().execute(query)
    for (name, gtin, category, lot_number, expiry, status, on_hand, unit, cost, supplier, received, lot_id, package,
         unit_size, opened) in rows:
        if counter is not None:
            counter[0] += 1
        label = shown.get((status, expiry))
        if label is None:
            label = DISPLAY_STATUSES[display_status(_Lot(status, expiry), today, warning_days)]
            shown[status, expiry] = label
        value = None if cost is None else (on_hand * cost).quantize(CENT)
        yield StockRow(name, gtin, category, lot_number, expiry, label, on_hand, unit, cost, value, supplier, received,
                       lot_id, package, unit_size, opened)


class _Lot(NamedTuple):
    """What display_status reads of a lot."""

    status: str
    expiry: date


def product_rows(today: date, counter: list[int] | None = None,
                 scope: CountScope | None = None) -> Iterator[ProductRow]:
    """Each product in use with its total on hand; below reorder on usable stock, as the dashboard says."""
    usable = case((and_(Lot.status == LotStatus.AVAILABLE, Lot.expiry >= today), Lot.on_hand), else_=0)
    on_hand = type_coerce(func.coalesce(func.sum(Lot.on_hand), 0), QUANTITY)
    usable_total = type_coerce(func.coalesce(func.sum(usable), 0), QUANTITY)
    opened = type_coerce(func.coalesce(func.sum(Lot.opened_content), 0), QUANTITY)
    query = (
        select(Product.name, Product.gtin, Product.category, Product.unit, Product.reorder_level,
               on_hand.label("on_hand"), usable_total.label("usable"), opened.label("opened"), Product.unit_size,
               Product.package)
        .outerjoin(Lot, Lot.product_id == Product.id)
        .where(*(scope.clauses() if scope else ()))
        .group_by(Product.id)
        .having(or_(Product.retired.is_(False), func.coalesce(func.sum(Lot.on_hand), 0) > 0))
        .order_by(Product.name)
    )
    for row in db.session.execute(query):
        if counter is not None:
            counter[0] += 1
        level = row.reorder_level
        below = level is not None and Decimal(row.usable) < level
        total = Decimal(row.on_hand)
        size = count_size(row.unit, row.unit_size, row.package)
        sealed, opened_content = split_count(total, Decimal(row.opened), size)
        yield ProductRow(row.name, row.gtin, row.category, row.unit, total, level, below,
                         fmt_count(sealed, opened_content, row.unit, size, row.package))


def export_stock(stream: BinaryIO | str, today: date, warning_days: int, *,
                 scope: CountScope | None = None, currency: str | None = None) -> ExportCounts:
    """Write the stock workbook (Stock and Products sheets, and its count record) to a path or a binary stream.

    The count record holds this moment, this database's identifier (made on the first export:
    flushes, never commits) and each lot's quantity now: a stocktake import of the file counts
    against them. `scope` exports one part of the stock for a cycle count.
    """
    scope = scope or CountScope()
    lots, products = [0], [0]
    product = db.session.get(Product, scope.product_id) if scope.product_id else None
    record = CountRecord(utcnow(), database_identifier() or "", scope.describe(product.name if product else None))
    write_stock_workbook(
        stream, stock_rows(today, warning_days, lots, scope), product_rows(today, products, scope), today,
        warning_days, record, currency or current_app.config.get("CURRENCY"),
    )
    return ExportCounts(lots[0], products[0])


def export_template(stream: BinaryIO | str, date_order: str) -> None:
    """The delivery template, its product drop-down from the catalogue (retired products left out)."""
    names = db.session.scalars(select(Product.name).where(Product.retired.is_(False)).order_by(Product.name))
    write_delivery_template(stream, list(names), date_order)


def export_file_name(today: date, what: str = "stock") -> str:
    """formulary-stock-2026-05-01.xlsx: dated, so downloads do not overwrite each other."""
    return f"formulary-{what}-{today.isoformat()}.xlsx"
