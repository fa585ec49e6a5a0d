"""A recalled lot's recipients as the recall page lists them and as an .xlsx workbook."""

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter
from sqlalchemy import func, select

from formulary.auth.models import User
from formulary.clinic_time import local_text
from formulary.extensions import db
from formulary.patients.models import Patient
from formulary.spreadsheets.writer import write_text
from formulary.stock.models import Lot
from formulary.treatments.models import SessionDraw, TreatmentSession
from formulary.treatments.recall import recipients

HEADERS = ("Session date", "Patient", "Reference", "Date of birth", "Administered", "Unit", "Session",
           "Practitioner")
WIDTHS = (13, 30, 14, 13, 13, 7, 9, 26)


@dataclass(frozen=True)
class RecallRow:
    """One administered session that drew from the lot: who, when, how much."""

    session_id: int
    on: date
    patient_id: int
    patient_name: str
    reference: str | None
    date_of_birth: date | None
    administered: Decimal
    practitioner: str


def recall_rows(lot: Lot) -> list[RecallRow]:
    """Every administered session that received the lot, oldest first (recall.recipients, with amounts)."""
    found = recipients(lot.id)
    ids = [s.session_id for s in found.sessions]
    if not ids:
        return []
    amounts = dict(db.session.execute(
        select(SessionDraw.session_id, func.sum(SessionDraw.administered))
        .where(SessionDraw.lot_id == lot.id, SessionDraw.session_id.in_(ids)).group_by(SessionDraw.session_id)
    ).all())
    extra = {row.id: row for row in db.session.execute(
        select(TreatmentSession.id, Patient.date_of_birth, User.username, User.full_name)
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .outerjoin(User, User.id == TreatmentSession.practitioner_id)
        .where(TreatmentSession.id.in_(ids))
    )}
    return [
        RecallRow(
            s.session_id, s.administered_on, s.patient_id, s.patient_name, s.patient_reference,
            extra[s.session_id].date_of_birth, Decimal(amounts.get(s.session_id) or 0),
            extra[s.session_id].full_name or extra[s.session_id].username or "",
        )
        for s in found.sessions
    ]


def workbook(lot: Lot, rows: list[RecallRow], *, generated: datetime) -> bytes:
    """The recipients as an .xlsx: bold frozen header, filters, real date cells, names written as text."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#E9ECEF", "border": 1})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    amount = book.add_format({"num_format": "0.###"})
    quoted = book.add_format({"quote_prefix": True})  # text a spreadsheet could take for a formula
    sheet = book.add_worksheet("Recipients")
    for column, (header, width) in enumerate(zip(HEADERS, WIDTHS, strict=True)):
        sheet.write_string(0, column, header, bold)
        sheet.set_column(column, column, width)
    unit = lot.product.unit
    for number, row in enumerate(rows, start=1):
        sheet.write_datetime(number, 0, datetime.combine(row.on, datetime.min.time()), day)
        # A name such as "=HYPERLINK(…)" stays text, never a formula, even once edited in Excel.
        write_text(sheet, number, 1, row.patient_name, quoted)
        write_text(sheet, number, 2, row.reference or "", quoted)
        if row.date_of_birth:
            sheet.write_datetime(number, 3, datetime.combine(row.date_of_birth, datetime.min.time()), day)
        else:
            sheet.write_blank(number, 3, None)
        sheet.write_number(number, 4, float(row.administered), amount)
        write_text(sheet, number, 5, unit, quoted)
        sheet.write_number(number, 6, row.session_id)
        write_text(sheet, number, 7, row.practitioner, quoted)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(HEADERS) - 1)

    about = book.add_worksheet("Lot")
    about.set_column(0, 0, 18)
    about.set_column(1, 1, 48)
    facts = [
        ("Product", lot.product.name), ("Lot", lot.lot_number), ("Status", lot.status),
        ("Supplier", lot.supplier or ""), ("Sessions", str(len(rows))),
        ("Patients", str(len({r.patient_id for r in rows}))),
        ("Generated", local_text(generated)),
    ]
    about.write_string(0, 0, "Expires", bold)
    about.write_datetime(0, 1, datetime.combine(lot.expiry, datetime.min.time()), day)
    for number, (label, value) in enumerate(facts, start=1):
        about.write_string(number, 0, label, bold)
        write_text(about, number, 1, value, quoted)
    book.close()
    return buffer.getvalue()
