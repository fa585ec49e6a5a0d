"""The managers' daily digest: a list of sections, each a title and lines, rendered as plain text and HTML.

SECTIONS lists them: each entry is (key, builder), a builder takes the day and the warning window and
answers a Section.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app, g

from formulary.purchasing.suggest import suggested_order
from formulary.stock.dashboard import below_reorder, expired_lots, expiring_lots, held_lots
from formulary.stock.errors import fmt_quantity
from formulary.stock.opened import opened_units
from formulary.stock.opened_dashboard import lapsed_reason
from formulary.treatments.dashboard import HORIZON_DAYS, session_dashboard
from formulary.vocabulary import LotStatus

LISTED = 25  # lines a section lists before "and N more"


@dataclass(frozen=True)
class Section:
    """One part of the digest: how many things need attention, and a line for each of the first few."""

    key: str
    title: str
    count: int
    lines: list[str] = field(default_factory=list)
    empty: str = "Nothing today."
    details: dict[str, list[str]] = field(default_factory=dict)  # line → indented sub-lines

    @property
    def more(self) -> int:
        """How many are counted but not listed."""
        return max(0, self.count - len(self.lines))


def _lot_line(lot) -> str:
    return f"{lot.product_name}, lot {lot.lot_number}: {fmt_quantity(lot.on_hand)} {lot.unit}, expiry {lot.expiry}"


def _board(today: date):
    """The dashboard's session panels for the day, computed once per digest (two sections read them)."""
    boards = g.setdefault("digest_session_boards", {})
    if today not in boards:
        boards[today] = session_dashboard(today)
    return boards[today]


def _session_line(session) -> str:
    return f"{session.scheduled_for}: {session.patient.name}, {session.cocktail_version.cocktail.name}"


def expired_on_shelf(today: date, warning_days: int) -> Section:
    """Available lots past their expiry that still hold stock."""
    panel = expired_lots(today, LISTED)
    return Section("expired", "Expired lots still on the shelf", panel.count, [_lot_line(lot) for lot in panel.rows],
                   "No expired stock on the shelf.")


def expiring_soon(today: date, warning_days: int) -> Section:
    """Lots expiring within the warning window, each with the booked sessions that will be short once it expires."""
    panel = expiring_lots(today, warning_days, LISTED)
    blocked = _board(today).blocked
    lines, details = [], {}
    for lot in panel.rows:
        line = _lot_line(lot)
        lines.append(line)
        losing = [_session_line(row.session) for row in blocked
                  if row.session.scheduled_for > lot.expiry
                  and any(s.startswith(f"{lot.product_name}:") for s in row.shortages)]
        if losing:
            details[line] = [f"session that will lack {lot.product_name}: {s}" for s in losing]
    return Section("expiring", f"Expiring within {warning_days} days", panel.count, lines,
                   f"Nothing expires in the next {warning_days} days.", details)


def under_reorder_level(today: date, warning_days: int) -> Section:
    """Products whose usable stock is under their reorder level, each with what the suggested order says."""
    panel = below_reorder(today, LISTED)
    config = current_app.config
    suggestions = {line.product_id: line for line in suggested_order(
        today, product_ids=[row.product_id for row in panel.rows], review_days=config["ORDER_REVIEW_DAYS"],
        history_weeks=config["ORDER_HISTORY_WEEKS"])} if panel.rows else {}
    lines, details = [], {}
    for row in panel.rows:
        line = (f"{row.product_name}: {fmt_quantity(row.on_hand)} {row.unit} usable, reorder level "
                f"{fmt_quantity(row.reorder_level)} {row.unit}")
        lines.append(line)
        suggestion = suggestions.get(row.product_id)
        if suggestion is not None:
            packs = suggestion.suggested_packs
            order = (f"Suggested order: {packs} pack{'s' if packs != 1 else ''} "
                     f"({fmt_quantity(suggestion.suggested_quantity)} {suggestion.unit}) — {suggestion.reason}")
            details[line] = [order, *([suggestion.warning] if suggestion.warning else [])]
    return Section("below-reorder", "Products under their reorder level", panel.count, lines,
                   "Every product is at or above its reorder level.", details)


def opened_to_discard(today: date, warning_days: int) -> Section:
    """Opened vials past their in-use expiry that still hold something: never drawn, to be discarded."""
    lapsed = opened_units(today, lapsed=True)
    return Section("opened", "Opened vials to discard", len(lapsed),
                   [f"{row.product_name}, lot {row.lot_number}: {fmt_quantity(row.content_left)} {row.unit} left "
                    f"({lapsed_reason(row)})" for row in lapsed[:LISTED]],
                   "No opened vial is past its use-by.")


def sessions_blocked(today: date, warning_days: int) -> Section:
    """Booked sessions of the next 14 days that stock cannot serve, or whose latest check is blocked."""
    board = _board(today)
    horizon = today + timedelta(days=HORIZON_DAYS)
    lines = [f"{_session_line(row.session)} — {'; '.join(row.shortages)}"
             for row in board.blocked if row.session.scheduled_for <= horizon]
    short_ids = {row.session.id for row in board.blocked}
    lines += [f"{_session_line(row.session)} — the check is {row.state.label.lower()}" for row in board.upcoming
              if row.state.key == "blocked" and row.session.id not in short_ids]
    return Section("blocked", f"Sessions blocked in the next {HORIZON_DAYS} days", len(lines), lines[:LISTED],
                   f"No session of the next {HORIZON_DAYS} days is blocked.")


def recalls(today: date, warning_days: int) -> Section:
    """Recalled lots that still hold stock: to return or destroy."""
    panel = held_lots(LotStatus.RECALLED, LISTED)
    return Section("recalls", "Recalled lots with stock", panel.count, [_lot_line(lot) for lot in panel.rows],
                   "No recalled stock on hand.")


Builder = Callable[[date, int], Section]
SECTIONS: list[tuple[str, Builder]] = [
    ("expired", expired_on_shelf),
    ("expiring", expiring_soon),
    ("opened", opened_to_discard),
    ("below-reorder", under_reorder_level),
    ("blocked", sessions_blocked),
    ("recalls", recalls),
]


@dataclass(frozen=True)
class Digest:
    """The day's digest: its sections, and the text and HTML bodies of the e-mail."""

    day: date
    clinic: str
    sections: list[Section]

    @property
    def attention(self) -> int:
        """How many things in all need attention."""
        return sum(s.count for s in self.sections)

    @property
    def subject(self) -> str:
        return f"{self.clinic}: {self.attention} to look at today ({self.day})"

    def text(self) -> str:
        """The plain-text body."""
        out = [f"{self.clinic} — daily digest for {self.day}", ""]
        for section in self.sections:
            out += [f"{section.title} ({section.count})", "-" * len(f"{section.title} ({section.count})")]
            if not section.lines:
                out.append(section.empty)
            for line in section.lines:
                out.append(f"- {line}")
                out += [f"    {detail}" for detail in section.details.get(line, [])]
            if section.more:
                out.append(f"… and {section.more} more")
            out.append("")
        return "\n".join(out)

    def html(self) -> str:
        """The HTML body (autoescaped: names are text). No request here: the bare template, without the
        context processors that read the logged-in user."""
        return current_app.jinja_env.get_template("reports/digest.html").render(digest=self)


def build_digest(today: date, warning_days: int, clinic: str) -> Digest:
    """Run every section builder for the day."""
    return Digest(today, clinic, [builder(today, warning_days) for _key, builder in SECTIONS])
