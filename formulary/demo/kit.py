"""The demo clinic's procedure kit: a numbing cream, a skin antiseptic and nitrile gloves, with latex
gloves in the catalogue as the alternative a clinic might still stock; and a maximum for lidocaine.

Brands are fictitious; compositions follow the usual products (a lidocaine/prilocaine 2.5 %/2.5 % cream,
chlorhexidine gluconate 2 % in 70 % isopropyl alcohol, nitrile or natural rubber latex gloves).
"""

from decimal import Decimal

from sqlalchemy import select

from formulary.catalogue.dose_limits import set_max_dose
from formulary.catalogue.lookup import find_substance
from formulary.catalogue.models import Product
from formulary.catalogue.products import ComponentData, ProductData, create_product
from formulary.catalogue.substances import add_substance
from formulary.cocktails.kit import ProcedureLine, default_kit, set_default_kit
from formulary.extensions import db
from formulary.reference.library import SubstanceCategory
from formulary.vocabulary import ComponentRole, PackageKind, ProcedureUse

A, E = ComponentRole.ACTIVE, ComponentRole.EXCIPIENT
CREAM = "Numbalis lidocaine/prilocaine cream 5% 30 g"
ANTISEPTIC = "Chlorasept chlorhexidine 2% in alcohol 250 mL"
NITRILE = "Nitrile examination gloves, box of 100 pairs"
LATEX = "Latex examination gloves, box of 100 pairs"
# Substances the reference library does not list: the clinic adds them as its own.
CLINIC_SUBSTANCES: list[tuple[str, str, list[str]]] = [
    ("isopropyl alcohol", SubstanceCategory.EXCIPIENT, ["isopropanol", "2-propanol"]),
    ("nitrile butadiene rubber", SubstanceCategory.ALLERGEN, ["nitrile rubber"]),
]
# (name, category, unit, unit size, what one unit is on the shelf, composition, use in the default kit or None)
PRODUCTS = [
    (CREAM, "anaesthetic", "g", 30, PackageKind.TUBE, [("lidocaine", A, "25 mg/g"), ("prilocaine", A, "25 mg/g"),
                                     ("polyoxyl 35 castor oil", E, ""), ("sodium hydroxide", E, "")],
     ProcedureUse.TOPICAL_ANAESTHETIC),
    (ANTISEPTIC, "other", "mL", 250, PackageKind.BOTTLE,
     [("chlorhexidine", A, "20 mg/mL"), ("isopropyl alcohol", E, "70 %")], ProcedureUse.ANTISEPTIC),
    (NITRILE, "other", "pair", 100, PackageKind.BOX, [("nitrile butadiene rubber", A, "")], ProcedureUse.GLOVES),
    (LATEX, "other", "pair", 100, PackageKind.BOX, [("natural rubber latex", A, "")], None),
]
# The product label's ceiling for lidocaine without epinephrine is 4.5 mg/kg and 300 mg in all (Xylocaine
# prescribing information); 200 mg is that 4.5 mg/kg for a 45 kg adult: a conservative clinic maximum.
LIDOCAINE_MAXIMUM = Decimal(200)


def load() -> list[str]:
    """Add the procedure products, the default kit and lidocaine's maximum, unless already there."""
    for name, category, synonyms in CLINIC_SUBSTANCES:
        if find_substance(name) is None:
            add_substance(name, category=category, synonyms=synonyms, actor=None)
    existing = set(db.session.scalars(select(Product.name)))
    missing = sorted({s for row in PRODUCTS for s, _r, _st in row[5] if find_substance(s) is None})
    if missing:
        return [f"Demo kit skipped: substances {', '.join(missing)} are not loaded."]
    created = 0
    for name, category, unit, size, package, composition, _use in PRODUCTS:
        if name in existing:
            continue
        create_product(ProductData(
            name=name, category=category, manufacturer="Demo Medical Supplies", unit=unit, unit_size=str(size),
            package=package, single_use=False, storage="Below 25 °C",
            composition=[ComponentData(substance=s, role=r, strength=st) for s, r, st in composition],
        ), actor=None)
        created += 1
    lines = [f"Demo procedure products: {created} added."] if created else []
    if not default_kit():
        ids = dict(db.session.execute(select(Product.name, Product.id)).all())
        set_default_kit([ProcedureLine(ids[name], use) for name, *_rest, use in PRODUCTS if use], actor=None)
        lines.append("Demo procedure kit: numbing cream, antiseptic and nitrile gloves.")
    lidocaine = find_substance("lidocaine")
    if lidocaine is not None and lidocaine.max_mg_per_session is None:
        set_max_dose(lidocaine, str(LIDOCAINE_MAXIMUM), actor=None)
        lines.append(f"Demo maximum per session: lidocaine {LIDOCAINE_MAXIMUM} mg.")
    return lines or ["Demo procedure kit already there."]
