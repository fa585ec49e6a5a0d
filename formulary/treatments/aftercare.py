"""The aftercare advice: a default in code, the clinic's own wording in ClinicText, shown as plain text."""

from dataclasses import dataclass

from formulary.audit.log import record
from formulary.db import utcnow
from formulary.extensions import db
from formulary.treatments.models import ClinicText

KEY = "aftercare"

DEFAULT_ADVICE = """\
For the next 24–48 hours
- Do not touch, rub or massage the treated skin for the first 6 hours.
- No make-up for 24 hours; use clean brushes and a gentle cleanser after that.
- Avoid sun, sunbeds, sauna, steam rooms, hot baths and intense exercise for 48 hours.
- Avoid alcohol for 24 hours: it makes bruising more likely.
- Sleep on your back the first night if you can.

For the next few days
- Protect the treated skin from the sun with a broad-spectrum SPF 30 or higher.
- No peels, laser, microneedling or other facial treatments for one week unless we agreed otherwise.
- Drink plenty of water.

What is normal
- Small bumps at the injection points: they flatten within a few hours, at most a day or two.
- Redness and mild swelling: usually settle within 24–48 hours.
- Bruising at a few points: possible, fading within 3–7 days.
- Mild itching, tenderness or a feeling of tightness: can last a day or two.

Call the clinic straight away if you notice
- redness that spreads, or that is getting worse after 48 hours
- fever, or skin that becomes hot, hard and painful
- severe or increasing pain
- blisters, pus or crusting, or any other sign of infection
- any sign of an allergic reaction: hives, itching all over, swelling of the lips, eyes or tongue

If you have difficulty breathing or swallowing, call the emergency services first.
"""


@dataclass(frozen=True)
class Block:
    """One piece of the advice as shown: a heading (may be empty), paragraph lines and list items."""

    heading: str
    lines: tuple[str, ...]
    items: tuple[str, ...]


def advice_text() -> str:
    """The clinic's aftercare wording, or the default when the clinic has not written its own."""
    row = db.session.get(ClinicText, KEY)
    return row.body if row is not None else DEFAULT_ADVICE


def advice_row() -> ClinicText | None:
    """The stored wording (who changed it and when), if the clinic has one."""
    return db.session.get(ClinicText, KEY)


def save_advice(body: str, *, actor) -> ClinicText:
    """Store the clinic's wording (line endings normalised); audited without the text itself."""
    body = "\n".join(line.rstrip() for line in (body or "").replace("\r\n", "\n").split("\n")).strip() + "\n"
    row = db.session.get(ClinicText, KEY)
    if row is None:
        row = ClinicText(key=KEY, body=body)
        db.session.add(row)
    row.body = body
    row.updated_at = utcnow()
    row.updated_by_id = actor.id if actor is not None else None
    db.session.flush()
    record("clinic_text.update", actor=actor, detail=f"wording {KEY}")
    return row


def blocks(text: str) -> list[Block]:
    """Plain text → blocks: blank lines part paragraphs, "- " lines are list items, a line before them a heading."""
    result = []
    for chunk in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in chunk.split("\n") if line.strip()]
        if not lines:
            continue
        items = tuple(line[2:].strip() for line in lines if line.startswith("- "))
        plain = [line for line in lines if not line.startswith("- ")]
        if items and len(plain) == 1 and lines[0] == plain[0]:
            result.append(Block(plain[0], (), items))
        else:
            result.append(Block("", tuple(plain), items))
    return result
