"""A manager reads last quarter's waste report, changes the period, and downloads the workbook."""

import zipfile
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import openpyxl
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot

TODAY = date.today()


def last_quarter(today: date) -> tuple[date, date]:
    first_this = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = first_this - timedelta(days=1)
    return date(end.year, end.month - 2, 1), end


START, END = last_quarter(TODAY)


def _clinic():
    from formulary.catalogue.models import Substance
    from formulary.catalogue.products import ComponentData, ProductData, create_product
    from formulary.extensions import db
    from formulary.reference.names import normalize_name
    from formulary.stock.ledger import receive, waste

    def dated(movement, day):
        movement.at = datetime.combine(day, time(15), tzinfo=UTC)
        db.session.flush()

    db.session.add(Substance(name="sodium hyaluronate", key=normalize_name("sodium hyaluronate"), category="other"))
    db.session.flush()
    product = create_product(ProductData(name="Hyaluronic Acid 1% 2 mL", category="hyaluronic acid", unit_size="2",
                                         single_use=True, composition=[ComponentData("sodium hyaluronate", "active")]),
                             actor=None)
    lot = receive(product, lot_number="HA-77", expiry=START + timedelta(days=40), quantity=Decimal(40),
                  received_on=START - timedelta(days=30), actor=None, unit_cost=Decimal("4.50"))
    db.session.flush()
    dated(waste(lot, Decimal(2), actor=None, reason="Dropped vial"), START + timedelta(days=5))
    dated(waste(lot, Decimal(20), actor=None, reason="expired: discarded"), START + timedelta(days=45))


def test_a_manager_reads_last_quarters_waste_and_downloads_it(page, seed, browser_user, tmp_path):
    seed(_clinic)
    log_in(page, browser_user("manager"))
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Waste and expiry losses").click()
    page.get_by_label("From", exact=True).fill(START.isoformat())
    page.get_by_label("To", exact=True).fill(END.isoformat())
    page.get_by_label("Period", exact=True).select_option("month")
    page.get_by_role("button", name="Show").click()

    expect(page.get_by_role("heading", name="Waste and expiry losses")).to_be_visible()
    reasons = page.locator("section", has=page.get_by_role("heading", name="Waste by reason"))
    expect(reasons.get_by_role("row", name="expired")).to_contain_text("€90.00")  # 20 × 4.50
    expect(reasons.get_by_role("row", name="dropped vial")).to_contain_text("€9.00")
    chart = page.locator('svg[data-chart="report-chart"]')
    expect(chart.locator(".axis-title")).to_have_text(["Month", "Value at unit cost (EUR)"])
    expect(chart.locator(".x-axis text")).to_have_count(3)
    screenshot(page, "reports-waste-by-month")

    page.get_by_label("Period", exact=True).select_option("week")
    page.get_by_role("button", name="Show").click()
    expect(chart.locator(".axis-title").first).to_have_text("Week (starting Monday)")
    expect(chart.locator(".x-axis text")).to_have_count(7)  # 14 weeks, every other one labelled: no overlap
    assert chart.locator("rect").count() >= 13  # every week of the quarter has its bar (zero ones are flat)
    screenshot(page, "reports-waste-by-week")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the workbook").click()
    download = download_info.value
    assert download.suggested_filename == f"formulary-waste-{START}-to-{END}.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    book = openpyxl.load_workbook(saved)
    assert book.sheetnames[:2] == ["Chart", "Waste by reason"]
    rows = {row[0].value: row[2].value for row in book["Waste by reason"].iter_rows(min_row=2)}
    assert rows["expired"] == 90 and rows["dropped vial"] == 9
    with zipfile.ZipFile(saved) as archive:
        assert "xl/charts/chart1.xml" in archive.namelist()  # a native Excel chart (openpyxl drops charts on read)
        assert b"Week (starting Monday)" in archive.read("xl/charts/chart1.xml")

