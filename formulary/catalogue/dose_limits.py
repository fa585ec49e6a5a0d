"""The clinic's maximum of a substance per session (e.g. lidocaine), which the check's `dose` finding reads."""

from decimal import Decimal, InvalidOperation

from formulary.audit.log import record
from formulary.catalogue.errors import CatalogueError
from formulary.catalogue.models import Substance
from formulary.extensions import db
from formulary.quantity import fmt_quantity

# A ceiling no per-session maximum in mg comes near: anything above is a typing slip.
HIGHEST_MG = Decimal(100_000)


def set_max_dose(substance: Substance, text: str | None, *, actor) -> Decimal | None:
    """Set (a number of mg, more than zero) or clear (blank) the substance's maximum per session."""
    typed = (text or "").strip().replace(",", ".").removesuffix("mg").strip()
    if not typed:
        value = None
    else:
        try:
            value = Decimal(typed)
        except InvalidOperation:
            raise CatalogueError(
                [("max_mg_per_session", f"Enter the maximum in mg, e.g. 200 (got {text!r}).")]) from None
        if not value.is_finite() or value <= 0 or value > HIGHEST_MG:
            raise CatalogueError([("max_mg_per_session",
                                   f"The maximum must be more than 0 and at most {HIGHEST_MG} mg (got {text!r}).")])
        value = value.quantize(Decimal("0.001"))
    substance.max_mg_per_session = value
    db.session.flush()
    said = f"{fmt_quantity(value)} mg" if value is not None else "none"
    record("substance.max_dose", actor=actor, target=substance, detail=f"{substance.name}: {said} per session")
    return value
