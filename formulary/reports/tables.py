"""A report as plain values: titled tables of typed columns and one chart series, for the page and the workbook."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from formulary.reports.periods import ReportRange


class Kind(StrEnum):
    """How a column's values are shown and written to a workbook."""

    TEXT = "text"
    QUANTITY = "quantity"
    MONEY = "money"
    COUNT = "count"
    RATIO = "ratio"


@dataclass(frozen=True)
class Column:
    """One column: its key in the rows, its header, its kind."""

    key: str
    header: str
    kind: Kind = Kind.TEXT


@dataclass(frozen=True)
class Table:
    """A titled table; `total` is an optional last row."""

    title: str
    columns: list[Column]
    rows: Sequence[dict]
    total: dict | None = None
    empty: str = "Nothing in this range."


@dataclass(frozen=True)
class Series:
    """The chart's one series: a value per category, on one scale."""

    title: str
    x_title: str
    y_title: str
    labels: list[str]
    values: list[Decimal]
    money: bool = False


@dataclass(frozen=True)
class Report:
    """Everything a report page, its workbook and its API show."""

    key: str
    title: str
    rng: ReportRange
    series: Series
    tables: list[Table]
    notes: list[str] = field(default_factory=list)
    uses_period: bool = True
