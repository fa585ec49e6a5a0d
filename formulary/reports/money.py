"""Money in the clinic's currency: the one place reports and the digest format an amount.

Helper "count" adds the clinic's currency setting and its own formatter; at merge this function
can call that one (it reads the same CURRENCY setting).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask import current_app

CENTS = Decimal("0.01")


def currency() -> str:
    """The clinic's currency code (EUR unless configured)."""
    return str(current_app.config.get("CURRENCY", "EUR"))


def cents(amount: Decimal) -> Decimal:
    """An amount rounded to the cent, half up as an invoice rounds."""
    return Decimal(amount).quantize(CENTS, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal | float | int | None) -> str:
    """'1,234.50 EUR'; an unknown amount is '—'."""
    if amount is None:
        return "—"
    return f"{cents(Decimal(str(amount))):,.2f} {currency()}"
