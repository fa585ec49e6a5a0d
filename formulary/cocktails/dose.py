"""Dose per session: each substance's total amount in one session of a cocktail version, from each
product's strength × the volume drawn, against the clinic's maximum. Plain values in and out.

The composer, the session page, the label and the check all call `doses_per_session`
(formulary.safety.dose turns an amount over the clinic's maximum into a `dose` finding).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from formulary.quantity import fmt_quantity

ML = "mL"
# "20 mg/mL", "2 %", "25 mg", "500 mcg/mL", "1,5 mg/ml": a number, then a unit.
_STRENGTH = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(%|mg\s*/\s*ml|mcg\s*/\s*ml|µg\s*/\s*ml|ug\s*/\s*ml|g\s*/\s*l|mg)\s*$",
                       re.IGNORECASE)


@dataclass(frozen=True)
class DoseLine:
    """One substance in one product of the cocktail, and how much of that product a session draws."""

    substance_id: int
    substance: str
    product: str
    strength: str  # as printed on the product ("2 %", "20 mg/mL", "25 mg" per unit)
    amount: Decimal  # per session, in the product's unit
    unit: str  # the product's stock unit
    unit_size: Decimal  # how much of the unit one vial holds ("25 mg" per 2 mL ampoule)


@dataclass(frozen=True)
class DosePart:
    """What one product brings of a substance: its strength × the amount drawn, in mg (None: unknown)."""

    product: str
    strength: str
    amount: Decimal
    unit: str
    mg: Decimal | None

    @property
    def arithmetic(self) -> str:
        """'2 % × 2.5 mL' (the product named when the reader needs it: see SubstanceDose.arithmetic)."""
        return f"{self.strength.strip()} × {fmt_quantity(self.amount)} {self.unit}"


@dataclass(frozen=True)
class SubstanceDose:
    """A substance's total per session across the cocktail's products, and the clinic's maximum."""

    substance_id: int
    substance: str
    parts: tuple[DosePart, ...]
    maximum_mg: Decimal | None = None

    @property
    def total_mg(self) -> Decimal | None:
        """The total in mg, when every part's strength could be read."""
        if any(part.mg is None for part in self.parts):
            return None
        return sum((part.mg for part in self.parts if part.mg is not None), Decimal(0))

    @property
    def over(self) -> bool:
        """Whether the total is above the clinic's maximum."""
        total = self.total_mg
        return total is not None and self.maximum_mg is not None and total > self.maximum_mg

    @property
    def arithmetic(self) -> str:
        """'Lidocaine 2 % × 2.5 mL = 50 mg; clinic maximum 40 mg'."""
        named = len(self.parts) > 1
        terms = " + ".join(
            part.arithmetic + (f" ({part.product})" if named else "") for part in self.parts
        )
        total = self.total_mg
        text = f"{self.substance} {terms} = " + (f"{fmt_quantity(total)} mg" if total is not None
                                                  else "unknown (a strength is not in mg)")
        if self.maximum_mg is not None:
            text += f"; clinic maximum {fmt_quantity(self.maximum_mg)} mg"
        return text


def mg_per_ml(strength: str, unit: str, unit_size: Decimal) -> Decimal | None:
    """The strength as mg per mL of the product, or None when it cannot be read as a concentration.

    "2 %" is w/v (2 g per 100 mL = 20 mg/mL); "25 mg" alone is per vial, spread over its unit_size mL.
    """
    match = _STRENGTH.match(strength or "")
    if match is None or unit != ML:
        return None
    try:
        number = Decimal(match.group(1).replace(",", "."))
    except InvalidOperation:
        return None
    per = re.sub(r"\s+", "", match.group(2).lower())
    if per == "%":
        return number * 10
    if per in ("mg/ml", "g/l"):
        return number
    if per in ("mcg/ml", "µg/ml", "ug/ml"):
        return number / 1000
    return number / unit_size if unit_size > 0 else None  # "mg": per vial


def doses_per_session(lines: list[DoseLine], maxima: dict[int, Decimal]) -> list[SubstanceDose]:
    """Each substance's total per session (lines in the cocktail's order), with its maximum if the
    clinic set one. Substances with no strength stated anywhere are left out: nothing to add up."""
    parts: dict[int, list[DosePart]] = {}
    names: dict[int, str] = {}
    for line in lines:
        if not (line.strength or "").strip():
            continue
        per_ml = mg_per_ml(line.strength, line.unit, line.unit_size)
        mg = (per_ml * line.amount).normalize() if per_ml is not None else None
        names[line.substance_id] = line.substance
        parts.setdefault(line.substance_id, []).append(
            DosePart(line.product, line.strength, line.amount, line.unit, mg))
    return [SubstanceDose(sid, names[sid], tuple(found), maxima.get(sid)) for sid, found in parts.items()]
