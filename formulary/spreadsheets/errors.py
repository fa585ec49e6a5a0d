"""What can be wrong with an uploaded workbook: the whole file, or one cell of it."""

from __future__ import annotations

from dataclasses import dataclass


class WorkbookRefused(ValueError):
    """A file refused as a whole (not a workbook, unsafe, no header, too many rows), in one sentence."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class CellError:
    """One cell that cannot be used, named as the spreadsheet shows it: sheet, row, column, value."""

    sheet: str
    row: int
    column: str  # letter and header, "C (Expiry)"
    value: str  # as the user typed it
    message: str

    def __str__(self) -> str:
        shown = f" '{self.value}'" if self.value else ""
        return f"{self.sheet}, row {self.row}, column {self.column}{shown}: {self.message}"
