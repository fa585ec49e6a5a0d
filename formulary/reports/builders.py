"""The five reports: SQL sums (reports/ledger.py) reshaped with pandas (reports/frames.py) into tables and a chart."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from formulary.reports import ledger, session_queries
from formulary.reports.frames import ZERO, dec, frame, per_period, records
from formulary.reports.ledger import ADMINISTERED, EXPIRED, WASTED
from formulary.reports.money import currency
from formulary.reports.periods import ReportRange
from formulary.reports.tables import Column, Kind, Report, Series, Table

CLASSES = [ADMINISTERED, WASTED, EXPIRED]
OUTFLOW_COLUMNS = ["period", "product_id", "product", "unit", *CLASSES, "value"]
COVER_SHOWN = 15  # products in the days-of-cover chart


def _period_axis(rng: ReportRange) -> str:
    return "Week (starting Monday)" if rng.by == "week" else "Month"


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    return None if not denominator else (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.01"))


class PeriodOutflow(NamedTuple):
    """One of the API's items: a product's outflow in one period, its value to the cent (half up)."""

    period: str  # the period's first day, YYYY-MM-DD
    product_id: int
    product: str
    administered: float
    wasted: float
    expired: float
    value: float


def consumption_rows(rng: ReportRange, product_id: int | None = None) -> list[PeriodOutflow]:
    """The API's items as plain tuples, in order of period and product (thousands at a chain's scale, so built
    plainly): per period and product, administered, wasted and expired quantities and their value to the cent."""
    return [PeriodOutflow(str(period)[:10], product, name, administered, wasted, expired, _cents(value))
            for period, product, name, _unit, administered, wasted, expired, value in
            ledger.outflow_rows(rng, product_id, by_period=True)]  # in order of period and product


def consumption_items(rng: ReportRange, product_id: int | None = None) -> list[dict]:
    """The API's items as JSON gives them: a dict each (consumption_rows)."""
    return [item._asdict() for item in consumption_rows(rng, product_id)]


def _cents(value: float) -> float:
    """A value (a float standing for a decimal of 7 places) to the cent, half up, as JSON carries it: in whole
    units of the seventh place, integers round exactly (a Decimal for each of thousands of items costs more)."""
    units = round(value * 10**7)
    cents = (abs(units) + 50_000) // 100_000
    return (cents if units >= 0 else -cents) / 100


def consumption(rng: ReportRange, product_id: int | None = None) -> Report:
    """What left stock per product (administered, wasted, expired) and its value, over the periods."""
    df = frame(ledger.outflows(rng, product_id), OUTFLOW_COLUMNS)
    by_product = df.sort_values(["value", "product"], ascending=[False, True])[
        ["product", "unit", *CLASSES, "value"]]
    values = frame(ledger.outflow_values(rng, product_id), ["period", *CLASSES])
    periods = per_period(values, rng, CLASSES)
    periods["value"] = periods[CLASSES].sum(axis=1)
    money = f"Value at unit cost ({currency()})"
    return Report(
        "consumption", "Consumption by product and period", rng,
        Series("Value of stock used per period", _period_axis(rng), money, list(periods["label"]),
               [dec(v) for v in periods["value"]], money=True),
        [
            Table("By product", [Column("product", "Product"), Column("unit", "Unit"),
                                 Column(ADMINISTERED, "Administered", Kind.QUANTITY),
                                 Column(WASTED, "Wasted", Kind.QUANTITY), Column(EXPIRED, "Expired", Kind.QUANTITY),
                                 Column("value", "Value", Kind.MONEY)],
                  records(by_product),
                  total={"product": "All products", "value": dec(df["value"].sum())} if not df.empty else None),
            Table("Value by period", [Column("label", "Period"), Column(ADMINISTERED, "Administered", Kind.MONEY),
                                      Column(WASTED, "Wasted", Kind.MONEY), Column(EXPIRED, "Expired", Kind.MONEY),
                                      Column("value", "Total", Kind.MONEY)],
                  records(periods)),
        ],
        notes=["Administered and wasted come from sessions and waste records; expired is stock discarded after "
               "its expiry day. Quantities are in each product's stock unit; value is quantity × the lot's unit "
               "cost (lots without a cost add no value)."],
    )


def waste(rng: ReportRange) -> Report:
    """Waste by reason and over time, expiry losses by product, and expired stock still on the shelf."""
    reasons = frame(ledger.waste_by_reason(rng), ["period", "reason", "movements", "quantity", "value"])
    periods = per_period(reasons, rng, ["value"])
    by_reason = (reasons.groupby("reason")[["movements", "value"]].sum().reset_index()
                 .sort_values(["value", "reason"], ascending=[False, True])) if not reasons.empty else reasons
    losses = sorted(ledger.expiry_losses(rng), key=lambda loss: (-loss.value, loss.product))
    shelf = ledger.expired_on_shelf(rng)
    money = f"Value at unit cost ({currency()})"
    return Report(
        "waste", "Waste and expiry losses", rng,
        Series("Value of stock wasted per period", _period_axis(rng), money, list(periods["label"]),
               [dec(v) for v in periods["value"]], money=True),
        [
            Table("Waste by reason", [Column("reason", "Reason"), Column("movements", "Records", Kind.COUNT),
                                      Column("value", "Value", Kind.MONEY)], records(by_reason),
                  total={"reason": "All waste", "movements": int(reasons["movements"].sum()) if not reasons.empty
                         else 0, "value": dec(reasons["value"].sum()) if not reasons.empty else ZERO},
                  empty="No waste in this range."),
            Table("Expiry losses by product", [Column("product", "Product"), Column("unit", "Unit"),
                                               Column("quantity", "Discarded after expiry", Kind.QUANTITY),
                                               Column("value", "Value", Kind.MONEY)], [vars(loss) for loss in losses],
                  total={"product": "All products", "value": sum((loss.value for loss in losses), ZERO)}
                  if losses else None,
                  empty="No expired stock was discarded in this range."),
            Table("Expired in this range, still on the shelf",
                  [Column("product", "Product"), Column("lot_number", "Lot"), Column("expiry", "Expired"),
                   Column("on_hand", "On hand", Kind.QUANTITY), Column("unit", "Unit"),
                   Column("value", "Value", Kind.MONEY)],
                  [vars(s) for s in shelf], empty="No lot that expired in this range still holds stock."),
            Table("Waste by period", [Column("label", "Period"), Column("value", "Value", Kind.MONEY)],
                  records(periods)),
        ],
        notes=["“Expired” is stock wasted after its lot's expiry day; “opened and not used in a session” is the "
               "remainder a session drew and discarded; “prepared and not given” is a syringe prepared for a session "
               "and wasted before it was given; “opened vial past its use-by” is what a multi-dose vial held when it "
               "was discarded after its use-by (other discarded vials are “opened vial: ” and the reason given); "
               "other reasons are as they were written (lower case, their first 200 characters)."],
    )


def _cost_table(title: str, first: str, df) -> Table:
    """Sessions and their stock cost per cocktail or goal (the frame's `group`), dearest per session first."""
    grouped = (df.groupby("group")[["sessions", "cost"]].sum().reset_index() if not df.empty else df)
    rows = [{first: r["group"], "sessions": int(r["sessions"]), "cost": r["cost"],
             "per_session": _ratio(r["cost"], r["sessions"])} for r in records(grouped)]
    rows.sort(key=lambda r: (-(r["per_session"] or 0), r[first]))
    return Table(title, [Column(first, first.capitalize()), Column("sessions", "Sessions", Kind.COUNT),
                         Column("cost", "Stock cost", Kind.MONEY),
                         Column("per_session", "Per session", Kind.MONEY)],
                 rows, empty="No session was administered in this range.")


def session_costs(rng: ReportRange) -> Report:
    """What a session costs in stock (administered and wasted at unit cost), by cocktail and by goal."""
    rows, goals = session_queries.session_costs(rng)
    versions = frame(rows, ["period", "version_id", "group", "sessions", "cost"])
    # A session of a version serving two goals counts under each.
    by_goal = versions.drop(columns="group").merge(frame(goals, ["version_id", "group"]), on="version_id")
    periods = per_period(versions, rng, ["sessions", "cost"])
    periods["per_session"] = [float(_ratio(r["cost"], r["sessions"]) or ZERO) for r in records(periods)]
    money = f"Stock cost per session ({currency()})"
    return Report(
        "session-costs", "Cost per session by cocktail and goal", rng,
        Series("Average stock cost per session", _period_axis(rng), money, list(periods["label"]),
               [dec(v) for v in periods["per_session"]], money=True),
        [_cost_table("By cocktail", "cocktail", versions), _cost_table("By goal", "goal", by_goal),
         Table("By period", [Column("label", "Period"), Column("sessions", "Sessions", Kind.COUNT),
                             Column("cost", "Stock cost", Kind.MONEY),
                             Column("per_session", "Per session", Kind.MONEY)],
               records(periods))],
        notes=["Administered sessions by their day. A session's cost is what it drew from stock, administered and "
               "wasted, at each lot's unit cost. A cocktail serving two goals counts under both."],
    )


def _count_table(title: str, first: str, df, rng: ReportRange) -> Table:
    periods = rng.periods()
    labels = {p: rng.label(p) for p in periods}
    rows = []
    if not df.empty:
        wide = df.groupby(["group", "period"])["sessions"].sum().unstack("period", fill_value=0)
        wide = wide.reindex(columns=periods, fill_value=0)
        for group, counts in wide.iterrows():
            row = {first: group, **{labels[p]: int(counts[p]) for p in periods}}
            row["total"] = sum(int(counts[p]) for p in periods)
            rows.append(row)
        rows.sort(key=lambda r: (-r["total"], r[first]))
    return Table(title, [Column(first, first.capitalize()), *(Column(labels[p], labels[p], Kind.COUNT)
                                                              for p in periods), Column("total", "Total", Kind.COUNT)],
                 rows, empty="No session was administered in this range.")


def sessions(rng: ReportRange) -> Report:
    """Administered sessions per period, by goal and by practitioner."""
    columns = ["period", "group", "sessions", "cost"]
    by_goal = frame(session_queries.session_counts(rng, "goal"), columns)
    by_practitioner = frame(session_queries.session_counts(rng, "practitioner"), columns)
    periods = per_period(by_practitioner, rng, ["sessions"])
    return Report(
        "sessions", "Sessions per goal and practitioner", rng,
        Series("Sessions administered per period", _period_axis(rng), "Sessions administered",
               list(periods["label"]), [Decimal(int(v)) for v in periods["sessions"]]),
        [_count_table("Per goal", "goal", by_goal, rng),
         _count_table("Per practitioner", "practitioner", by_practitioner, rng)],
        notes=["A cocktail serving two goals counts under both; the practitioner is the one the session was booked "
               "with."],
    )


def turnover(rng: ReportRange, today: date) -> Report:
    """Per product: stock at the range's start and end, use, turnover and days of cover at that rate of use."""
    rows: list[dict[str, Any]] = []
    for p in ledger.product_stock(rng, today):
        average = (p.opening + p.closing) / 2
        daily = p.used / rng.days
        rows.append({"product": p.product, "unit": p.unit, "opening": p.opening, "closing": p.closing,
                     "used": p.used, "average": average.quantize(Decimal("0.001")),
                     "turnover": _ratio(p.used, average), "usable_now": p.usable_now,
                     "cover": (p.usable_now / daily).quantize(Decimal("1")) if daily else None})
    rows.sort(key=lambda r: (r["cover"] is None, r["cover"] or 0, r["product"]))
    shown = [r for r in rows if r["cover"] is not None][:COVER_SHOWN]
    return Report(
        "turnover", "Stock turnover and days of cover", rng,
        Series(f"Days of cover, the {len(shown)} products with the least", "Product", "Days of cover",
               [r["product"] for r in shown], [r["cover"] for r in shown]),
        [Table("By product", [Column("product", "Product"), Column("unit", "Unit"),
                              Column("opening", "Stock at start", Kind.QUANTITY),
                              Column("closing", "Stock at end", Kind.QUANTITY),
                              Column("used", "Used", Kind.QUANTITY), Column("average", "Average stock", Kind.QUANTITY),
                              Column("turnover", "Turnover", Kind.RATIO),
                              Column("usable_now", "Usable now", Kind.QUANTITY),
                              Column("cover", "Days of cover", Kind.COUNT)], rows,
               empty="No product has stock or movements in this range.")],
        notes=["Used is administered, wasted and expired within the range. Turnover is used ÷ the average of the "
               "stock at the start and the end. Days of cover is today's usable stock (available, in date) ÷ the "
               "range's average daily use."],
        uses_period=False,
    )


REPORTS: dict[str, tuple[str, Callable[..., Report]]] = {
    "consumption": ("Consumption", consumption),
    "waste": ("Waste and expiry losses", waste),
    "session-costs": ("Cost per session", session_costs),
    "sessions": ("Sessions per goal and practitioner", sessions),
    "turnover": ("Turnover and days of cover", turnover),
}
