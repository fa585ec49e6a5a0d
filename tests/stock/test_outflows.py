"""What left stock is summed as the ledger is written, in the same transaction, and ties out with the ledger."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import event, select, text

from formulary.extensions import db
from formulary.reports import builders, ledger
from formulary.reports.periods import Period, parse_range
from formulary.stock import bulk
from formulary.stock.ledger import adjust, move, receive_more, return_to_supplier, waste
from formulary.stock.outflow_models import DailyOutflow, ProductOutflow, SessionDayCost
from formulary.stock.outflows import NOTED, catch_up
from formulary.treatments.models import TreatmentSession
from formulary.vocabulary import MovementKind, SessionStatus
from tests.outflow_sums import mismatches
from tests.stock.test_bulk import columns, new_import

TODAY = datetime.now(UTC).date()


def a_session(cocktail, patient) -> TreatmentSession:
    row = TreatmentSession(patient_id=patient.id, cocktail_version_id=cocktail.current.id, scheduled_for=TODAY,
                           status=SessionStatus.ADMINISTERED)
    db.session.add(row)
    db.session.flush()
    return row


def summed(model, **where) -> list[tuple]:
    table = model.__table__
    query = select(*table.c).where(*(table.c[key] == value for key, value in where.items()))
    return [tuple(row) for row in db.session.execute(query)]


def test_every_outflow_is_summed_by_product_day_week_and_month_by_day_and_by_sessions_day(
        make_product, make_lot, make_cocktail, make_patient):
    ha, vit = make_product("HA 1% 2 mL"), make_product("Vitamin C 10% 2 mL")
    fresh = make_lot(ha, quantity="20", expiry=TODAY + timedelta(days=200), received_on=TODAY - timedelta(days=9),
                     unit_cost="1.2345")
    old = make_lot(ha, quantity="5", expiry=TODAY - timedelta(days=1), received_on=TODAY - timedelta(days=9),
                   unit_cost="2")
    free = make_lot(vit, quantity="10", expiry=TODAY + timedelta(days=90), received_on=TODAY - timedelta(days=9))
    session = a_session(make_cocktail("Glow", [(ha, "1")]), make_patient())
    move(fresh, MovementKind.ADMINISTER, Decimal("-1.5"), actor=None, session_id=session.id)
    move(fresh, MovementKind.WASTE, Decimal("-0.5"), actor=None, reason="rest", session_id=session.id)
    move(free, MovementKind.ADMINISTER, Decimal("-0.001"), actor=None, session_id=session.id)
    waste(fresh, "2", actor=None, reason="  Dropped VIAL ")
    waste(old, "5", actor=None, reason="expired: discarded")  # after its expiry day
    # Not what left stock for a clinic's use: never summed.
    receive_more(fresh, "3", actor=None)
    adjust(free, "9", actor=None, reason="count")
    return_to_supplier(fresh, "1", actor=None, reason="damaged in transit")
    savepoint = db.session.begin_nested()
    waste(fresh, "4", actor=None, reason="undone")
    savepoint.rollback()  # gone from the ledger, and from the sums
    db.session.commit()

    assert mismatches() == {}
    week, month = TODAY - timedelta(days=TODAY.weekday()), TODAY.replace(day=1)
    for span, start in (("day", TODAY), ("week", week), ("month", month)):
        # (span, start, product_id, administered, wasted, expired, and their values)
        rows = {row[2]: row[3:] for row in summed(ProductOutflow, span=span, start=start)}
        assert rows == {
            ha.id: (Decimal("1.5"), Decimal("2.5"), Decimal("5"),
                    Decimal("1.5") * Decimal("1.2345"), Decimal("2.5") * Decimal("1.2345"), Decimal("10")),
            vit.id: (Decimal("0.001"), 0, 0, 0, 0, 0),
        }
    daily = {row[1:5]: row[5:] for row in summed(DailyOutflow, day=TODAY)}
    assert daily == {
        ("administer", False, True, ""): (2, Decimal("1.501"), Decimal("1.5") * Decimal("1.2345")),
        ("waste", False, True, ""): (1, Decimal("0.5"), Decimal("0.5") * Decimal("1.2345")),
        ("waste", False, False, "dropped vial"): (1, Decimal("2"), Decimal("2") * Decimal("1.2345")),
        ("waste", True, False, ""): (1, Decimal("5"), Decimal("10")),
    }
    version = session.cocktail_version_id
    assert summed(SessionDayCost) == [(TODAY, version, Decimal("2") * Decimal("1.2345"))]


def test_a_report_read_before_the_commit_counts_the_transactions_own_movements(make_product, make_lot):
    lot = make_lot(make_product(), quantity="10", expiry=TODAY + timedelta(days=30),
                   received_on=TODAY - timedelta(days=3), unit_cost="2")
    db.session.commit()
    waste(lot, "3", actor=None, reason="broken vial")
    assert db.session.info.get(NOTED)  # noted, not yet summed
    report = builders.waste(parse_range(TODAY, TODAY, "month", TODAY))
    assert [(row["reason"], row["movements"], row["value"]) for row in report.tables[0].rows] == [
        ("broken vial", 1, Decimal("6"))]
    assert not db.session.info.get(NOTED) and mismatches() == {}


def test_a_rolled_back_transaction_leaves_nothing_summed(make_product, make_lot):
    lot = make_lot(make_product(), quantity="10", expiry=TODAY + timedelta(days=30),
                   received_on=TODAY - timedelta(days=3))
    db.session.commit()
    waste(lot, "3", actor=None, reason="broken vial")
    db.session.rollback()
    assert not db.session.info.get(NOTED)
    db.session.commit()
    assert summed(ProductOutflow) == summed(DailyOutflow) == [] and mismatches() == {}


def test_the_bulk_import_pays_nothing_for_the_sums_and_turnover_still_counts_its_receipts(make_product,
                                                                                           make_user):
    user, product = make_user("manager"), make_product("Hyaluronic serum 2 mL")
    bulk.receive_lots(columns(product, ["B-1", "B-2"]), new_import(user), "delivery import")
    assert not db.session.info.get(NOTED)
    db.session.commit()
    assert summed(ProductOutflow) == [] and mismatches() == {}
    rng = parse_range(TODAY - timedelta(days=30), TODAY, "month", TODAY)
    [row] = [row for row in builders.turnover(rng, TODAY).tables[0].rows if row["product"] == product.name]
    assert (row["opening"], row["closing"], row["used"]) == (Decimal(0), Decimal(5), Decimal(0))


def test_days_are_utc_days_whatever_the_connections_time_zone(make_product, make_lot):
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))  # UTC+14: another day already
    lot = make_lot(make_product(), quantity="10", expiry=date(2027, 1, 1), received_on=date(2025, 12, 1),
                   unit_cost="1")
    for hours, quantity in ((-1, "1"), (0, "2"), (23, "4")):  # 23:00 on Jan 31, midnight and 23:00 on Feb 1
        movement = waste(lot, quantity, actor=None, reason="broken vial")
        movement.at = datetime(2026, 2, 1, tzinfo=UTC) + timedelta(hours=hours)
        db.session.flush()
    db.session.commit()
    assert mismatches() == {}
    for by, expected in ((Period.MONTH, {date(2026, 1, 1): 1, date(2026, 2, 1): 6}),
                         (Period.WEEK, {date(2026, 1, 26): 7})):  # Jan 26 – Feb 1 is one week
        rng = parse_range(date(2026, 1, 1), date(2026, 2, 28), by, date(2026, 3, 1))
        assert {row.period: row.wasted for row in ledger.outflows(rng, by_period=True)} == expected
    rng = parse_range(date(2026, 2, 1), date(2026, 2, 1), "month", date(2026, 3, 1))
    assert [row.wasted for row in ledger.outflows(rng)] == [6]


def test_a_commit_sums_its_movements_by_their_ids_not_by_reading_every_outflow(make_product, make_lot):
    if db.session.get_bind().dialect.name != "sqlite":
        return  # SQLite's plan is the one that went wrong (half a second a commit at a chain's scale)
    lot = make_lot(make_product(), quantity="10", expiry=TODAY + timedelta(days=30),
                   received_on=TODAY - timedelta(days=3))
    for _ in range(8):  # a session's worth: a list of ids (one alone, SQLite reads as an equality anyway)
        waste(lot, "1", actor=None, reason="broken vial")
    statements = []
    connection = db.session.connection()

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith(("INSERT INTO product_outflow", "INSERT INTO daily_outflow",
                                 "INSERT INTO session_day_cost")):
            statements.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", seen)
    try:
        catch_up(db.session)
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    assert len(statements) == 3  # the product's day, week and month in one, the clinic's day, the sessions' day
    for statement, parameters in statements:
        plan = [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
        ledger_read = [step for step in plan if "stock_movement" in step]
        assert ledger_read and all("INTEGER PRIMARY KEY" in step for step in ledger_read), plan
