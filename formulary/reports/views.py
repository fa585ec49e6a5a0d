"""The report pages: a range form, the chart, the tables, and the same report as a workbook."""

from flask import render_template, request
from markupsafe import Markup, escape

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.clinic_time import clinic_today
from formulary.money import money_formatter
from formulary.quantity import fmt_quantity
from formulary.reports.blueprint import bp
from formulary.reports.builders import REPORTS
from formulary.reports.charts import bar_chart
from formulary.reports.money import currency, format_money
from formulary.reports.periods import BadReportInput, Period, ReportRange, parse_range
from formulary.reports.tables import Column, Kind, Report
from formulary.reports.workbook import file_name, write_report
from formulary.spreadsheets.downloads import xlsx_download


def build(key: str, rng: ReportRange) -> Report:
    """Run one report over a range (turnover also needs today, for the stock usable now)."""
    _label, builder = REPORTS[key]
    return builder(rng, clinic_today()) if key == "turnover" else builder(rng)


def _range() -> ReportRange:
    args = request.args
    return parse_range(args.get("from"), args.get("to"), args.get("by"), clinic_today())


def chart_of(report: Report):
    """The report's series as an SVG bar chart (one scale, both axes titled)."""
    series = report.series

    def describe(label, value):
        return f"{label}: {format_money(value) if series.money else f'{value:,}'}"

    return bar_chart(series.title, series.labels, series.values, x_title=series.x_title, y_title=series.y_title,
                     describe=describe)


@bp.route("/")
@permission_required(Permission.VIEW_REPORTS)
def index():
    """The list of reports."""
    return render_template("reports/index.html", reports=REPORTS)


NOTHING = Markup('<span class="text-body-secondary">—</span>')


def cell(value, kind: Kind, money=format_money) -> Markup:
    """A table cell's text by its column's kind (a function, not a template macro: a page has a thousand cells);
    `money` formats amounts (the clinic's currency, looked up once a row by row_cells)."""
    if value is None:
        return NOTHING
    if kind == Kind.MONEY:
        text = money(value)
    elif kind == Kind.QUANTITY:
        text = fmt_quantity(value)
    elif kind == Kind.COUNT:
        text = f"{value:,}"
    elif kind == Kind.RATIO:
        text = f"{value:.2f}"
    else:
        text = value
    return escape(text)


def row_cells(row: dict, columns: list[Column], *, blank_when_missing: bool = False) -> Markup:
    """A table row's cells, numbers aligned right (built here rather than in the template, for the same reason);
    a total row leaves blank the columns it does not sum."""
    cells = []
    money = money_formatter(currency())
    for column in columns:
        align = "" if column.kind == Kind.TEXT else ' class="text-end text-nowrap"'
        text = "" if blank_when_missing and column.key not in row else cell(row.get(column.key), column.kind, money)
        cells.append(f"<td{align}>{text}</td>")
    # Safe: each piece is a constant or cell()'s escaped text (Markup.format would cost 4 µs a cell).
    return Markup("".join(cells))  # noqa: S704


def _refused(key: str, error: BadReportInput):
    """The form again with the field named; no report is run on input it cannot use."""
    return render_template("reports/report.html", key=key, report=None, chart=None, error=error, reports=REPORTS,
                           periods=list(Period), row_cells=row_cells, args=request.args), 422


def _page(key: str):
    try:
        rng = _range()
    except BadReportInput as error:
        return _refused(key, error)
    return report_page(key, build(key, rng), request.args)


def report_page(key: str, report: Report, args) -> str:
    """A report's page: the range form (filled from `args`), the chart and the tables."""
    return render_template("reports/report.html", key=key, report=report, chart=chart_of(report), error=None,
                           reports=REPORTS, periods=list(Period), row_cells=row_cells, args=args)


def _workbook(key: str):
    try:
        rng = _range()
    except BadReportInput as error:
        return _refused(key, error)
    report = build(key, rng)
    return xlsx_download(lambda stream: write_report(stream, report), file_name(report))


def _register(key: str) -> None:
    endpoint = key.replace("-", "_")

    def page():
        return _page(key)

    def workbook():
        return _workbook(key)

    page.__doc__ = f"The {REPORTS[key][0].lower()} report page."
    workbook.__doc__ = f"The {REPORTS[key][0].lower()} report as a workbook."
    bp.add_url_rule(f"/{key}", endpoint, permission_required(Permission.VIEW_REPORTS)(page))
    bp.add_url_rule(f"/{key}.xlsx", f"{endpoint}_workbook", permission_required(Permission.VIEW_REPORTS)(workbook))


for _key in REPORTS:
    _register(_key)
