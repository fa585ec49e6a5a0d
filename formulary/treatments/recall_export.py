"""A recalled lot's recipients as the recall page lists them and as an .xlsx workbook."""

import io
from collections.abc import Sequence
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
from formulary.treatments.recall_letter import fill

HEADERS = ("Session date", "Patient", "Reference", "Date of birth", "Administered", "Unit", "Session",
           "Practitioner", "Phone", "E-mail", "May contact")
WIDTHS = (13, 30, 14, 13, 13, 7, 9, 26, 18, 30, 12)


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
    phone: str = ""
    email: str = ""
    contact_ok: bool = False


@dataclass(frozen=True)
class RecallLetter:
    """The letter to one patient who received the lot, with how to reach them."""

    patient_id: int
    patient_name: str
    reference: str | None
    phone: str
    email: str
    contact_ok: bool
    sessions: tuple[date, ...]
    text: str


def recall_letters(lot: Lot, rows: list[RecallRow], wording: str, clinic: str) -> list[RecallLetter]:
    """One letter per patient (by name), the clinic's wording filled in with the patient, lot and dates."""
    by_patient: dict[int, list[RecallRow]] = {}
    for row in rows:
        by_patient.setdefault(row.patient_id, []).append(row)
    letters = []
    for patient_rows in sorted(by_patient.values(), key=lambda group: (group[0].patient_name.casefold(),
                                                                       group[0].patient_id)):
        first = patient_rows[0]
        days = tuple(sorted({row.on for row in patient_rows}))
        values = {
            "patient": first.patient_name, "product": lot.product.name, "lot": lot.lot_number,
            "expiry": f"{lot.expiry:%Y-%m-%d}", "sessions": ", ".join(f"{day:%Y-%m-%d}" for day in days),
            "clinic": clinic,
        }
        letters.append(RecallLetter(first.patient_id, first.patient_name, first.reference, first.phone, first.email,
                                    first.contact_ok, days, fill(wording, values)))
    return letters


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
            extra[s.session_id].full_name or extra[s.session_id].username or "", s.phone, s.email, s.contact_ok,
        )
        for s in found.sessions
    ]


def workbook(lot: Lot, rows: list[RecallRow], *, generated: datetime, letters: Sequence[RecallLetter] = ()) -> bytes:
    """The recipients as an .xlsx: bold frozen header, filters, real date cells, names written as text;
    a "Letters" sheet with each patient's letter, ready to paste into a mail or print."""
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
        write_text(sheet, number, 8, row.phone, quoted)  # "+44 …" must stay text, never a formula
        write_text(sheet, number, 9, row.email, quoted)
        write_text(sheet, number, 10, "yes" if row.contact_ok else "no", quoted)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(HEADERS) - 1)

    if letters:
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        quoted_wrap = book.add_format({"text_wrap": True, "valign": "top", "quote_prefix": True})
        sheet = book.add_worksheet("Letters")
        for column, (header, width) in enumerate(zip(("Patient", "Phone", "E-mail", "May contact", "Letter"),
                                                     (30, 18, 30, 12, 100), strict=True)):
            sheet.write_string(0, column, header, bold)
            sheet.set_column(column, column, width)
        for number, letter in enumerate(letters, start=1):
            write_text(sheet, number, 0, letter.patient_name, quoted)
            write_text(sheet, number, 1, letter.phone, quoted)
            write_text(sheet, number, 2, letter.email, quoted)
            write_text(sheet, number, 3, "yes" if letter.contact_ok else "no", quoted)
            write_text(sheet, number, 4, letter.text, quoted_wrap, wrap)
        sheet.freeze_panes(1, 0)

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
