"""The demo clinic's cocktails: a dozen recipes across the nine treatment goals, some with several versions.

Built from the demo catalogue's products, with amounts, techniques and series as such
recipes typically use; loaded once (nothing is added when any cocktail exists).
"""

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select

from formulary.catalogue.lookup import find_goal
from formulary.catalogue.models import Product
from formulary.cocktails.models import Cocktail
from formulary.cocktails.recipes import (
    ComponentLine,
    RecipeData,
    create_cocktail,
    revise_cocktail,
    set_retired,
)
from formulary.extensions import db

HA_1, HA_15 = "Hydra Pure HA 1% 2 mL", "Hydra Pure HA 1.5% 1 mL"
VIT_B, VIT_C10, VIT_C20 = "Vitamin Complex B 2 mL", "Vitamin C 10% 2 mL", "Vitamin C 20% 5 mL"
GLUTATHIONE, TXA = "Glutathione 600 mg 5 mL", "Tranexamic Acid 5% 5 mL"
LIDOCAINE = "Lidocaine 2% 2 mL"
MATRIX, GHK = "Matrix Peptide 3 mL", "Copper Peptide GHK-Cu 2 mL"
PDRN, PN = "PDRN Salmon 5.6 mg 3 mL", "Polynucleotides HPT 2 mL"
NIACINAMIDE, ZINC = "Niacinamide 10% 5 mL", "Zinc + Copper Trace 2 mL"

# (name, goals, notes, series (sessions, days between), versions: each the components in draw-up
#  order as (product, mL per session), optionally with a changed series; retired)
# A version is a list of components, or (components, its own series).
Version = list[tuple[str, str]] | tuple[list[tuple[str, str]], tuple[int, int]]
COCKTAILS: list[tuple[str, list[str], str, tuple[int, int], list[Version], bool]] = [
    ("Hydra Glow", ["hydration", "radiance"],
     "Nappage over the full face and neck, 32G 4 mm needle at 1–2 mm; small papules along the dehydration "
     "lines of the cheeks. Gentle massage afterwards.",
     (4, 14), [[(HA_15, "1"), (VIT_B, "1")], [(HA_15, "1"), (VIT_B, "2")]], False),
    ("Bright Mesh", ["brightening"],
     "Nappage over the pigmented areas, 30G 4 mm at 1.5–2 mm; keep 1 cm from the orbital rim. "
     "SPF 50 every day of the series.",
     (4, 14), [[(TXA, "1"), (VIT_C10, "1")],
               [(TXA, "1"), (VIT_C10, "1"), (GLUTATHIONE, "1.5")],
               ([(TXA, "1.5"), (VIT_C10, "1"), (GLUTATHIONE, "1.5")], (6, 14))], False),
    ("Comfort Skin Booster", ["hydration", "rejuvenation"],
     "Micro-papules 1 cm apart over cheeks and jawline, 30G 4 mm at 2 mm. The lidocaine is drawn up last "
     "into the same syringe.",
     (3, 21), [[(HA_1, "2"), ("Amino Acid Complex 5 mL", "1"), (LIDOCAINE, "0.5")]], False),
    ("Revitalising 135", ["rejuvenation"],
     "Papules over the whole face, 32G 4 mm at 2 mm depth, 0.02–0.05 mL each; nappage on the neck.",
     (4, 14), [[("Polyrevita 135 Complex 3 mL", "3")]], False),
    ("Firm Contour", ["tightening"],
     "Linear retrograde threading along the jawline and the submental area, 30G 13 mm at 2–3 mm; "
     "nappage on the cheeks.",
     (6, 7), [[("DMAE 3% 5 mL", "2"), ("Organic Silicon 0.5% 5 mL", "2")]], False),
    ("Nucleo Texture", ["texture"],
     "Papules 1 cm apart over rough areas, 30G 4 mm at 2 mm; expect small bumps for a day.",
     (3, 21), [[(PN, "2"), (HA_15, "1")]], False),
    ("Pore Refine", ["pore refinement"],
     "Superficial nappage over the T-zone and the medial cheeks, 32G 4 mm at 1 mm.",
     (4, 14), [[(NIACINAMIDE, "2"), (ZINC, "1")]], False),
    ("Scar Remodel", ["acne-scar reduction", "texture"],
     "Papules into the base of each atrophic scar, 30G 4 mm at 2–2.5 mm; nappage over the surrounding skin.",
     (4, 28), [[(MATRIX, "1.5"), (GHK, "1")], [(MATRIX, "1.5"), (GHK, "1"), (PDRN, "1.5")]], False),
    ("Line Relax", ["relaxation"],
     "Micro-papules along forehead and crow's-feet lines, 32G 4 mm at 1 mm; no massage afterwards.",
     (4, 14), [[("Argireline Peptide 5% 2 mL", "1"), ("Magnesium Trace 2 mL", "1")]], False),
    ("Radiance Antioxidant", ["radiance", "brightening"],
     "Nappage over the whole face, 32G 4 mm at 1–1.5 mm.",
     (5, 10), [[(GLUTATHIONE, "2"), (VIT_C20, "1"), ("Alpha-Lipoic Acid 3% 5 mL", "1")]], False),
    ("Eye Contour Refresh", ["tightening", "hydration"],
     "Micro-papules below the orbital rim only, 32G 4 mm at 1 mm, 0.01 mL each; press lightly.",
     (3, 14), [[(HA_1, "1"), (MATRIX, "0.5"), (GHK, "0.5")]], False),
    ("Clear Skin Balance", ["pore refinement", "acne-scar reduction"],
     "Nappage avoiding active lesions, 30G 4 mm at 1.5 mm; not on inflamed skin.",
     (4, 14), [[(NIACINAMIDE, "1"), (ZINC, "1"), ("Biotin 5 mg/mL 1 mL", "1"),
                ("Centella Asiatica 2 mL", "1")]], False),
    ("Classic C Boost", ["brightening"],
     "Nappage, 30G 4 mm at 1.5 mm. Replaced by Bright Mesh.",
     (4, 14), [[(VIT_C20, "2"), (VIT_B, "1")]], True),
]


def _backdate(cocktail: Cocktail, today) -> None:
    """Spread the versions over the past months, so the history reads like a clinic's."""
    count = len(cocktail.versions)
    for index, version in enumerate(cocktail.versions):
        days_ago = 30 + 60 * (count - 1 - index)
        version.created_at = datetime.combine(today - timedelta(days=days_ago), time(10, 30), tzinfo=UTC)
    cocktail.created_at = cocktail.versions[0].created_at


def load(today) -> list[str]:
    """Compose the demo cocktails, unless any cocktail is already there."""
    if db.session.scalar(select(func.count()).select_from(Cocktail)):
        return ["Demo cocktails already there."]
    needed_goals = {goal for row in COCKTAILS for goal in row[1]}
    missing = sorted(goal for goal in needed_goals if find_goal(goal) is None)
    if missing:
        return [f"Demo cocktails skipped: treatment goals {', '.join(missing)} are not loaded."]
    products = dict(db.session.execute(select(Product.name, Product.id)).all())
    created, skipped = 0, []
    for name, goals, notes, series, versions, retired in COCKTAILS:
        recipes = []
        for version in versions:
            lines, version_series = version if isinstance(version, tuple) else (version, series)
            recipes.append(RecipeData(
                name=name, goals=goals, notes=notes, series_sessions=version_series[0],
                series_interval_days=version_series[1],
                components=[ComponentLine(products.get(product), amount) for product, amount in lines],
            ))
        if any(line.product_id is None for recipe in recipes for line in recipe.components):
            skipped.append(name)
            continue
        cocktail = create_cocktail(recipes[0], actor=None)
        for recipe in recipes[1:]:
            revise_cocktail(cocktail, recipe, actor=None)
        if retired:
            set_retired(cocktail, True, actor=None)
        _backdate(cocktail, today)
        created += 1
    db.session.flush()
    report = [f"Demo cocktails: {created} composed."]
    if skipped:
        report.append(f"  (skipped for want of their products: {', '.join(skipped)})")
    return report
