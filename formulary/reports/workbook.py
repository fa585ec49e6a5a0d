"""A report as a formatted workbook: a sheet per table, and the chart as a native Excel chart over its data."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import BinaryIO

import xlsxwriter

from formulary.reports.money import currency
from formulary.reports.tables import Kind, Report, Table

SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def file_name(report: Report) -> str:
    """formulary-consumption-2026-01-01-to-2026-03-31.xlsx"""
    return f"formulary-{report.key}-{report.rng.start}-to-{report.rng.end}.xlsx"


def _cell(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _formats(book) -> dict:
    money = f'#,##0.00 "{currency()}"'
    return {
        Kind.TEXT: book.add_format({}),
        Kind.QUANTITY: book.add_format({"num_format": "#,##0.###"}),
        Kind.MONEY: book.add_format({"num_format": money}),
        Kind.COUNT: book.add_format({"num_format": "#,##0"}),
        Kind.RATIO: book.add_format({"num_format": "0.00"}),
        "header": book.add_format({"bold": True, "bg_color": "#E7F1FF", "bottom": 1, "text_wrap": True}),
        "title": book.add_format({"bold": True, "font_size": 14}),
        "total": book.add_format({"bold": True, "top": 1}),
        "note": book.add_format({"italic": True, "font_color": "#6C757D"}),
    }


def _write_table(sheet, table: Table, formats: dict, first_row: int) -> int:
    for col, column in enumerate(table.columns):
        sheet.write_string(first_row, col, column.header, formats["header"])
        sheet.set_column(col, col, 28 if col == 0 else 15, formats[column.kind])
    row = first_row
    for row, values in enumerate([*table.rows, *([table.total] if table.total else [])], start=first_row + 1):
        for col, column in enumerate(table.columns):
            value = _cell(values.get(column.key))
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(row, col, value)  # names stay text, never formulas
            else:
                sheet.write_number(row, col, value, formats[column.kind])
        if table.total is values:
            sheet.set_row(row, None, formats["total"])
    if table.rows:
        sheet.autofilter(first_row, 0, first_row + len(table.rows), len(table.columns) - 1)
    sheet.freeze_panes(first_row + 1, 1)
    return row


def write_report(stream: BinaryIO, report: Report) -> None:
    """Write the report: a Chart sheet with its figures and native chart, then one sheet per table."""
    book = xlsxwriter.Workbook(stream, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    formats = _formats(book)
    chart_sheet = book.add_worksheet("Chart")
    chart_sheet.write_string(0, 0, report.title, formats["title"])
    chart_sheet.write_string(1, 0, f"From {report.rng.start} to {report.rng.end}"
                             + (f", by {report.rng.by}" if report.uses_period else ""))
    series = report.series
    chart_sheet.write_string(3, 0, series.x_title, formats["header"])
    chart_sheet.write_string(3, 1, series.y_title, formats["header"])
    value_format = formats[Kind.MONEY if series.money else Kind.QUANTITY]
    for i, (label, value) in enumerate(zip(series.labels, series.values, strict=True), start=4):
        chart_sheet.write_string(i, 0, label)
        chart_sheet.write_number(i, 1, float(value), value_format)
    chart_sheet.set_column(0, 0, 28)
    chart_sheet.set_column(1, 1, 18)
    last = 3 + len(series.labels)
    chart = book.add_chart({"type": "column"})
    chart.add_series({
        "name": series.title,
        "categories": ["Chart", 4, 0, max(last, 4), 0],
        "values": ["Chart", 4, 1, max(last, 4), 1],
        "fill": {"color": "#0D6EFD"},
    })
    chart.set_title({"name": series.title})
    chart.set_x_axis({"name": series.x_title})
    chart.set_y_axis({"name": series.y_title, "min": 0, "major_gridlines": {"visible": True}})
    chart.set_legend({"none": True})
    chart.set_size({"width": 760, "height": 360})
    chart_sheet.insert_chart(3, 3, chart)
    for note_row, note in enumerate(report.notes, start=max(last, 22) + 2):
        chart_sheet.write_string(note_row, 0, note, formats["note"])
    used: set[str] = {"Chart"}
    for table in report.tables:
        name = SHEET_NAME.sub(" ", table.title)[:31]
        while name in used:
            name = name[:29] + f"{len(used)}"
        used.add(name)
        sheet = book.add_worksheet(name)
        _write_table(sheet, table, formats, 0)
    book.close()
