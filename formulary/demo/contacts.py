"""The demo patients' phone numbers and e-mail addresses (fictional: the UK's drama numbers 07700 900xxx
and example.org), so that a recall in the demo reaches someone. Only blank contacts are filled."""

from sqlalchemy import select

from formulary.extensions import db
from formulary.patients.folding import fold
from formulary.patients.models import Patient


def load() -> list[str]:
    """Give each demo patient (P-1001 …) without contacts a phone, an e-mail and, for most, permission."""
    patients = db.session.scalars(
        select(Patient).where(Patient.reference.like("P-1%"), Patient.phone == "", Patient.email == "")
        .order_by(Patient.reference)
    ).all()
    for number, patient in enumerate(patients):
        serial = int((patient.reference or "P-1000")[2:]) % 1000
        patient.phone = f"+44 7700 900{serial:03d}"
        patient.email = ".".join(fold(patient.name).split()) + "@example.org"
        patient.contact_ok = number % 5 != 4  # a few have not agreed: the recall list says so
    db.session.flush()
    if not patients:
        return ["Demo contacts already there."]
    return [f"Demo contacts: {len(patients)} patients given a phone number and e-mail."]
