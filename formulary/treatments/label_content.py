"""What a preparation's syringe label says, as plain values (read once from the database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from formulary.clinic_time import clinic_zone, in_zone
from formulary.cocktails.dose_queries import version_doses
from formulary.quantity import fmt_quantity
from formulary.treatments.preparation_models import Preparation
from formulary.treatments.prepared import aware
from formulary.vocabulary import ComponentRole, PreparationStatus


@dataclass(frozen=True)
class LabelLine:
    """One product in the syringe: strength, lot, expiry and volume."""

    product: str
    strength: str
    lot_number: str
    expiry: date
    volume: Decimal
    unit: str

    @property
    def text(self) -> str:
        """"HA 1% 2 mL (sodium hyaluronate 1%) 1.5 mL · lot 24A117 exp 2027-03-31"."""
        strength = f" ({self.strength})" if self.strength else ""
        return (f"{self.product}{strength} {fmt_quantity(self.volume)} {self.unit} · lot {self.lot_number} "
                f"exp {self.expiry:%Y-%m-%d}")


@dataclass(frozen=True)
class LabelContent:
    """Everything the label prints, and the text its 2D barcode holds."""

    reference: str  # PREP-12
    barcode: str
    patient: str
    date_of_birth: date | None
    patient_reference: str
    cocktail: str
    version: int
    lines: tuple[LabelLine, ...]
    total: Decimal
    total_unit: str
    syringes: int
    prepared_at: datetime
    use_by: datetime
    preparer: str
    wasted: bool
    waste_reason: str = ""
    dose_line: str = ""  # each substance's total per session that can be told in mg (cocktails/dose.py)

    @property
    def patient_line(self) -> str:
        """"Ana Silva · born 1990-04-02 · ref P-0012"."""
        born = f" · born {self.date_of_birth:%Y-%m-%d}" if self.date_of_birth else " · born (not recorded)"
        ref = f" · ref {self.patient_reference}" if self.patient_reference else ""
        return f"{self.patient}{born}{ref}"

    @property
    def total_line(self) -> str:
        """"Total 2.5 mL in 1 syringe"."""
        syringes = "1 syringe" if self.syringes == 1 else f"{self.syringes} syringes"
        return f"Total {fmt_quantity(self.total)} {self.total_unit} in {syringes}"

    @property
    def times_line(self) -> str:
        """"Prepared 2026-12-06 09:10 · use by 10:10 · by Dr Lee", on the clinic's clock."""
        return (f"Prepared {self.prepared_at:%Y-%m-%d %H:%M} · use by {self.use_by:%Y-%m-%d %H:%M} · "
                f"by {self.preparer}")


def _strength(product) -> str:
    """The product's actives with their strengths ("ascorbic acid 20%")."""
    return ", ".join(
        f"{part.substance.name} {part.strength}".strip()
        for part in product.composition if part.role == ComponentRole.ACTIVE and part.strength
    )


def label_content(preparation: Preparation) -> LabelContent:
    """The label of a preparation as it stands (a wasted one says so)."""
    from formulary.treatments.preparations import barcode_text

    session = preparation.session
    patient, version = session.patient, session.cocktail_version
    lines = []
    for draw in preparation.draws:
        product = draw.product
        lines.append(LabelLine(product.name, _strength(product), draw.lot.lot_number, draw.lot.expiry, draw.amount,
                               product.unit))
    units = {line.unit for line in lines}
    preparer = preparation.prepared_by
    return LabelContent(
        reference=f"PREP-{preparation.id}", barcode=barcode_text(preparation), patient=patient.name,
        date_of_birth=patient.date_of_birth, patient_reference=patient.reference or "",
        cocktail=version.cocktail.name, version=version.number, lines=tuple(lines),
        total=sum((line.volume for line in lines), Decimal(0)), total_unit=units.pop() if len(units) == 1 else "mL",
        syringes=preparation.syringes, prepared_at=in_zone(aware(preparation.prepared_at), clinic_zone()),
        use_by=in_zone(aware(preparation.use_by), clinic_zone()),
        preparer=(preparer.full_name or preparer.username) if preparer is not None else "unknown",
        wasted=preparation.status == PreparationStatus.WASTED, waste_reason=preparation.waste_reason,
        dose_line=_dose_line(version.id),
    )


def _dose_line(version_id: int) -> str:
    """'Dose: Lidocaine 50 mg · Hyaluronic acid 20 mg': the totals per session the recipe's strengths tell."""
    totals = [(dose.substance, total) for dose in version_doses(version_id) if (total := dose.total_mg) is not None]
    if not totals:
        return ""
    return "Dose: " + " · ".join(f"{substance} {fmt_quantity(total)} mg" for substance, total in totals)
