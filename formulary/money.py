"""Money in the clinic's currency (ISO 4217): the right symbol and the right number of decimals.

One function, fmt_money, used by every page, workbook and message that shows a cost or a
value (the Jinja filter `money` calls it with FORMULARY_CURRENCY). Decimals follow ISO 4217's
minor units (EUR 2, JPY 0, KWD 3); the symbol is the one people read in a price list.
"""

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

DEFAULT_CURRENCY = "EUR"

# code: (symbol, decimals). Symbols in letters (CHF, kr) stand apart from the amount by a space.
CURRENCIES: dict[str, tuple[str, int]] = {
    "EUR": ("€", 2), "USD": ("$", 2), "GBP": ("£", 2), "CHF": ("CHF", 2), "JPY": ("¥", 0),
    "CAD": ("CA$", 2), "AUD": ("A$", 2), "NZD": ("NZ$", 2), "SGD": ("S$", 2), "HKD": ("HK$", 2),
    "CNY": ("CN¥", 2), "KRW": ("₩", 0), "INR": ("₹", 2), "SEK": ("kr", 2), "NOK": ("kr", 2),
    "DKK": ("kr", 2), "ISK": ("kr", 0), "PLN": ("zł", 2), "CZK": ("Kč", 2), "HUF": ("Ft", 2),
    "RON": ("lei", 2), "BGN": ("лв", 2), "TRY": ("₺", 2), "ILS": ("₪", 2), "AED": ("AED", 2),
    "SAR": ("SAR", 2), "QAR": ("QAR", 2), "KWD": ("KWD", 3), "BHD": ("BHD", 3), "OMR": ("OMR", 3),
    "JOD": ("JOD", 3), "TND": ("TND", 3), "ZAR": ("R", 2), "BRL": ("R$", 2), "MXN": ("MX$", 2),
    "ARS": ("AR$", 2), "CLP": ("CLP", 0), "COP": ("COP", 2), "PEN": ("S/", 2), "THB": ("฿", 2),
    "TWD": ("NT$", 2), "VND": ("₫", 0), "IDR": ("Rp", 2), "MYR": ("RM", 2), "PHP": ("₱", 2),
    "UAH": ("₴", 2), "RUB": ("₽", 2), "MAD": ("MAD", 2), "EGP": ("E£", 2),
}


def currency_of(code: str | None) -> tuple[str, str, int]:
    """(code, symbol, decimals) of an ISO 4217 code; an unknown code shows as itself with 2 decimals."""
    code = (code or DEFAULT_CURRENCY).strip().upper()
    symbol, decimals = CURRENCIES.get(code, (code, 2))
    return code, symbol, decimals


def is_currency_code(code: str) -> bool:
    """Three capital letters, as ISO 4217 writes a currency."""
    return len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()


def round_money(amount, code: str | None = None) -> Decimal:
    """The amount rounded to the currency's minor unit (half up, as a till does)."""
    _code, _symbol, decimals = currency_of(code)
    return _rounded(amount, Decimal(1).scaleb(-decimals))


def _rounded(amount, minor_unit: Decimal) -> Decimal:
    return Decimal(amount).quantize(minor_unit, rounding=ROUND_HALF_UP)  # half up, as a till does


def fmt_money(amount, code: str | None = None) -> str:
    """12.5 EUR → "€12.50"; 1200 JPY → "¥1,200"; 8 CHF → "CHF 8.00"; negative → "−€3.00"; None → "—"."""
    return money_formatter(code)(amount)


@cache
def money_formatter(code: str | None = None) -> Callable[[object], str]:
    """fmt_money for one currency, its symbol and decimals looked up once (a report page shows a thousand
    amounts)."""
    _code, symbol, decimals = currency_of(code)
    minor_unit = Decimal(1).scaleb(-decimals)
    gap = " " if symbol[-1].isalpha() else ""

    def formatted(amount) -> str:
        if amount is None or amount == "":
            return "—"
        try:
            value = _rounded(amount, minor_unit)
        except (InvalidOperation, ValueError, TypeError):
            return str(amount)
        return f"{'−' if value < 0 else ''}{symbol}{gap}{abs(value):,.{decimals}f}"

    return formatted


def excel_money_format(code: str | None = None, *, extra_decimals: int = 0) -> str:
    """A spreadsheet number format with the currency's symbol and decimals: '"€"#,##0.00'.

    `extra_decimals` optional places after the minor unit (a unit cost per mL may be 0.0125).
    """
    _code, symbol, decimals = currency_of(code)
    gap = " " if symbol[-1].isalpha() else ""
    places = "0" * decimals + "#" * extra_decimals
    quoted = symbol.replace('"', "")
    return f'"{quoted}{gap}"#,##0' + (f".{places}" if decimals else "")
