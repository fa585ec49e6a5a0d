"""The findings of "Hostile input II", each refused or neutralised: far cells, long CSV fields, repeated rows,
formula-like text in the error CSV and the recall workbook."""

import csv
import io
import re
import time
import tracemalloc
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import openpyxl
import pytest

from formulary.spreadsheets.errors import WorkbookRefused
from formulary.spreadsheets.guard import guard_upload
from formulary.spreadsheets.reader import read_upload
from formulary.treatments.recall_export import RecallRow, workbook
from tests.spreadsheets.corpus.build import with_rows
from tests.spreadsheets.test_pages import upload
from tests.spreadsheets.workbooks import xlsx

LONG_FIELD = ("Product,Lot,Expiry,Qty\n\"" + "x" * 140_000 + "\",A-1,2031-03-31,4\n").encode()


@pytest.mark.parametrize(("cell", "words"), [
    ('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', "a cell at XFD1048576, beyond column CV and row 100,010"),
    ('<row r="5"><c r="ZZZZZ99999999999"><v>1</v></c></row>', "ZZZZZ99999999999, which is no cell reference"),
    ('<row r="6000"><c r="XFD6000"><v>1</v></c></row>', "a cell at XFD6000, beyond column CV:"),
    ('<row r="5"><c r="A0"><v>1</v></c></row>', "A0, which is no cell reference"),
    ('<row r="5"><c r="XFE5"><v>1</v></c></row>', "XFE5, which is no cell reference"),
    ('<row r="5"><c r="XFD5"><v xml:space="preserve">1</v></c></row>', "a cell at XFD5"),
    ('<row r="5"><c r="XFD5" t="inlineStr"><is/></c></row>', "a cell at XFD5"),
    ("<row r='5'><c r='xfd5'><v>1</v></c></row>", "a cell at XFD5"),
    ('<row r="5"><c r="A5" foo=">" r="XFD5"><v>1</v></c></row>', "a cell with two references"),
    ('<row r="5"><y:c xmlns:y="urn:y" r="XFD5"><y:v>1</y:v></y:c></row>', "a cell at XFD5"),
    ('<row r="200000"><c><v>1</v></c></row>', "a cell at A200000"),
])
def test_a_far_or_malformed_cell_is_refused_at_once_in_bounded_memory(cell, words):
    # The guard alone, which never calls calamine: a regression fails here instead of killing the
    # runner (test_corpus.py reads such files whole, in a child process under a memory limit).
    data = with_rows(cell)
    tracemalloc.start()
    started = time.process_time()
    with pytest.raises(WorkbookRefused) as refused:
        guard_upload(data, "stock.xlsx", max_rows=100_000)
    elapsed = time.process_time() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert words in refused.value.message and "Sheet 'Stock'" in refused.value.message
    assert elapsed < 0.2 and peak < 8 * 1024 * 1024


def test_a_cell_with_only_a_style_far_away_is_no_reason_to_refuse():
    guard_upload(with_rows('<row r="1048576"><c r="XFD1048576" s="0"/></row>'), "stock.xlsx")


def test_the_bound_follows_the_row_limit():
    data = with_rows('<row r="45"><c r="A45"><v>1</v></c></row>')
    guard_upload(data, "stock.xlsx", max_rows=35)
    with pytest.raises(WorkbookRefused, match="beyond row 40"):
        guard_upload(data, "stock.xlsx", max_rows=30)


@pytest.mark.parametrize("row", ['<row r="2">', '<row\tr="2">', '<row spans="1:3" r="2">', "<row r='2'>"])
def test_a_repeated_row_number_is_refused_naming_the_row(row):
    data = with_rows(row + '<c r="C2" t="inlineStr"><is><t>B-9</t></is></c></row>')
    with pytest.raises(WorkbookRefused, match="has row 2 twice"):
        guard_upload(data, "stock.xlsx")


def test_a_csv_field_over_the_limit_is_refused_in_words():
    with pytest.raises(WorkbookRefused, match="longer than 131,072 characters"):
        read_upload(LONG_FIELD, "stock.csv", mode="delivery")


def test_a_csv_field_over_the_limit_gets_a_page_not_a_500(client, login_as):
    login_as("manager")
    response = upload(client, LONG_FIELD, name="stock.csv")
    assert response.status_code == 200 and "longer than 131,072 characters" in response.get_data(as_text=True)


def test_a_csv_field_over_the_limit_gets_a_422_from_the_api(client, api_token):
    headers = {"Authorization": f"Bearer {api_token('manager')[1]}"}
    form = {"file": (io.BytesIO(LONG_FIELD), "stock.csv"), "mode": "delivery", "dry_run": "true"}
    response = client.post("/api/v1/stock/imports", data=form, headers=headers, content_type="multipart/form-data")
    assert response.status_code == 422 and "longer than 131,072" in response.get_json()["message"]


def test_a_csv_field_over_the_limit_gets_one_line_from_the_command(runner, tmp_path):
    path = tmp_path / "stock.csv"
    path.write_bytes(LONG_FIELD)
    result = runner.invoke(args=["stock", "import", str(path), "--mode", "delivery", "--dry-run"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert result.output.count("\n") == 1 and "longer than 131,072" in result.output


@pytest.mark.parametrize("value", ["＝HYPERLINK(\"x\")", "＋1", "－1", "＠SUM(A1)", "\n=1+1", "\r=1", "\t=1"])
def test_the_error_csv_keeps_formula_like_values_as_text(client, login_as, value, monkeypatch):
    from formulary.spreadsheets import views

    login_as("manager")
    monkeypatch.setattr(views, "ERRORS_SHOWN", 0)  # the page then links the CSV

    data = xlsx([["Product", "Lot", "Expiry", "Qty"], [value, "A-1", "2031-03-31", 4]])
    page = upload(client, data).get_data(as_text=True)
    link = re.search(r'href="(/stock/spreadsheets/uploads/[^"]+)"', page).group(1).replace("&amp;", "&")
    rows = list(csv.reader(io.StringIO(client.get(link).get_data(as_text=True), newline="")))
    assert rows[1][3].startswith("'") and rows[1][3][1:].strip() == value.strip()  # XML reads "\r" as "\n"


def test_the_recall_workbook_keeps_formula_like_names_as_text():
    lot = SimpleNamespace(product=SimpleNamespace(unit="mL", name="＝Serum"), lot_number="=L1", status="recalled",
                          supplier="@Supplier", expiry=date(2031, 3, 31))
    rows = [RecallRow(1, date(2026, 1, 5), 1, "=HYPERLINK(\"http://x\")", "+33", None, Decimal(1), "－Dr")]
    book = openpyxl.load_workbook(io.BytesIO(workbook(lot, rows, generated=datetime(2026, 1, 6))))
    recipients, about = book["Recipients"], book["Lot"]
    for cell in (recipients["B2"], recipients["C2"], recipients["H2"], about["B2"], about["B3"], about["B5"]):
        assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
    assert not recipients["F2"].quotePrefix  # plain text stays plain
