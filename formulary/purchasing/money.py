"""Money in the clinic's currency, until the shared formatter lands (helper "count" adds one: swap it in here)."""

from decimal import ROUND_HALF_UP, Decimal

from flask import current_app


def format_money(value: Decimal | None) -> str:
    """12.5 → "12.50 EUR": two decimals and the clinic's currency code (FORMULARY_CURRENCY)."""
    if value is None:
        return "—"
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{amount:,.2f} {current_app.config.get('CURRENCY', 'EUR')}"
