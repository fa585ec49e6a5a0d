"""Browsing cocktails by goal, name and substance; a cocktail's page, its old versions and a comparison."""

import re

import pytest
from sqlalchemy import event

from formulary.catalogue.models import Product, TreatmentGoal
from formulary.cocktails.recipes import ComponentLine, RecipeData, revise_cocktail, set_retired
from formulary.extensions import db
from tests.cocktails.helpers import build_kit, text
from tests.conftest import post_form


@pytest.fixture
def kit(make_goal, make_product, make_substance, make_lot):
    return build_kit(make_goal, make_product, make_substance, make_lot)


def names(response) -> list[str]:
    """The cocktail names on the browse page's cards, in order."""
    return re.findall(r'<h2 class="h5 card-title mb-1"><a href="/cocktails/\d+">([^<]+)</a>',
                      response.get_data(as_text=True))


def recipe(name, lines, goals=("hydration",)):
    return RecipeData(name=name, goals=list(goals), components=[ComponentLine(p.id, a) for p, a in lines])


def test_browse_by_goal_shows_each_cocktails_current_goals(client, login_as, kit, make_cocktail):
    make_cocktail("Hydra glow", [(kit.ha, "1"), (kit.vitb, "1")], goals=["hydration", "radiance"])
    make_cocktail("Bright", [(kit.vitb, "2")], goals=["brightening"])
    moved = make_cocktail("Was hydration", [(kit.ha, "2")], goals=["hydration"])
    revise_cocktail(moved, recipe("Was hydration", [(kit.ha, "2")], goals=["brightening"]), actor=None)
    db.session.commit()
    login_as("manager")
    assert names(client.get("/cocktails/")) == ["Bright", "Hydra glow", "Was hydration"]
    hydration = client.get("/cocktails/?goal=hydration")
    assert names(hydration) == ["Hydra glow"]
    page = text(hydration)
    assert "Cocktails for hydration" in page
    assert "Hydra glow Hydration Radiance Version 1 · 2 mL · 2 components" in page
    assert "Hydration 1" in page and "Brightening 2" in page and "All goals 3" in page
    assert names(client.get("/cocktails/?goal=Brightening")) == ["Bright", "Was hydration"]
    unknown = text(client.get("/cocktails/?goal=unicorns"))
    assert "There is no treatment goal called 'unicorns'." in unknown and "No cocktails match" in unknown


def test_search_by_substance_finds_it_by_a_synonym_in_the_current_version_only(
    client, login_as, kit, make_cocktail
):
    make_cocktail("Comfort booster", [(kit.ha, "2"), (kit.lido, "0.5")])
    make_cocktail("Plain", [(kit.ha, "2")])
    dropped = make_cocktail("Used to numb", [(kit.ha, "1"), (kit.lido, "0.5")])
    revise_cocktail(dropped, recipe("Used to numb", [(kit.ha, "1")]), actor=None)
    db.session.commit()
    login_as("practitioner")
    response = client.get("/cocktails/?substance=XYLOCAINE")
    assert names(response) == ["Comfort booster"]
    page = text(response)
    assert "contains lidocaine (found as “XYLOCAINE”)" in page
    assert "Lidocaine from: Lidocaine 2% 2 mL" in page
    # An excipient counts too: sodium chloride is in the HA and the lidocaine.
    assert names(client.get("/cocktails/?substance=sodium+chloride")) == ["Comfort booster", "Plain", "Used to numb"]
    assert names(client.get("/cocktails/?substance=lidocaine&goal=brightening")) == []
    missing = text(client.get("/cocktails/?substance=unobtainium"))
    assert "No substance or synonym called 'unobtainium' is in the catalogue." in missing


def test_search_by_name_and_pages(app, client, login_as, kit, make_cocktail, monkeypatch):
    for name in ("Glow one", "Glow two", "Bright", "Glow three"):
        make_cocktail(name, [(kit.ha, "1")])
    db.session.commit()
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    login_as("manager")
    assert names(client.get("/cocktails/?q=GLOW")) == ["Glow one", "Glow three"]
    second = client.get("/cocktails/?q=glow&page=2")
    assert names(second) == ["Glow two"]
    assert "3–3 of 3" in text(second)
    assert 'href="/cocktails/?q=glow&amp;page=1"' in second.get_data(as_text=True)


def test_empty_states(client, login_as, kit):
    login_as("manager")
    page = client.get("/cocktails/").get_data(as_text=True)
    assert "No cocktails yet" in page and 'href="/cocktails/new"' in page
    assert "No cocktails match" in text(client.get("/cocktails/?q=nothing"))


def test_retired_cocktails_show_last_with_a_badge(client, login_as, kit, make_cocktail):
    old = make_cocktail("Aardvark", [(kit.ha, "1")])
    make_cocktail("Zebra", [(kit.ha, "1")])
    set_retired(old, True, actor=None)
    db.session.commit()
    login_as("manager")
    response = client.get("/cocktails/")
    assert names(response) == ["Zebra", "Aardvark"]
    assert "Aardvark retired" in text(response)


def test_the_cocktail_page_shows_recipe_substances_cost_notes_and_history(client, login_as, kit, make_cocktail):
    cocktail = make_cocktail("Hydra glow", [(kit.ha, "1"), (kit.vitb, "1")], goals=["hydration"],
                             notes="Nappage 4 mm, 30G.", series_sessions=4, series_interval_days=14)
    revise_cocktail(cocktail, RecipeData(
        name="Hydra glow", goals=["hydration", "radiance"], notes="Nappage 4 mm, 30G.", series_sessions=4,
        series_interval_days=14, components=[ComponentLine(kit.ha.id, "1"), ComponentLine(kit.lido.id, "0.5")],
    ), actor=None)
    db.session.commit()
    login_as("manager")
    response = client.get(f"/cocktails/{cocktail.id}")
    assert response.status_code == 200
    page = text(response)
    assert "Hydra glow Version 2 Hydration Radiance" in page
    assert "1 Hydra HA 1% 2 mL Hyaluronic acid 1 mL €10.00" in page
    assert "2 Lidocaine 2% 2 mL Anaesthetic 0.5 mL €3.00" in page
    assert "Total volume 1.5 mL €13.00" in page
    assert "lidocaine active Lidocaine 2% 2 mL" in page
    assert "sodium chloride excipient Hydra HA 1% 2 mL; Lidocaine 2% 2 mL" in page
    assert "Nappage 4 mm, 30G." in page and "Suggested series: 4 sessions, every 14 days" in page
    history = page.split("History", 1)[1]
    assert "Version 2 current" in history
    assert "Added Lidocaine 2% 2 mL: 0.5 mL. Removed Vitamin B complex 2 mL. Goal added: radiance." in history
    assert "Version 1" in history and "First version." in history
    html = response.get_data(as_text=True)
    assert f'href="/catalogue/products/{kit.ha.id}"' in html
    assert f'href="/cocktails/{cocktail.id}/compare?a=1&amp;b=2"' in html


def test_old_versions_stay_readable_and_compare(client, login_as, kit, make_cocktail):
    cocktail = make_cocktail("Glow", [(kit.ha, "1"), (kit.vitb, "1")])
    revise_cocktail(cocktail, recipe("Glow", [(kit.ha, "1.5"), (kit.vitb, "1")]), actor=None)
    revise_cocktail(cocktail, recipe("Glow", [(kit.ha, "1.5")]), actor=None)
    db.session.commit()
    login_as("practitioner")
    first = text(client.get(f"/cocktails/{cocktail.id}/versions/1"))
    assert "Glow version 1 superseded" in first
    assert "Vitamin B complex 2 mL Vitamin 1 mL" in first and "The cocktail is now at version 3" in first
    second = text(client.get(f"/cocktails/{cocktail.id}/versions/2"))
    assert "From version 1 to version 2: Hydra HA 1% 2 mL: 1 → 1.5 mL." in second
    assert client.get(f"/cocktails/{cocktail.id}/versions/4").status_code == 404
    assert client.get("/cocktails/999999").status_code == 404
    compared = text(client.get(f"/cocktails/{cocktail.id}/compare?a=1&b=3"))
    assert "Glow: version 1 and version 3" in compared
    assert "Hydra HA 1% 2 mL 1 mL 1.5 mL changed" in compared
    assert "Vitamin B complex 2 mL 1 mL — removed" in compared
    assert "What changed Hydra HA 1% 2 mL: 1 → 1.5 mL. Removed Vitamin B complex 2 mL." in compared
    assert "Glow: version 2 and version 3" in text(client.get(f"/cocktails/{cocktail.id}/compare"))


def test_a_cocktail_is_never_deleted(client, login_as, kit, make_cocktail):
    cocktail = make_cocktail("Glow", [(kit.ha, "1")])
    db.session.commit()
    login_as("manager")
    assert client.delete(f"/cocktails/{cocktail.id}").status_code == 405
    assert client.post(f"/cocktails/{cocktail.id}/delete").status_code in (400, 404)


def test_goals_page_lists_goals_and_a_manager_adds_the_clinics_own(client, login_as, kit, make_cocktail):
    make_cocktail("Glow", [(kit.ha, "1")], goals=["hydration"])
    db.session.commit()
    login_as("manager")
    page = text(client.get("/cocktails/goals"))
    assert "Hydration" in page and "Add the clinic's own goal" in page
    added = text(post_form(client, "/cocktails/goals", {"name": "Neck  renewal", "description": "Crepey neck skin."}))
    assert "Treatment goal Neck renewal added." in added and "Crepey neck skin. 0 Clinic's own" in added
    goal = db.session.query(TreatmentGoal).filter_by(key="neckrenewal").one()
    assert goal.origin == "clinic"
    refused = text(post_form(client, "/cocktails/goals", {"name": "HYDRATION", "description": ""}))
    assert "The goal 'hydration' already exists." in refused
    assert db.session.query(TreatmentGoal).count() == 4
    assert "Neck renewal" in text(client.get("/cocktails/new"))


def test_a_practitioner_cannot_add_goals(client, login_as, kit):
    login_as("practitioner")
    assert "Add the clinic's own goal" not in text(client.get("/cocktails/goals"))
    assert post_form(client, "/cocktails/goals", {"name": "Mine"}).status_code == 403


def test_the_browse_page_costs_the_same_statements_for_3_or_12_cocktails(
    app, client, login_as, kit, make_cocktail, monkeypatch
):
    monkeypatch.setitem(app.config, "PER_PAGE", 50)
    login_as("manager")
    product_ids = [kit.ha.id, kit.vitb.id, kit.lido.id]

    def statements_for(total: int) -> int:
        made = len(names(client.get("/cocktails/")))
        ha, vitb, lido = (db.session.get(Product, pid) for pid in product_ids)
        for index in range(made, total):
            make_cocktail(f"Cocktail {index:02d}", [(ha, "1"), (vitb, "0.5"), (lido, "0.5")],
                          goals=["hydration", "radiance"])
        db.session.commit()
        db.session.expunge_all()  # the page must load every row itself
        statements = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = client.get("/cocktails/?substance=lidocaine")
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert len(names(response)) == total
        return len([s for s in statements if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))])

    three, twelve = statements_for(3), statements_for(12)
    assert three == twelve, f"{three} statements for 3 cocktails, {twelve} for 12"
