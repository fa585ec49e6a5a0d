"""The whole demo clinic, part by part: what `formulary setup --demo` loads."""

from datetime import date

from formulary.demo import (
    catalogue,
    certainty,
    cocktails,
    contacts,
    counting,
    courses,
    kit,
    patients,
    purchasing,
    sessions,
    stock,
    treatment_room,
    users,
)


def load_demo(today: date | None = None) -> list[str]:
    """Add each part of the demo clinic that is not there yet, relative to `today`."""
    today = today or date.today()
    lines = []
    lines += users.load()
    lines += catalogue.load()
    lines += kit.load()
    lines += purchasing.load()
    lines += stock.load(today)
    lines += patients.load()
    lines += certainty.load()
    lines += contacts.load()
    lines += cocktails.load(today)
    lines += sessions.load(today)
    lines += counting.load(today)
    lines += courses.load(today)
    lines += treatment_room.load(today)
    return lines
