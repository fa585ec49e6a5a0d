"""The letter a recall sends each patient who received the lot: the clinic's wording with placeholders.

The wording is the clinic's own (ClinicText "recall-letter", edited in the browser), or the default
below; {patient}, {product}, {lot}, {expiry}, {sessions} and {clinic} are filled in per patient.
"""

import re
from collections.abc import Mapping

from formulary.audit.log import record
from formulary.db import utcnow
from formulary.extensions import db
from formulary.treatments.models import ClinicText

KEY = "recall-letter"
PLACEHOLDERS = {
    "patient": "the patient's name",
    "product": "the product recalled",
    "lot": "the lot number",
    "expiry": "the lot's expiry date",
    "sessions": "the date(s) the patient received it",
    "clinic": "the clinic's name",
}
_PLACEHOLDER = re.compile(r"\{([^{}\s]*)\}")

DEFAULT_LETTER = """\
Dear {patient},

The manufacturer of {product} has recalled lot {lot} (expiry {expiry}). Our records show that you received
this lot during your treatment on {sessions}.

Most recalls are precautionary, and you do not need to do anything if you feel well. Please call us if you
have noticed any redness, swelling, lumps, pain or other changes in the treated skin, or if you have any
question: we will gladly see you.

If you have difficulty breathing or swallowing, or swelling of the lips, eyes or tongue, call the emergency
services first.

With kind regards,
{clinic}
"""


class LetterError(ValueError):
    """The wording names a placeholder that does not exist, or is empty."""


def letter_row() -> ClinicText | None:
    """The stored wording (who changed it and when), if the clinic has one."""
    return db.session.get(ClinicText, KEY)


def letter_text() -> str:
    """The clinic's recall letter, or the default when it has not written its own."""
    row = letter_row()
    return row.body if row is not None else DEFAULT_LETTER


def unknown_placeholders(body: str) -> list[str]:
    """Placeholders in the wording that no letter can fill ({patient} is one, {name} is not)."""
    return sorted({name for name in _PLACEHOLDER.findall(body) if name not in PLACEHOLDERS})


def save_letter(body: str, *, actor) -> ClinicText:
    """Store the clinic's wording; refused when empty or naming an unknown placeholder (audited without the text)."""
    body = "\n".join(line.rstrip() for line in (body or "").replace("\r\n", "\n").split("\n")).strip()
    if not body:
        raise LetterError("The letter cannot be empty.")
    if unknown := unknown_placeholders(body):
        names = ", ".join("{" + name + "}" for name in unknown)
        known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        raise LetterError(f"Unknown placeholder {names}: use {known}.")
    row = letter_row()
    if row is None:
        row = ClinicText(key=KEY, body=body + "\n")
        db.session.add(row)
    row.body = body + "\n"
    row.updated_at = utcnow()
    row.updated_by_id = actor.id if actor is not None else None
    db.session.flush()
    record("clinic_text.update", actor=actor, detail=f"wording {KEY}")
    return row


def fill(body: str, values: Mapping[str, str]) -> str:
    """The wording with each known placeholder replaced; anything else in braces stays as written."""
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), body)
