"""Cell values as typed values (dates, quantities, money, text, GTINs), with a precise reason when not."""

from __future__ import annotations

import calendar
import math
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from formulary.catalogue.gtin import InvalidGtin, normalize_gtin

DATE_ORDERS = ("DMY", "MDY")
PLAUSIBLE_YEARS = range(2000, 2200)  # a lot received or expiring outside these is a typing slip
WRITE_ISO = "write it as YYYY-MM-DD"
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
_MONTHS["sept"] = 9

_PREFIX = re.compile(r"(?:exp(?:iry|ires)?|use by|best before)\s*[.:]?\s*", re.IGNORECASE)
_YEAR_FIRST = re.compile(r"(\d{4})([/.])(\d{1,2})\2(\d{1,2})")
_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?"  # a midnight a program added to a date
_NUMERIC = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d+)" + _TIME)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME)
_YEAR_MONTH = re.compile(r"(\d{4})[-/.](\d{1,2})")
_MONTH_YEAR = re.compile(r"(\d{1,2})[-/.](\d{4})")
_NAMED_MONTH_YEAR = re.compile(r"([a-z]+)\.?[\s\-/]*(\d{4})|(\d{4})[\s\-/]*([a-z]+)\.?", re.IGNORECASE)
_DAY_NAMED = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[\s\-/.]*([a-z]+)\.?,?[\s\-/.]*(\d{4}|\d{2})", re.I)
_NAMED_DAY = re.compile(r"([a-z]+)\.?\s*(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", re.IGNORECASE)
_DATE_LIKE = re.compile(r"[\d\s/.\-]+")
_ONE_MARK = re.compile(r"([+-]?)(\d+)(?:[.,](\d+))?")
_GROUPED = {  # 1,234,567.5 and 1.234.567,5
    ",": re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"),
    ".": re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?"),
}
_MONEY_LIMIT = 10**8
_CURRENCY = re.compile(r"^(?:[€$£]|EUR|USD|GBP|CHF)\s*|\s*(?:[€$£]|EUR|USD|GBP|CHF)$", re.IGNORECASE)


class CellProblem(ValueError):
    """Why one cell's value cannot be used, in the clinic's words; the caller names the cell."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def is_blank(value: object) -> bool:
    """Whether a cell is empty: nothing, or only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def shown(value: object) -> str:
    """A cell's value as the user typed it or the spreadsheet showed it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return format(value, ".15g") if math.isfinite(value) else str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_text(value: object, max_length: int | None = None) -> str | None:
    """Text without its surrounding spaces (otherwise exactly as typed); None when blank."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
    elif value is None:
        return None
    else:
        text = shown(value)
    if max_length is not None and len(text) > max_length:
        raise CellProblem(f"Longer than {max_length} characters.")
    return text


def to_gtin(value: object) -> str | None:
    """A GTIN in its 14-digit form; a number cell has lost its leading zeros, which are put back."""
    if is_blank(value):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        value = str(int(value)).zfill(14)
    try:
        return normalize_gtin(shown(value))
    except InvalidGtin as exc:
        raise CellProblem(f"Not a valid GTIN: it {exc.reason}.") from exc


def to_date(value: object, date_order: str, *, month_end: bool = False) -> date | None:
    """A date from a date cell, an Excel serial number or text; month_end reads "2027-03" as 2027-03-31."""
    if value.__class__ is date:
        return _plausible(value)
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return _plausible(value.date())
    if isinstance(value, date):
        return _plausible(value)
    if isinstance(value, time | timedelta):
        raise CellProblem("A time, not a date.")
    if isinstance(value, bool):
        raise CellProblem(f"TRUE/FALSE, not a date; {WRITE_ISO}.")
    if isinstance(value, int | float):
        return _from_serial(value)
    if date_order not in DATE_ORDERS:
        raise ValueError(f"date_order is DMY or MDY, not {date_order!r}")
    text = str(value).strip()
    if prefix := _PREFIX.match(text):
        text = text[prefix.end() :]
    return _from_text(text, date_order, month_end)


def _from_serial(number: float) -> date:
    """An Excel date number (1900 system, which counts a 29 February 1900 that never was)."""
    if not math.isfinite(number) or not 61 <= number < 2_958_466:
        raise CellProblem(f"A number, not a date; {WRITE_ISO}.")
    day = date(1899, 12, 30) + timedelta(days=int(number))
    if day.year not in PLAUSIBLE_YEARS:
        raise CellProblem(f"A number, not a date (as an Excel date it is {day.isoformat()}); {WRITE_ISO}.")
    return day


def _from_text(text: str, date_order: str, month_end: bool) -> date:
    """Text dates: ISO, the clinic's day order, month names, and month-only forms."""
    if match := _ISO.fullmatch(text):
        return _make(int(match.group(1)), int(match.group(2)), int(match.group(3)), "year/month/day order")
    if match := _YEAR_FIRST.fullmatch(text):
        return _make(int(match.group(1)), int(match.group(3)), int(match.group(4)), "year/month/day order")
    if match := _NUMERIC.fullmatch(text):
        first, _, second, year = match.groups()
        if len(year) not in (2, 4):
            raise CellProblem(f"Ambiguous date: the year has {len(year)} digit(s); {WRITE_ISO}.")
        day, month = (first, second) if date_order == "DMY" else (second, first)
        order = "day/month/year" if date_order == "DMY" else "month/day/year"
        return _make(_full_year(year), int(month), int(day), f"{order} order (the clinic's setting)")
    if match := _DAY_NAMED.fullmatch(text):
        day, name, year = match.groups()
        return _make(_full_year(year), _month(name), int(day), "day month year order")
    if match := _NAMED_DAY.fullmatch(text):
        name, day, year = match.groups()
        return _make(int(year), _month(name), int(day), "month day year order")
    month_only = _month_only(text)
    if month_only is not None:
        year, month = month_only
        if not month_end:
            raise CellProblem(f"Gives a month but no day; {WRITE_ISO}.")
        last_day = calendar.monthrange(year, month)[1] if 1 <= month <= 12 else 1
        return _make(year, month, last_day, "month and year")
    if text.isdigit():
        raise CellProblem(f"A number, not a date; {WRITE_ISO}.")
    if _DATE_LIKE.fullmatch(text):
        raise CellProblem(f"Ambiguous date; {WRITE_ISO}.")
    raise CellProblem(f"Not a date we can read; {WRITE_ISO}.")


def _month_only(text: str) -> tuple[int, int] | None:
    """(year, month) of "2027-03", "03/2027", "Mar 2027" or "2027 March"; None when it is not one."""
    if match := _YEAR_MONTH.fullmatch(text):
        return int(match.group(1)), int(match.group(2))
    if match := _MONTH_YEAR.fullmatch(text):
        return int(match.group(2)), int(match.group(1))
    if match := _NAMED_MONTH_YEAR.fullmatch(text):
        name, year = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
        return int(year), _month(name)
    return None


def _month(name: str) -> int:
    try:
        return _MONTHS[name.lower()]
    except KeyError:
        raise CellProblem(f"'{name}' is not a month we can read; {WRITE_ISO}.") from None


def _full_year(year: str) -> int:
    return 2000 + int(year) if len(year) == 2 else int(year)


def _make(year: int, month: int, day: int, order: str) -> date:
    if not 1 <= month <= 12:
        raise CellProblem(f"Ambiguous date: there is no month {month} in {order}; {WRITE_ISO}.")
    try:
        found = date(year, month, day)
    except ValueError:
        raise CellProblem(f"Not a real date: {calendar.month_name[month]} has no day {day}.") from None
    return _plausible(found)


def _plausible(found: date) -> date:
    if found.year not in PLAUSIBLE_YEARS:
        raise CellProblem(f"Not a plausible date (the year {found.year}); {WRITE_ISO}.")
    return found


def to_quantity(value: object, *, allow_zero: bool) -> Decimal | None:
    """A quantity in stock units: above 0 (or 0 and above with allow_zero), at most 3 decimals."""
    number = _decimal(value)
    if number is None:
        return None
    if number < 0 or (number == 0 and not allow_zero):
        raise CellProblem("Cannot be negative." if allow_zero else "Must be more than 0.")
    return _bounded(number, places=3, limit=10**11)


_COUNT_LIMIT = 10**9


def to_whole_count(value: object) -> Decimal | None:
    """Sealed units counted: a whole number, 0 and above (an opened unit's content is written apart)."""
    number = _decimal(value)
    if number is None:
        return None
    if number < 0:
        raise CellProblem("Cannot be negative.")
    if number != number.to_integral_value():
        raise CellProblem("Sealed units are whole: write what an opened one holds under Opened content.")
    if number >= _COUNT_LIMIT:
        raise CellProblem("Too large.")
    return number.quantize(Decimal(1))  # 12.0 read from a number cell is 12


def to_money(value: object) -> Decimal | None:
    """A unit cost: 0 or more, at most 4 decimals; a currency sign around it is ignored."""
    if value.__class__ is float and 0 <= value < _MONEY_LIMIT:  # a number cell, as most are: the short way
        text = format(value, ".15g")
        # .15g writes no trailing zeros: without an exponent, the number is as _decimal would give it.
        if "e" not in text and ("." not in text or len(text) - text.index(".") <= 5):
            short = Decimal(text)
            if short < _MONEY_LIMIT:  # 15 digits may round up to it
                return short
    if isinstance(value, str):
        value = _CURRENCY.sub("", value.strip())
    number = _decimal(value)
    if number is None:
        return None
    if number < 0:
        raise CellProblem("Cannot be negative.")
    return _bounded(number, places=4, limit=_MONEY_LIMIT)


def _bounded(number: Decimal, *, places: int, limit: int) -> Decimal:
    exponent = number.as_tuple().exponent  # an int: the number is finite
    if isinstance(exponent, int) and exponent < -places:  # normalized, so 2.500 counts as 1 decimal
        raise CellProblem(f"Has more than {places} decimals.")
    if number >= limit:
        raise CellProblem("Too large.")
    return number


def _decimal(value: object) -> Decimal | None:
    """A number cell, or text with a decimal point or comma; thousands separators only when unambiguous."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellProblem("TRUE/FALSE, not a number.")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CellProblem("Not a number.")
        # Excel keeps 15 significant digits; beyond them a float carries only binary noise.
        text = format(value, ".15g")
        # Without an exponent, .15g writes no trailing zeros: the number is already as _normalized makes it.
        return Decimal(text) if "e" not in text else _normalized(Decimal(text))
    if isinstance(value, date | time | timedelta):
        raise CellProblem("A date or time, not a number.")
    text = str(value).strip()
    if match := _ONE_MARK.fullmatch(text):
        sign, whole, decimals = match.groups()
        if decimals is not None and len(decimals) == 3 and len(whole) <= 3 and not whole.startswith("0"):
            small = _normalized(Decimal(f"{whole}.{decimals}"))
            raise CellProblem(
                f"Ambiguous number: it could mean {whole}{decimals} or {small}; "
                "write it without a thousands separator."
            )
        return _normalized(Decimal(f"{sign}{whole}.{decimals or 0}"))
    for separator, pattern in _GROUPED.items():
        if pattern.fullmatch(text):
            decimal_mark = "." if separator == "," else ","
            return _normalized(Decimal(text.replace(separator, "").replace(decimal_mark, ".")))
    raise CellProblem("Not a number.")


def _normalized(number: Decimal) -> Decimal:
    if number.adjusted() > 20:
        raise CellProblem("Too large.")
    normal = number.normalize()
    # normalize() writes 100 as 1E+2; keep whole numbers with exponent 0.
    exponent = normal.as_tuple().exponent
    return normal.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else normal
