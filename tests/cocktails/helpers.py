"""What the cocktail page and API tests share: a small catalogue with stock, and reading a page."""

import html
import re
from types import SimpleNamespace

from sqlalchemy import func, select

from formulary.cocktails.models import Cocktail, CocktailVersion
from formulary.extensions import db


def text(response) -> str:
    """The page as a person reads it: tags dropped, entities decoded, spaces collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(without_tags).split())


def counts() -> tuple[int, int]:
    """(cocktails, versions) in the database."""
    return (db.session.scalar(select(func.count()).select_from(Cocktail)),
            db.session.scalar(select(func.count()).select_from(CocktailVersion)))


def composer_form(name="Hydra glow", goals=("hydration",), rows=(), blank_rows=2, **fields) -> dict:
    """What a browser posts from the composer: rows of (product id, amount) and blank rows after them."""
    data = {"name": name, "goals": list(goals), "notes": "", "series_sessions": "", "series_interval_days": ""}
    for index, (product, amount) in enumerate(list(rows) + [("", "")] * blank_rows):
        data[f"components-{index}-product"] = str(getattr(product, "id", product))
        data[f"components-{index}-amount"] = amount
    data.update(fields)
    return data


def build_kit(make_goal, make_product, make_substance, make_lot) -> SimpleNamespace:
    """Three goals; HA, a vitamin B complex and lidocaine (2 mL single-use vials), each with a costed lot."""
    for goal in ("hydration", "brightening", "radiance"):
        make_goal(goal)
    make_substance("lidocaine", synonyms=["xylocaine", "lignocaine"])
    ha = make_product("Hydra HA 1% 2 mL", composition=[("sodium hyaluronate", "active"),
                                                       ("sodium chloride", "excipient")])
    vitb = make_product("Vitamin B complex 2 mL", category="vitamin",
                        composition=[("thiamine", "active"), ("methylparaben", "excipient")])
    lido = make_product("Lidocaine 2% 2 mL", category="anaesthetic",
                        composition=[("lidocaine", "active"), ("sodium chloride", "excipient")])
    make_lot(ha, quantity="10", unit_cost="5")
    make_lot(vitb, quantity="10", unit_cost="2")
    make_lot(lido, quantity="4", unit_cost="1.5")
    return SimpleNamespace(ha=ha, vitb=vitb, lido=lido)
