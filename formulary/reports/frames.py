"""Reshaping the summed rows with pandas: sorting, totals and every period of the range filled in.

pandas is imported inside the functions: only a report pays for importing it, never the other pages.
Amounts travel through pandas as floats (vectorised, unlike Decimal objects) and come back as exact
decimals in `records` and `dec`: every amount is a sum of quantities with 3 decimals or of quantity ×
unit cost with 7, so rounding a float sum to 7 places gives back the exact decimal sum (for amounts
below about a hundred million, far above a clinic's).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from formulary.reports.periods import ReportRange

ZERO = Decimal(0)
PLACES = 7


def dec(value) -> Decimal:
    """A float sum back as the exact decimal it stands for (see the module's docstring), without exponent."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    rounded = round(float(value), PLACES)
    if rounded.is_integer():
        return Decimal(int(rounded))
    return Decimal(repr(rounded)) + ZERO  # repr is the shortest form; + 0 writes 1e-05 as 0.00001


def frame(rows: list, columns: list[str]) -> Any:
    """A DataFrame of dataclass rows (with the given columns even when there are none); decimals as floats."""
    import pandas as pd

    df = pd.DataFrame.from_records([row if isinstance(row, tuple) else vars(row) for row in rows], columns=columns)
    for column in df.columns:
        if len(df) and isinstance(df[column].iloc[0], Decimal):
            df[column] = df[column].astype(float)
    return df


def per_period(df, rng: ReportRange, values: list[str]) -> Any:
    """Sums of `values` for every period of the range in order, zero where nothing happened."""
    import pandas as pd

    periods = rng.periods()
    if df.empty:
        summed = pd.DataFrame({v: [0] * len(periods) for v in values}, index=pd.Index(periods, name="period"))
    else:
        summed = df.groupby("period")[values].sum().reindex(periods, fill_value=0)
        summed.index.name = "period"
    summed = summed.reset_index()
    summed["label"] = [rng.label(p) for p in summed["period"]]
    return summed


def _exact(rows: list[dict]) -> list[dict]:
    return [{key: dec(value) if isinstance(value, float) else value for key, value in row.items()} for row in rows]


class Records(Sequence):
    """A frame's rows as dicts, floats back as exact decimals, converted when read: a page shows the first
    hundred of a thousand products, the workbook reads them all."""

    def __init__(self, df) -> None:
        self._df = df

    def __len__(self) -> int:
        return len(self._df)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return _exact(self._df.iloc[index].to_dict(orient="records"))
        return _exact(self._df.iloc[[index]].to_dict(orient="records"))[0]

    def __iter__(self) -> Iterator[dict]:
        return iter(self[:])


def records(df) -> Records:
    """The frame's rows as dicts, for the page and the workbook: floats back as exact decimals."""
    return Records(df)
