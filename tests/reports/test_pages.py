"""The report pages, workbooks and API as a manager meets them: charts with axes, bad input named, pandas lazy."""

import io
import re
import subprocess
import sys
import textwrap
import zipfile

import openpyxl
import pytest

from formulary.reports.builders import REPORTS
from tests.api.test_clinic_day import a_zone_on_another_day

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RANGE = "from=2026-01-01&to=2026-03-31"


def chart_parts(data: bytes) -> list[str]:
    """The workbook's native chart parts (openpyxl reads the cells but drops charts, so look in the zip)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [name for name in archive.namelist() if name.startswith("xl/charts/chart")]


@pytest.mark.parametrize("key", list(REPORTS))
def test_each_report_page_has_a_chart_with_titled_axes_and_downloads_a_workbook(clinic, client, login_as, key):
    login_as("manager")
    html = client.get(f"/reports/{key}?{RANGE}&by=week").get_data(as_text=True)
    svg = html[html.index("<svg"):html.index("</svg>")]
    titles = re.findall(r'class="axis-title">([^<]+)<', svg)
    assert len(titles) == 2 and all(t.strip() for t in titles), titles
    assert 'class="y-axis"' in svg and len(re.findall(r"<rect ", svg)) >= 1
    assert not re.search(r"\sstyle=", html)  # the Content-Security-Policy forbids inline styles
    assert "Download the workbook" in html
    answer = client.get(f"/reports/{key}.xlsx?{RANGE}&by=week")
    assert answer.status_code == 200 and answer.mimetype == XLSX
    assert chart_parts(answer.data) == ["xl/charts/chart1.xml"]
    book = openpyxl.load_workbook(io.BytesIO(answer.data))
    assert book.sheetnames[0] == "Chart" and len(book.sheetnames) >= 2


def test_the_waste_page_shows_the_reasons_in_the_clinics_currency(clinic, client, login_as, app, monkeypatch):
    login_as("manager")
    html = client.get(f"/reports/waste?{RANGE}").get_data(as_text=True)
    assert "Waste by reason" in html and "dropped vial" in html and "opened and not used in a session" in html
    assert "€41.43" in html  # expired: 30 × 1.2345 + 4.4 × 0.9999 = 37.035 + 4.39956
    monkeypatch.setitem(app.config, "CURRENCY", "CHF")
    assert "CHF 41.43" in client.get(f"/reports/waste?{RANGE}").get_data(as_text=True)


@pytest.mark.parametrize(("query", "field", "words"), [
    ("from=2026-05-01&to=2026-01-01", "From", "runs backwards"),
    ("from=2010-01-01&to=2026-01-01", "From", "longer than 10 years"),
    ("from=2026-01-01&to=2026-03-31&by=fortnight", "Period", "Unknown period"),
    ("from=31/01/2026", "From", "is not a date"),
])
def test_bad_input_gets_a_message_naming_the_field(client, login_as, query, field, words):
    login_as("manager")
    for url in (f"/reports/consumption?{query}", f"/reports/consumption.xlsx?{query}"):
        answer = client.get(url)
        assert answer.status_code == 422
        html = answer.get_data(as_text=True)
        message = re.search(r'id="report-error">(.*?)</div>', html, re.S).group(1)
        assert f"<strong>{field}:</strong>" in message and words in message
        assert "<svg" not in html


@pytest.mark.parametrize(("query", "field"), [
    ("from=2026-05-01&to=2026-01-01", "from"), ("from=2010-01-01&to=2026-01-01", "from"), ("by=day", "by"),
    ("product_id=999999", "product_id"),
])
def test_the_api_refuses_bad_input_with_422_naming_the_field(clinic, client, api_token, query, field):
    _user, token = api_token("manager")
    answer = client.get(f"/api/v1/reports/consumption?{query}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 422
    assert [e["field"] for e in answer.get_json()["errors"]] == [field]


def test_the_api_gives_the_workbook_by_accept_header_or_suffix(clinic, client, api_token):
    _user, token = api_token("manager")
    auth = {"Authorization": f"Bearer {token}"}
    for url, headers in ((f"/api/v1/reports/consumption?{RANGE}", {**auth, "Accept": XLSX}),
                         (f"/api/v1/reports/consumption.xlsx?{RANGE}", auth)):
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200 and answer.mimetype == XLSX, url
        assert chart_parts(answer.data)
        sheet = openpyxl.load_workbook(io.BytesIO(answer.data))["By product"]
        assert sheet["A1"].value == "Product" and sheet["A2"].value in ("HA 1% 2 mL", "Vitamin C 10% 2 mL")
    assert client.get(f"/api/v1/reports/consumption?{RANGE}", headers=auth).mimetype == "application/json"


def test_the_api_is_documented(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/reports/consumption"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "by", "product_id"}
    assert set(operation["responses"]["200"]["content"]) == {"application/json", XLSX}
    assert "422" in operation["responses"]


def test_practitioners_do_not_see_reports(client, login_as):
    login_as("practitioner")
    assert client.get("/reports/").status_code == 403
    assert 'href="/reports/"' not in client.get("/").get_data(as_text=True)


def test_managers_find_reports_in_the_navbar(client, login_as):
    login_as("manager")
    assert 'href="/reports/"' in client.get("/").get_data(as_text=True)


def test_an_empty_range_says_so(client, login_as):
    login_as("manager")
    html = client.get("/reports/consumption?from=2001-01-01&to=2001-02-01").get_data(as_text=True)
    assert "Nothing to chart in this range" in html and "Nothing in this range." in html


def test_pandas_is_imported_only_by_a_report(tmp_path):
    """In a fresh process: the dashboard and the stock list do not import pandas; a report does."""
    script = textwrap.dedent(f"""
        import sys
        from config import TestingConfig
        from formulary import create_app
        from formulary.extensions import db
        from flask_migrate import upgrade
        from tests.conftest import log_in

        class Config(TestingConfig):
            SQLALCHEMY_DATABASE_URI = {f"sqlite:///{tmp_path / 'lazy.db'}"!r}

        app = create_app(Config)
        with app.app_context():
            upgrade()
            from formulary.auth.users import create_user
            create_user("lazy.manager", "a-long-test-password", "manager")
            db.session.commit()
            client = app.test_client()
            log_in(client, "lazy.manager")
            assert client.get("/").status_code == 200
            assert client.get("/stock").status_code == 200
            before = "pandas" in sys.modules
            assert client.get("/reports/consumption").status_code == 200
            print(before, "pandas" in sys.modules)
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["False", "True"]


def test_a_reports_default_range_ends_on_the_clinics_day(app, client, login_as, monkeypatch):
    # The server often runs in UTC; "today" is the clinic's, as everywhere else (the last days of a quarter near
    # midnight, and the stock turnover counts usable only what is in date on the clinic's calendar).
    name, clinic_day, server_day = a_zone_on_another_day()
    monkeypatch.setitem(app.config, "TIMEZONE", name)
    login_as("manager")
    html = client.get("/reports/turnover").get_data(as_text=True)
    assert f'name="to" value="{clinic_day}"' in html, f"clinic day {clinic_day}, server day {server_day}"
