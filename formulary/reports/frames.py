"""Reshaping the summed rows with pandas: pivots, totals and every period of the range filled in.

pandas is imported inside the functions: only a report pays for importing it, never the other pages.
"""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from typing import Any

from formulary.reports.periods import ReportRange

ZERO = Decimal(0)


def frame(rows: list, columns: list[str]) -> Any:
    """A DataFrame of dataclass rows (with the given columns even when there are none)."""
    import pandas as pd

    return pd.DataFrame([asdict(row) for row in rows], columns=columns)


def pivot(df, index: list[str], columns: str, values: str, keys: list[str]) -> Any:
    """Sum `values` by `index` and spread `columns` into one column per key (missing ones zero)."""
    if df.empty:
        import pandas as pd

        return pd.DataFrame(columns=[*index, *keys])
    table = df.groupby([*index, columns])[values].sum().unstack(columns, fill_value=ZERO)
    for key in keys:
        if key not in table.columns:
            table[key] = ZERO
    return table[keys].reset_index()


def per_period(df, rng: ReportRange, values: list[str]) -> Any:
    """Sums of `values` for every period of the range in order, zero where nothing happened."""
    import pandas as pd

    periods = rng.periods()
    if df.empty:
        summed = pd.DataFrame({v: [ZERO] * len(periods) for v in values}, index=pd.Index(periods, name="period"))
    else:
        summed = df.groupby("period")[values].sum().astype(object).reindex(periods, fill_value=ZERO)
        summed.index.name = "period"
    summed = summed.reset_index()
    summed["label"] = [rng.label(p) for p in summed["period"]]
    return summed


def records(df) -> list[dict]:
    """The frame's rows as dicts, for the page and the workbook."""
    return [dict(row) for row in df.to_dict(orient="records")]
