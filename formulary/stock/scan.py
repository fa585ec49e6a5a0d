"""GS1 barcode scans as a USB scanner types them: GTIN, lot number, expiry and serial."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from biip import ParseError
from biip.gs1_application_identifiers import GS1ApplicationIdentifier
from biip.gs1_element_strings import GS1ElementString
from biip.symbology import GS1Symbology, SymbologyIdentifier

from formulary.catalogue.gtin import GTIN_LENGTHS, InvalidGtin, normalize_gtin

GS = "\x1d"  # the group separator a scanner sends for FNC1
# What keyboard-wedge scanners and copied labels type for FNC1 when they cannot send GS.
_GS_STAND_INS = re.compile(r"<GS>|\[GS\]|\{GS\}|<FNC1>|\^\]|\u241d", re.IGNORECASE)
# Not str.split(): Python counts \x1c-\x1f as whitespace and would drop the separators.
_SPACES = re.compile(r"[ \t\r\n]+")
_HRI = re.compile(r"\((\d{2,4})\)([^()]*)")
_DATE_AIS = {
    "11": "production date",
    "12": "due date",
    "13": "packaging date",
    "15": "best-before date",
    "16": "sell-by date",
    "17": "expiry date",
}


@dataclass(frozen=True)
class ScanResult:
    """What a scan says about a unit: its GTIN (14 digits), lot number, expiry and serial."""

    gtin: str
    lot_number: str | None = None
    expiry: date | None = None
    serial: str | None = None


class ScanError(ValueError):
    """A scan that cannot be read as a GS1 barcode with a valid GTIN."""

    def __init__(self, scan: str, problem: str) -> None:
        self.scan = scan
        self.problem = problem
        shown = scan.replace(GS, "<GS>")
        if len(shown) > 60:
            shown = shown[:57] + "..."
        super().__init__(f"Scan '{shown}' {problem}")


def parse_scan(text: str) -> ScanResult:
    """Read a scanned GS1 element string (with or without parentheses) or a plain GTIN."""
    value = _SPACES.sub("", _GS_STAND_INS.sub(GS, text))
    symbology = None
    if value.startswith("]"):
        try:
            symbology = SymbologyIdentifier.extract(value)
        except ParseError as exc:
            raise ScanError(text, "is not a GS1 barcode or a GTIN") from exc
        value = value[len(symbology) :]
    value = value.strip(GS)  # a leading FNC1 only says "GS1 data follows"
    if not value:
        raise ScanError(text, "is empty")

    gs1_symbology = symbology.gs1_symbology if symbology else None
    looks_like_gtin = value.isascii() and value.isdigit() and len(value) in GTIN_LENGTHS
    if gs1_symbology in GS1Symbology.with_gtin() or (
        gs1_symbology not in GS1Symbology.with_gs1_messages() and looks_like_gtin
    ):
        return ScanResult(gtin=_gtin(text, value))

    parse = _hri_elements if value.startswith("(") else _raw_elements
    elements = _by_ai(text, parse(text, value))
    if "01" not in elements:
        raise ScanError(text, "has no GTIN (AI 01)")
    lot, expiry, serial = (elements.get(ai) for ai in ("10", "17", "21"))
    return ScanResult(
        gtin=_gtin(text, elements["01"].value),
        lot_number=lot.value if lot else None,
        expiry=expiry.date if expiry else None,
        serial=serial.value if serial else None,
    )


def _gtin(text: str, code: str) -> str:
    try:
        return normalize_gtin(code)
    except InvalidGtin as exc:
        raise ScanError(text, f"has GTIN {exc.value}, which {exc.reason}") from exc


def _raw_elements(text: str, value: str) -> list[GS1ElementString]:
    """The element strings of "0109506000134352172703311..." with GS after variable fields."""
    elements = []
    rest = value
    while rest:
        try:
            element = GS1ElementString.extract(rest)  # stops at the next GS
        except ParseError as exc:
            raise _element_error(text, rest) from exc
        elements.append(element)
        rest = rest[len(element) :].lstrip(GS)
    return elements


def _hri_elements(text: str, value: str) -> list[GS1ElementString]:
    """The element strings of "(01)09506000134352(17)270331(10)ABC123"."""
    matches = list(_HRI.finditer(value))
    if "".join(m.group(0) for m in matches) != value:
        raise ScanError(text, "is not a GS1 barcode or a GTIN")
    elements = []
    for match in matches:
        ai, data = match.group(1), match.group(2).strip(GS)
        # biip reads the AI from the leading digits, so "(999)1" would pass as AI 99.
        if _ai_of(ai) != ai:
            raise ScanError(text, f"has an unknown AI ({ai})")
        try:
            elements.append(GS1ElementString.parse(ai + data))
        except ParseError as exc:
            raise _element_error(text, ai + data) from exc
    return elements


def _by_ai(text: str, elements: list[GS1ElementString]) -> dict[str, GS1ElementString]:
    found: dict[str, GS1ElementString] = {}
    for element in elements:
        ai = element.ai.ai
        if ai in found and found[ai].value != element.value:
            raise ScanError(text, f"has AI ({ai}) twice with different values")
        found[ai] = element
    return found


def _element_error(text: str, chunk: str) -> ScanError:
    """Explain an element string biip refused: a bad date, or not GS1 at all."""
    ai = _ai_of(chunk)
    if ai is None:
        return ScanError(text, "is not a GS1 barcode or a GTIN")
    if ai == "01":
        return ScanError(text, "has a GTIN (AI 01) that is not 14 digits")
    if ai in _DATE_AIS:
        shown = chunk[len(ai) :].split(GS)[0][:6]
        return ScanError(text, f"has an invalid {_DATE_AIS[ai]} '{shown}' (AI {ai})")
    return ScanError(text, f"has an invalid value for AI ({ai})")


def _ai_of(chunk: str) -> str | None:
    """The GS1 Application Identifier an element string starts with, if any."""
    try:
        return GS1ApplicationIdentifier.extract(chunk).ai
    except ParseError:
        return None
