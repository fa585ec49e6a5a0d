"""The demo clinic's catalogue: about forty products built on the reference substances.

Brands are fictitious; compositions follow what such products typically contain,
excipients included, because the pre-session check reads them.
"""

from sqlalchemy import select

from formulary.catalogue.gtin import gtin_check_digit
from formulary.catalogue.models import Product
from formulary.catalogue.products import ComponentData, ProductData, create_product
from formulary.extensions import db
from formulary.vocabulary import ComponentRole, ContraindicationSeverity

A, E = ComponentRole.ACTIVE, ComponentRole.EXCIPIENT
BLOCK, CAUTION = ContraindicationSeverity.BLOCK, ContraindicationSeverity.CAUTION
WATER = ("water for injection", E, "")
SALINE = ("sodium chloride", E, "9 mg/mL")
PHOSPHATE = [("disodium hydrogen phosphate", E, ""), ("sodium dihydrogen phosphate", E, "")]
NO_INFECTION = [("active skin infection", BLOCK), ("herpes simplex outbreak", BLOCK)]
HA_CONDITIONS = NO_INFECTION + [("pregnancy", CAUTION), ("autoimmune disease", CAUTION)]

# (name, category, manufacturer, unit size in mL, single use, reorder level in mL, margin days,
#  composition, contraindications)
PRODUCTS = [
    ("Hydra Pure HA 1% 2 mL", "hyaluronic acid", "Lumière Derm", 2, True, 20, 0,
     [("sodium hyaluronate", A, "10 mg/mL"), SALINE, *PHOSPHATE, WATER], HA_CONDITIONS),
    ("Hydra Pure HA 1.5% 1 mL", "hyaluronic acid", "Lumière Derm", 1, True, 10, 0,
     [("sodium hyaluronate", A, "15 mg/mL"), SALINE, *PHOSPHATE, WATER], HA_CONDITIONS),
    ("AquaBoost HA 0.7% 5 mL", "hyaluronic acid", "Aqualis Labs", 5, True, 25, 0,
     [("sodium hyaluronate", A, "7 mg/mL"), SALINE, WATER], HA_CONDITIONS),
    ("Skin Booster HA 2% + Lidocaine 1 mL", "hyaluronic acid", "Aqualis Labs", 1, True, 10, 0,
     [("sodium hyaluronate", A, "20 mg/mL"), ("lidocaine", A, "3 mg/mL"), *PHOSPHATE, WATER], HA_CONDITIONS),
    ("Crest HA Avian 1% 2 mL", "hyaluronic acid", "Gallica Bio", 2, True, 10, 0,
     [("sodium hyaluronate (avian-derived)", A, "10 mg/mL"), SALINE, WATER], HA_CONDITIONS),
    ("Polyrevita 135 Complex 3 mL", "hyaluronic acid", "Revitalis", 3, True, 15, 0,
     [("sodium hyaluronate", A, "5 mg/mL"), ("ascorbic acid", A, ""), ("thiamine", A, ""),
      ("riboflavin", A, ""), ("niacinamide", A, ""), ("pyridoxine", A, ""), ("cyanocobalamin", A, ""),
      ("glycine", A, ""), ("proline", A, ""), ("lysine", A, ""), ("arginine", A, ""), ("glutathione", A, ""),
      ("zinc", A, ""), ("copper", A, ""), ("magnesium", A, ""), ("cocarboxylase", A, ""), SALINE, WATER],
     HA_CONDITIONS + [("breastfeeding", CAUTION)]),
    ("Vitamin C 20% 5 mL", "vitamin", "Nutriderm", 5, True, 25, 30,
     [("ascorbic acid", A, "200 mg/mL"), ("sodium hydroxide", E, ""), ("disodium edetate", E, ""),
      ("sodium metabisulfite", E, "1 mg/mL"), WATER], NO_INFECTION),
    ("Vitamin C 10% 2 mL", "vitamin", "Nutriderm", 2, True, 10, 30,
     [("ascorbic acid", A, "100 mg/mL"), ("sodium bicarbonate", E, ""), WATER], NO_INFECTION),
    ("Vitamin Complex B 2 mL", "vitamin", "Nutriderm", 2, True, 20, 0,
     [("thiamine", A, "25 mg"), ("riboflavin sodium phosphate", A, "2 mg"), ("niacinamide", A, "50 mg"),
      ("dexpanthenol", A, "5 mg"), ("pyridoxine", A, "10 mg"), ("methylparaben", E, "1.8 mg/mL"),
      ("propylparaben", E, "0.2 mg/mL"), WATER], NO_INFECTION),
    ("Vitamin B12 1 mg/mL 1 mL", "vitamin", "Nutriderm", 1, True, 10, 0,
     [("cyanocobalamin", A, "1 mg/mL"), SALINE, WATER], NO_INFECTION),
    ("Hydroxocobalamin 2.5 mg 2 mL", "vitamin", "Cobalis", 2, True, 10, 0,
     [("hydroxocobalamin", A, "1.25 mg/mL"), ("sodium acetate", E, ""), WATER], NO_INFECTION),
    ("Biotin 5 mg/mL 1 mL", "vitamin", "Nutriderm", 1, True, 5, 0,
     [("biotin", A, "5 mg/mL"), ("benzyl alcohol", E, "9 mg/mL"), WATER], NO_INFECTION),
    ("Dexpanthenol 250 mg 2 mL", "vitamin", "Nutriderm", 2, True, 10, 0,
     [("dexpanthenol", A, "125 mg/mL"), WATER], NO_INFECTION),
    ("Vitamin A + E 2 mL", "vitamin", "Lumière Derm", 2, True, 6, 0,
     [("retinyl palmitate", A, ""), ("tocopheryl acetate", A, ""), ("polysorbate 80", E, ""), WATER],
     NO_INFECTION + [("pregnancy", BLOCK), ("breastfeeding", BLOCK), ("recent isotretinoin", BLOCK)]),
    ("Vitamin K1 10 mg/mL 1 mL", "vitamin", "Cobalis", 1, True, 20, 0,
     [("phytonadione", A, "10 mg/mL"), ("polyoxyl 35 castor oil", E, ""), WATER],
     NO_INFECTION + [("anticoagulant therapy", BLOCK)]),
    ("Niacinamide 10% 5 mL", "vitamin", "Aqualis Labs", 5, True, 10, 0,
     [("niacinamide", A, "100 mg/mL"), ("phenoxyethanol", E, ""), WATER], NO_INFECTION),
    ("Glutathione 600 mg 5 mL", "antioxidant", "Clarté Pharma", 5, True, 25, 0,
     [("glutathione", A, "120 mg/mL"), ("sodium bicarbonate", E, ""), WATER],
     NO_INFECTION + [("pregnancy", CAUTION)]),
    ("Alpha-Lipoic Acid 3% 5 mL", "antioxidant", "Clarté Pharma", 5, True, 10, 0,
     [("alpha-lipoic acid", A, "30 mg/mL"), ("trometamol", E, ""), WATER], NO_INFECTION),
    ("Coenzyme Q10 Liposomal 2 mL", "antioxidant", "Revitalis", 2, True, 6, 0,
     [("coenzyme Q10", A, ""), ("phosphatidylcholine", E, ""), ("polysorbate 80", E, ""), WATER],
     NO_INFECTION),
    ("N-Acetylcysteine 10% 3 mL", "antioxidant", "Clarté Pharma", 3, True, 6, 0,
     [("acetylcysteine", A, "100 mg/mL"), ("disodium edetate", E, ""), ("sodium hydroxide", E, ""), WATER],
     NO_INFECTION),
    ("Resveratrol Ferulic 2 mL", "antioxidant", "Revitalis", 2, True, 4, 0,
     [("resveratrol", A, ""), ("ferulic acid", A, ""), ("propylene glycol", E, ""), WATER], NO_INFECTION),
    ("Amino Acid Complex 5 mL", "amino acid", "Revitalis", 5, True, 10, 0,
     [("glycine", A, ""), ("proline", A, ""), ("lysine", A, ""), ("arginine", A, ""), ("leucine", A, ""),
      ("valine", A, ""), ("isoleucine", A, ""), WATER], NO_INFECTION),
    ("Copper Peptide GHK-Cu 2 mL", "peptide", "Peptiva", 2, True, 6, 0,
     [("copper tripeptide-1", A, "1 mg/mL"), SALINE, WATER], NO_INFECTION + [("pregnancy", CAUTION)]),
    ("Argireline Peptide 5% 2 mL", "peptide", "Peptiva", 2, True, 4, 0,
     [("acetyl hexapeptide-8", A, "50 mg/mL"), WATER], NO_INFECTION),
    ("Matrix Peptide 3 mL", "peptide", "Peptiva", 3, True, 6, 0,
     [("palmitoyl pentapeptide-4", A, ""), ("glycerol", E, ""), ("polysorbate 20", E, ""), WATER],
     NO_INFECTION),
    ("Growth Factor Oligopeptide 2 mL", "peptide", "Peptiva", 2, True, 30, 0,
     [("sh-oligopeptide-1", A, ""), ("sh-polypeptide-1", A, ""), ("mannitol", E, "")],
     NO_INFECTION + [("cancer under treatment", BLOCK), ("pregnancy", BLOCK)]),
    ("Tranexamic Acid 5% 5 mL", "other", "Clarté Pharma", 5, True, 20, 0,
     [("tranexamic acid", A, "50 mg/mL"), WATER], NO_INFECTION + [("pregnancy", CAUTION)]),
    ("DMAE 3% 5 mL", "other", "Tensiline", 5, True, 10, 0,
     [("deanol", A, "30 mg/mL"), ("benzyl alcohol", E, ""), WATER],
     NO_INFECTION + [("pregnancy", BLOCK), ("breastfeeding", BLOCK)]),
    ("Organic Silicon 0.5% 5 mL", "other", "Tensiline", 5, True, 10, 0,
     [("monomethylsilanetriol", A, "5 mg/mL"), SALINE, WATER], NO_INFECTION),
    ("PDRN Salmon 5.6 mg 3 mL", "other", "Nucleo Bio", 3, True, 9, 0,
     [("polydeoxyribonucleotide", A, "1.875 mg/mL"), SALINE, WATER],
     NO_INFECTION + [("autoimmune disease", CAUTION)]),
    ("Polynucleotides HPT 2 mL", "other", "Nucleo Bio", 2, True, 6, 0,
     [("polynucleotides", A, "20 mg/mL"), SALINE, WATER], NO_INFECTION),
    ("Zinc + Copper Trace 2 mL", "mineral", "Oligomed", 2, True, 4, 0,
     [("zinc", A, ""), ("copper", A, ""), WATER], NO_INFECTION),
    ("Magnesium Trace 2 mL", "mineral", "Oligomed", 2, True, 4, 0,
     [("magnesium", A, ""), WATER], NO_INFECTION),
    ("Selenium Trace 2 mL", "mineral", "Oligomed", 2, True, 4, 0,
     [("selenium", A, ""), WATER], NO_INFECTION),
    ("Centella Asiatica 2 mL", "other", "Botanica Meso", 2, True, 4, 0,
     [("centella asiatica extract", A, ""), ("propylene glycol", E, ""), ("methylparaben", E, ""), WATER],
     NO_INFECTION),
    ("Artichoke Extract 5 mL", "other", "Botanica Meso", 5, True, 10, 0,
     [("artichoke leaf extract", A, ""), ("phenoxyethanol", E, ""), WATER], NO_INFECTION),
    ("Lidocaine 2% 2 mL", "anaesthetic", "Anestica", 2, True, 20, 0,
     [("lidocaine", A, "20 mg/mL"), SALINE, ("sodium hydroxide", E, ""), WATER], []),
    ("Lidocaine 1% with Epinephrine 20 mL", "anaesthetic", "Anestica", 20, False, 20, 0,
     [("lidocaine", A, "10 mg/mL"), ("epinephrine", A, "5 µg/mL"), ("sodium metabisulfite", E, ""),
      ("methylparaben", E, "1 mg/mL"), SALINE, WATER], [("severe cardiovascular disease", CAUTION)]),
    ("Procaine 1% 2 mL", "anaesthetic", "Anestica", 2, True, 30, 0,
     [("procaine", A, "10 mg/mL"), SALINE, WATER], []),
    ("Mepivacaine 3% 1.8 mL", "anaesthetic", "Anestica", 1.8, True, 9, 0,
     [("mepivacaine", A, "30 mg/mL"), SALINE, WATER], []),
    ("Sodium Chloride 0.9% 10 mL", "diluent", "Infusa", 10, True, 50, 0, [SALINE, WATER], []),
    ("Water for Injection 5 mL", "diluent", "Infusa", 5, True, 25, 0, [("water for injection", A, "")], []),
    ("Bacteriostatic Saline 0.9% 30 mL", "diluent", "Infusa", 30, False, 30, 0,
     [SALINE, ("benzyl alcohol", E, "9 mg/mL"), WATER], []),
]


def demo_gtin(index: int) -> str:
    """A valid GTIN-13 in the 200–299 range, which GS1 reserves for in-store use."""
    body = f"2009876{index:05d}"
    return body + str(gtin_check_digit(body))


def load() -> list[str]:
    """Create the demo products that do not exist yet."""
    existing = set(db.session.scalars(select(Product.name)))
    created = 0
    for index, row in enumerate(PRODUCTS, start=1):
        name, category, maker, size, single_use, reorder, margin, composition, conditions = row
        if name in existing:
            continue
        create_product(
            ProductData(
                name=name, category=category, manufacturer=maker, gtin=demo_gtin(index), unit="mL",
                unit_size=str(size), single_use=single_use,
                opened_shelf_life_days=None if single_use else 28,
                storage="2–8 °C" if category in ("peptide", "hyaluronic acid") else "Below 25 °C",
                reorder_level=str(reorder), expiry_margin_days=margin,
                composition=[ComponentData(substance=s, role=r, strength=st) for s, r, st in composition],
                contraindications=list(conditions),
            ),
            actor=None,
        )
        created += 1
    return [f"Demo catalogue: {created} products added."] if created else ["Demo catalogue already there."]
