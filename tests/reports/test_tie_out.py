"""Reports tie out to the ledger: every figure recomputed here by looping over the movements in Python."""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from flask import jsonify
from sqlalchemy import select

from formulary.api.reports import ConsumptionAnswer
from formulary.extensions import db
from formulary.reports import builders, ledger
from formulary.reports.periods import Period, parse_range, period_start
from formulary.stock.models import Lot, StockMovement
from formulary.treatments.models import TreatmentSession
from tests.reports.conftest import at, dated

START, END = date(2026, 1, 1), date(2026, 3, 31)
CENT = Decimal("0.01")


def independent_outflows(by: Period, start: date = START, end: date = END):
    """(period, product_id) → {administered, wasted, expired, value}, from a plain loop over the ledger."""
    sums = defaultdict(lambda: defaultdict(Decimal))
    since = datetime(start.year, start.month, start.day, tzinfo=UTC)
    until = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)
    for movement in db.session.scalars(select(StockMovement)):
        if not since <= movement.at < until or movement.kind not in ("administer", "waste"):
            continue
        lot = db.session.get(Lot, movement.lot_id)
        day = movement.at.astimezone(UTC).date()
        kind = "administered" if movement.kind == "administer" else ("expired" if day > lot.expiry else "wasted")
        key = (period_start(day, by), lot.product_id)
        sums[key][kind] += -movement.quantity
        sums[key]["value"] += -movement.quantity * (lot.unit_cost or 0)
    return sums


# Whole months; then edges of whole weeks and single days (the sums are read by day, week and month).
RANGES = [(START, END), (date(2026, 1, 7), date(2026, 3, 2)), (date(2026, 1, 20), date(2026, 2, 16))]


@pytest.mark.parametrize("start, end", RANGES)
@pytest.mark.parametrize("by", [Period.MONTH, Period.WEEK])
def test_consumption_equals_the_ledger_summed_by_hand(clinic, by, start, end):
    expected = independent_outflows(by, start, end)
    assert len(expected) >= (2 if by == Period.MONTH else 4)
    rng = parse_range(start, end, by, date(2026, 4, 2))
    got = {(row.period, row.product_id): row for row in ledger.outflows(rng, by_period=True)}
    assert set(got) == set(expected)
    for key, sums in expected.items():
        for kind in ("administered", "wasted", "expired"):
            # Each float is the exact decimal's own (its shortest form is that decimal, nothing longer).
            assert Decimal(repr(getattr(got[key], kind))) == sums[kind], (key, kind)
        assert Decimal(repr(got[key].value)) == sums["value"], key  # exact, before rounding to the cent
    items = builders.consumption_items(rng)
    assert {(date.fromisoformat(i["period"]), i["product_id"]) for i in items} == set(expected)
    order = [(i["period"], i["product"]) for i in items]
    assert order == sorted(order)  # by period, then product
    for item in items:
        value = expected[(date.fromisoformat(item["period"]), item["product_id"])]["value"]
        assert Decimal(repr(item["value"])) == value.quantize(CENT, ROUND_HALF_UP)


@pytest.mark.parametrize("start, end", RANGES)
def test_the_consumption_report_by_product_ties_out(clinic, start, end):
    expected = defaultdict(lambda: defaultdict(Decimal))
    for (_, product_id), sums in independent_outflows(Period.MONTH, start, end).items():
        for key, value in sums.items():
            expected[product_id][key] += value
    names = {clinic.ha.id: clinic.ha.name, clinic.vit.id: clinic.vit.name}
    report = builders.consumption(parse_range(start, end, "month", date(2026, 4, 2)))
    rows = {row["product"]: row for row in report.tables[0].rows}
    assert set(rows) == {names[product_id] for product_id in expected}
    for product_id, sums in expected.items():
        for key in ("administered", "wasted", "expired", "value"):
            assert rows[names[product_id]][key] == sums[key], (product_id, key)
    assert sum(report.series.values, Decimal(0)) == sum((s["value"] for s in expected.values()), Decimal(0))


def test_the_api_answers_the_same_figures(clinic, api_token, client):
    _user, token = api_token("manager")
    answer = client.get(f"/api/v1/reports/consumption?from={START}&to={END}&by=month",
                        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_json()
    expected = independent_outflows(Period.MONTH)
    items = answer.get_json()["items"]
    assert {(i["period"], i["product_id"]) for i in items} == {(p.isoformat(), pid) for p, pid in expected}
    for item in items:
        sums = expected[(date.fromisoformat(item["period"]), item["product_id"])]
        assert Decimal(str(item["administered"])) == sums["administered"]
        assert Decimal(str(item["wasted"])) == sums["wasted"]
        assert Decimal(str(item["expired"])) == sums["expired"]
        assert Decimal(str(item["value"])) == sums["value"].quantize(CENT, ROUND_HALF_UP)
    assert answer.get_json()["currency"] == "EUR"
    schema = ConsumptionAnswer()  # the answer is built without the schema's dump, and must be what it documents
    assert schema.dump(schema.load(answer.get_json())) == answer.get_json()
    only = client.get(f"/api/v1/reports/consumption?from={START}&to={END}&product_id={clinic.vit.id}",
                      headers={"Authorization": f"Bearer {token}"}).get_json()["items"]
    assert only and {i["product_id"] for i in only} == {clinic.vit.id}


def test_the_api_writes_its_answer_as_jsonify_would(clinic, api_token, client, app):
    """The answer is written item by item, not by jsonify: the same text, names with quotes and accents escaped."""
    clinic.vit.name = 'Vitamin C 10% "Sérum" 2 mL'
    db.session.commit()
    _user, token = api_token("manager")
    for query in (f"from={START}&to={END}", f"from={START}&to={END}&by=week&product_id={clinic.vit.id}"):
        answer = client.get(f"/api/v1/reports/consumption?{query}", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200 and answer.mimetype == "application/json"
        items = answer.get_json()["items"]
        assert any(i["product"] == 'Vitamin C 10% "Sérum" 2 mL' for i in items)
        with app.test_request_context():
            assert answer.data == jsonify({"items": items, "currency": "EUR"}).data


def test_the_consumption_report_totals_tie_out(clinic):
    rng = parse_range(START, END, "month", date(2026, 4, 2))
    report = builders.consumption(rng)
    expected = independent_outflows(Period.MONTH)
    total = sum((s["value"] for s in expected.values()), Decimal(0))
    by_product, by_period = report.tables
    assert by_product.total["value"] == total
    assert sum(report.series.values, Decimal(0)) == total
    assert report.series.labels == ["2026-01", "2026-02", "2026-03"]
    ha = next(r for r in by_product.rows if r["product"] == "HA 1% 2 mL")
    assert (ha["administered"], ha["wasted"], ha["expired"]) == (Decimal("8.333"), Decimal("0.625"), Decimal("30"))


def test_waste_by_reason_ties_out(clinic):
    rng = parse_range(START, END, "month", date(2026, 4, 2))
    report = builders.waste(rng)
    by_reason = {r["reason"]: r for r in report.tables[0].rows}
    assert set(by_reason) == {"expired", "opened and not used in a session", "dropped vial"}
    assert by_reason["expired"]["movements"] == 2
    assert by_reason["expired"]["value"] == Decimal("30") * Decimal("1.2345") + Decimal("4.4") * Decimal("0.9999")
    assert by_reason["opened and not used in a session"]["value"] == (
        Decimal("0.625") * Decimal("1.2345") + Decimal("0.125") * Decimal("0.9999"))
    assert by_reason["dropped vial"]["value"] == Decimal("2.5") * Decimal("0.9999")  # Dec 31's is outside
    losses = {r["product"]: r["quantity"] for r in report.tables[1].rows}
    assert losses == {"HA 1% 2 mL": Decimal("30"), "Vitamin C 10% 2 mL": Decimal("4.4")}


def test_session_costs_tie_out(clinic):
    rng = parse_range(START, END, "month", date(2026, 4, 2))
    report = builders.session_costs(rng)
    costs = defaultdict(Decimal)
    for session in db.session.scalars(select(TreatmentSession)):
        for movement in db.session.scalars(select(StockMovement).where(StockMovement.session_id == session.id)):
            lot = db.session.get(Lot, movement.lot_id)
            costs[session.cocktail_version.cocktail.name] += -movement.quantity * (lot.unit_cost or 0)
    by_cocktail = {r["cocktail"]: r for r in report.tables[0].rows}
    assert {k: v["cost"] for k, v in by_cocktail.items()} == dict(costs)
    assert by_cocktail["Hydra glow"]["sessions"] == 3 and by_cocktail["Bright"]["sessions"] == 2
    assert by_cocktail["Bright"]["per_session"] == (costs["Bright"] / 2).quantize(CENT)
    by_goal = {r["goal"]: r for r in report.tables[1].rows}
    assert by_goal["hydration"]["sessions"] == 5 and by_goal["brightening"]["sessions"] == 2
    assert by_goal["brightening"]["cost"] == costs["Bright"]


def test_sessions_per_goal_and_practitioner(clinic):
    rng = parse_range(START, END, "month", date(2026, 4, 2))
    per_goal, per_practitioner = builders.sessions(rng).tables
    goals = {r["goal"]: (r["2026-01"], r["2026-02"], r["2026-03"], r["total"]) for r in per_goal.rows}
    assert goals == {"hydration": (3, 1, 1, 5), "brightening": (1, 1, 0, 2)}
    assert [(r["practitioner"], r["total"]) for r in per_practitioner.rows] == [("dr.lima", 5)]


def test_turnover_and_days_of_cover(clinic):
    rng = parse_range(START, END, "month", date(2026, 4, 2))
    report = builders.turnover(rng, date(2026, 4, 2))
    ha = next(r for r in report.tables[0].rows if r["product"] == "HA 1% 2 mL")
    # HA: 100 received Dec 1; Jan 5 +80 (in range); Dec 31 -1 (before); Apr 1 -1 (after)
    assert ha["opening"] == Decimal("99")
    assert ha["used"] == Decimal("8.333") + Decimal("0.625") + Decimal("30")
    assert ha["closing"] == Decimal("99") + 80 - ha["used"]
    usable = Decimal("80") - Decimal("1") - Decimal("2.333") - Decimal("1")  # HA-2 left; HA-1 expired
    assert ha["usable_now"] == usable
    assert ha["cover"] == (usable / (ha["used"] / 90)).quantize(Decimal(1))


def test_turnover_counts_held_stock_in_its_figures_but_not_as_usable(clinic, make_lot):
    """A recalled and a quarantined lot received before the range: in the stock at its start and end, not usable."""
    rng = parse_range(START, END, "month", date(2026, 4, 2))

    def vit_row():
        return next(r for r in builders.turnover(rng, date(2026, 4, 2)).tables[0].rows
                    if r["product"] == "Vitamin C 10% 2 mL")

    before = vit_row()
    for status, quantity in (("recalled", "7"), ("quarantined", "4.5")):
        lot = make_lot(clinic.vit, quantity=quantity, received_on=date(2025, 12, 2), status=status,
                       expiry=date(2027, 1, 1))
        for movement in lot.movements:
            dated(movement, at(date(2025, 12, 2), 9))
    db.session.commit()
    after = vit_row()
    assert after["opening"] == before["opening"] + Decimal("11.5")
    assert after["closing"] == before["closing"] + Decimal("11.5")
    assert (after["used"], after["usable_now"]) == (before["used"], before["usable_now"])


@pytest.mark.parametrize("by", [Period.MONTH, Period.WEEK])
def test_session_reports_count_each_period_within_the_range_edges(clinic, by):
    """Sessions on Jan 7, 20, 26, Feb 3, Mar 2; a range from Jan 20 to Feb 3 cuts its first and last period."""
    start, end = date(2026, 1, 20), date(2026, 2, 3)
    rng = parse_range(start, end, by, date(2026, 4, 2))
    expected = defaultdict(lambda: [0, Decimal(0)])  # period → sessions, cost
    for session in db.session.scalars(select(TreatmentSession)):
        if start <= session.scheduled_for <= end:
            key = rng.label(period_start(session.scheduled_for, by))
            expected[key][0] += 1
            for movement in db.session.scalars(select(StockMovement).where(StockMovement.session_id == session.id)):
                expected[key][1] += -movement.quantity * (db.session.get(Lot, movement.lot_id).unit_cost or 0)
    assert sum(count for count, _ in expected.values()) == 3
    by_period = {r["label"]: (r["sessions"], r["cost"]) for r in builders.session_costs(rng).tables[2].rows}
    assert by_period == {label: (count, cost) for label, (count, cost) in expected.items()} | {
        label: (0, 0) for label in by_period if label not in expected}
    [per_practitioner] = builders.sessions(rng).tables[1].rows
    assert {label: per_practitioner[label] for label in expected} == {k: v[0] for k, v in expected.items()}
    assert per_practitioner["total"] == 3


def test_session_reports_over_ten_years_by_week(clinic):
    """522 weeks: counted in one grouped statement (SQLite refuses a compound SELECT of more than 500 parts)."""
    rng = parse_range(date(2016, 4, 3), date(2026, 4, 2), "week", date(2026, 4, 2))
    assert len(rng.periods()) > 500
    costs = builders.session_costs(rng)
    assert {r["cocktail"]: r["sessions"] for r in costs.tables[0].rows} == {"Hydra glow": 3, "Bright": 2}
    [per_practitioner] = builders.sessions(rng).tables[1].rows
    assert per_practitioner["total"] == 5 and per_practitioner["2026-W02"] == 1
