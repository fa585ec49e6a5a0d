"""Workbooks sent to the browser or an API client: written into memory, never cached, the stock export audited."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import BinaryIO

from flask import Response, current_app, send_file

from formulary.audit.log import record
from formulary.clinic_time import clinic_today
from formulary.extensions import db
from formulary.spreadsheets.exporter import export_file_name, export_stock
from formulary.spreadsheets.identity import database_identifier
from formulary.stock.counting import CountScope

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_download(write: Callable[[BinaryIO], object], file_name: str) -> Response:
    """A workbook written into memory, sent as an attachment that no cache keeps."""
    buffer = io.BytesIO()
    write(buffer)
    buffer.seek(0)
    response = send_file(buffer, mimetype=XLSX_TYPE, as_attachment=True, download_name=file_name)
    response.headers["Cache-Control"] = "no-store"
    return response


def stock_workbook(actor, scope: CountScope | None = None) -> Response:
    """Today's stock workbook (Stock and Products sheets, its count record) as a download; who took it stays
    in the audit trail. `scope`: one part of the stock, for a cycle count."""
    today = clinic_today()
    days = current_app.config["EXPIRY_WARNING_DAYS"]
    scope = scope or CountScope()
    record("stock.export", actor=actor, detail=f"stock workbook: {scope.describe()}")
    database_identifier()  # made (once) and committed with the audit row, before the file is written
    db.session.commit()
    return xlsx_download(lambda stream: export_stock(stream, today, days, scope=scope), export_file_name(today))
