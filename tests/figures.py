"""What a folder's tests tried, printed as each test runs and gathered under one heading at the end."""

import pytest


class Figures:
    """One heading's lines: `summary` is the folder's pytest_terminal_summary, `fixture()` its `figures`."""

    def __init__(self, heading: str) -> None:
        self.heading = heading
        self.lines: list[str] = []

    def summary(self, terminalreporter) -> None:
        if self.lines:
            terminalreporter.section(self.heading)
            for line in self.lines:
                terminalreporter.write_line(line)

    def fixture(self):
        @pytest.fixture(name="figures")
        def figures():
            """figures("…") prints one line of what a test tried, and keeps it for the summary."""

            def report(line: str) -> None:
                self.lines.append(line)
                print(line)

            return report

        return figures
