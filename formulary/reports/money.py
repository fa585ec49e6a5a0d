"""Money in the clinic's currency for reports and the digest: formulary/money.py's rules, with the
currency the clinic set (FORMULARY_CURRENCY)."""

from __future__ import annotations

from decimal import Decimal

from flask import current_app

from formulary.money import currency_of, money_formatter, round_money


def currency() -> str:
    """The clinic's currency code (EUR unless configured)."""
    return currency_of(current_app.config.get("CURRENCY"))[0]


def cents(amount: Decimal) -> Decimal:
    """An amount rounded to the currency's minor unit (cents for EUR, none for JPY), half up."""
    return round_money(amount, currency())


def format_money(amount: Decimal | float | int | None) -> str:
    """'€1,234.50' (the currency's symbol and decimals); an unknown amount is '—'."""
    return money_formatter(currency())(amount)
