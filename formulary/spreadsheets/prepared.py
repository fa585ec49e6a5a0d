"""An upload read and checked (what it would do, and an earlier import of the same content), and the
reasons one is not applied."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from formulary.clinic_time import local_text
from formulary.spreadsheets.plan import ImportPlan


class PreviousImport(NamedTuple):
    """An earlier import of the same content."""

    id: int
    at: datetime
    username: str | None
    file_name: str


@dataclass
class PreparedImport:
    """An upload read and checked: its plan, its bytes' hash, and an earlier import of the same content."""

    file_name: str
    file_sha256: str
    plan: ImportPlan
    previous: PreviousImport | None = None


class ImportRefused(Exception):
    """An upload read and checked that is not applied as it stands; `prepared` says what it would do."""

    def __init__(self, prepared: PreparedImport, message: str = "") -> None:
        self.prepared = prepared
        super().__init__(message)


class ImportHasErrors(ImportRefused):
    """Some rows cannot be used: the plan lists every cell error, and nothing is applied."""


class AlreadyImported(ImportRefused):
    """A delivery whose content was imported before, applied again without force."""

    def __init__(self, prepared: PreparedImport) -> None:
        previous = self.previous = prepared.previous
        assert previous is not None  # raised only when the content was imported before
        who = f" by {previous.username}" if previous.username else ""
        super().__init__(
            prepared,
            f"This delivery was already imported on {local_text(previous.at)}{who} "
            f"(import #{previous.id}, file {previous.file_name}); nothing was imported. "
            "Import it again only if the same goods arrived twice",
        )


class PreviewOutdated(ImportRefused):
    """What the file would change is no longer what was previewed (the stock moved in between)."""


class ImportConflict(Exception):
    """The stock changed between reading and writing (another user, another import): all rolled back."""
