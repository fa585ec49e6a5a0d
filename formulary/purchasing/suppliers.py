"""Adding and changing suppliers: plain functions that validate every field at once and flush."""

import re
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from formulary.audit.log import record
from formulary.catalogue.models import Supplier
from formulary.extensions import db
from formulary.purchasing.errors import PurchasingError, SupplierNameTaken

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_LEAD_DAYS = 365


@dataclass
class SupplierData:
    """A supplier as a form or an API body gives it."""

    name: str
    lead_time_days: int | str | None
    email: str = ""
    phone: str = ""
    contact_person: str = ""
    notes: str = ""


def _lead_time(value, errors: list[tuple[str, str]]) -> int:
    try:
        days = int(str(value).strip())
    except ValueError:
        errors.append(("lead_time_days", f"The lead time must be a whole number of days (got {value!r})."))
        return 0
    if days < 0:
        errors.append(("lead_time_days", f"The lead time cannot be negative (got {days} days)."))
    elif days > MAX_LEAD_DAYS:
        errors.append(("lead_time_days", f"A lead time of {days} days is not plausible (at most {MAX_LEAD_DAYS})."))
    return days


def _validate(data: SupplierData, supplier: Supplier | None) -> dict:
    errors: list[tuple[str, str]] = []
    name = " ".join((data.name or "").split())
    if not name:
        errors.append(("name", "A supplier name is required."))
    elif len(name) > 200:
        errors.append(("name", "The supplier name is longer than 200 characters."))
    else:
        # SQLite's lower() folds ASCII only: the exact name is looked for too, so that the unique index
        # is never what refuses a name typed twice.
        clash = db.session.scalar(select(Supplier).where(
            or_(Supplier.name == name, func.lower(Supplier.name) == name.lower())).limit(1))
        if clash is not None and clash is not supplier:
            errors.append(("name", f"A supplier named {clash.name!r} already exists."))
    if data.lead_time_days is None or str(data.lead_time_days).strip() == "":
        errors.append(("lead_time_days", "The lead time is required: how many days an order takes to arrive."))
        lead = 0
    else:
        lead = _lead_time(data.lead_time_days, errors)
    email = (data.email or "").strip()
    if email and (len(email) > 254 or not EMAIL.match(email)):
        errors.append(("email", f"{email!r} is not an e-mail address."))
    phone = (data.phone or "").strip()
    if len(phone) > 40:
        errors.append(("phone", "The phone number is longer than 40 characters."))
    contact = " ".join((data.contact_person or "").split())
    if len(contact) > 200:
        errors.append(("contact_person", "The contact person's name is longer than 200 characters."))
    if errors:
        taken = [field for field, message in errors] == ["name"] and "already exists" in errors[0][1]
        raise (SupplierNameTaken if taken else PurchasingError)(errors)
    return dict(name=name, lead_time_days=lead, email=email, phone=phone, contact_person=contact,
                notes=(data.notes or "").strip())


def create_supplier(data: SupplierData, *, actor) -> Supplier:
    """Add a supplier; every refused field is reported at once."""
    supplier = Supplier(**_validate(data, None))
    db.session.add(supplier)
    db.session.flush()
    record("supplier.create", actor=actor, target=supplier, detail=supplier.name)
    return supplier


def update_supplier(supplier: Supplier, data: SupplierData, *, actor) -> Supplier:
    """Change a supplier's name, contacts or lead time."""
    for key, value in _validate(data, supplier).items():
        setattr(supplier, key, value)
    db.session.flush()
    record("supplier.update", actor=actor, target=supplier, detail=supplier.name)
    return supplier
