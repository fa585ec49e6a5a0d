"""The composer: preview as you compose, save as version 1, revise to version 2, and every refused recipe."""

import re

import pytest

from formulary.catalogue.products import set_retired as retire_product
from formulary.cocktails.models import Cocktail
from formulary.cocktails.recipes import set_retired
from formulary.extensions import db
from tests.cocktails.helpers import build_kit, composer_form, counts, text
from tests.conftest import csrf_token, post_form


@pytest.fixture
def kit(make_goal, make_product, make_substance, make_lot):
    return build_kit(make_goal, make_product, make_substance, make_lot)


def test_the_preview_shows_volume_substances_and_cost_and_saves_nothing(client, login_as, kit):
    login_as("manager")
    form = composer_form(rows=[(kit.ha, "1"), (kit.vitb, "1.5")], preview="Preview")
    page = text(post_form(client, "/cocktails/new", form))
    assert "Total volume 2.5 mL" in page
    # One 2 mL vial of each is opened: 2 mL × 5 + 2 mL × 2.
    assert "Cost per session €14.00" in page
    for substance, product in [("sodium hyaluronate", "Hydra HA 1% 2 mL"), ("thiamine", "Vitamin B complex 2 mL"),
                               ("methylparaben", "Vitamin B complex 2 mL")]:
        assert f"{substance} " in page and product in page
    assert "sodium chloride excipient Hydra HA 1% 2 mL" in page
    assert counts() == (0, 0)


def test_saving_makes_version_1_and_shows_the_cocktail(client, login_as, kit):
    login_as("manager")
    form = composer_form(
        name="Hydra glow", goals=["hydration", "radiance"], rows=[(kit.ha, "1"), (kit.vitb, "2")],
        notes="Nappage, 32G 4 mm at 1–2 mm.", series_sessions="4", series_interval_days="14", submit="Save cocktail",
    )
    page = text(post_form(client, "/cocktails/new", form))
    assert "Cocktail Hydra glow saved as version 1." in page
    assert "Hydra glow Version 1" in page
    assert "Hydration" in page and "Radiance" in page
    assert "1 Hydra HA 1% 2 mL Hyaluronic acid 1 mL €10.00" in page
    assert "Total volume 3 mL €14.00" in page
    assert "Nappage, 32G 4 mm at 1–2 mm." in page and "4 sessions, every 14 days" in page
    cocktail = db.session.query(Cocktail).one()
    assert [(c.product_id, str(c.amount)) for c in cocktail.current.components] == [
        (kit.ha.id, "1.000"), (kit.vitb.id, "2.000")]


def test_a_goal_in_the_address_is_ticked_on_a_new_cocktail(client, login_as, kit):
    login_as("manager")
    html = client.get("/cocktails/new?goal=brightening").get_data(as_text=True)
    ticked = re.findall(r'<input ([^>]*)type="checkbox" value="([^"]+)"', html)
    assert [value for attrs, value in ticked if "checked" in attrs] == ["brightening"]


@pytest.mark.parametrize(
    ("rows", "fields", "message"),
    [
        ([], {}, "A cocktail needs at least one component."),
        ([("ha", "0")], {}, "Amount of Hydra HA 1% 2 mL must be more than zero (got 0)."),
        ([("ha", "-1")], {}, "Amount of Hydra HA 1% 2 mL must be more than zero (got -1)."),
        ([("ha", "lots")], {}, "Amount of Hydra HA 1% 2 mL: 'lots' is not a number."),
        ([("ha", "1"), ("ha", "2")], {}, "Hydra HA 1% 2 mL is listed twice; give it once with the total amount."),
        ([(999999, "1")], {}, "unknown product 999999"),
        ([("retired", "1")], {}, "Old serum 2 mL is retired and cannot go into a cocktail."),
        ([("", "2")], {}, "Choose the product for this amount."),
        ([("ha", "1")], {"goals": []}, "Choose at least one treatment goal."),
        ([("ha", "1")], {"name": "  "}, "Give the cocktail a name."),
        ([("ha", "1")], {"name": "Taken"}, "A cocktail named 'Taken' already exists."),
        ([("ha", "1")], {"series_sessions": "0"}, "Number of sessions must be between 1 and 365 (got 0)."),
        ([("ha", "1")], {"series_interval_days": "two weeks"}, "enter a whole number (got 'two weeks')"),
    ],
)
def test_each_refused_recipe_names_the_problem_and_saves_nothing(
    client, login_as, kit, make_product, make_cocktail, rows, fields, message
):
    old = make_product("Old serum 2 mL")
    retire_product(old, True, actor=None)
    make_cocktail("Taken", [(kit.vitb, "1")])
    db.session.commit()
    before = counts()
    login_as("manager")
    products = {"ha": kit.ha, "retired": old}
    form = composer_form(rows=[(products.get(p, p), amount) for p, amount in rows],
                         submit="Save cocktail", **{"name": "New one", **fields})
    response = post_form(client, "/cocktails/new", form)
    assert response.status_code == 200
    page = text(response)
    assert "Nothing was saved. Please correct:" in page
    assert message in page
    assert counts() == before


def test_add_more_rows_keeps_what_was_typed_and_saves_nothing(client, login_as, kit):
    login_as("manager")
    html = post_form(client, "/cocktails/new", composer_form(rows=[(kit.ha, "1.5")], blank_rows=0,
                                                             add_rows="Add more rows")).get_data(as_text=True)
    assert 'name="components-3-product"' in html and 'name="components-4-product"' not in html
    assert 'value="1.5"' in html
    assert counts() == (0, 0)


def test_changing_an_amount_makes_version_2_with_its_difference(client, login_as, kit, make_cocktail):
    cocktail = make_cocktail("Hydra glow", [(kit.ha, "1"), (kit.vitb, "1")])
    db.session.commit()
    login_as("manager")
    edit = client.get(f"/cocktails/{cocktail.id}/edit").get_data(as_text=True)
    assert "Saving a change makes version 2" in text(client.get(f"/cocktails/{cocktail.id}/edit"))
    assert 'value="1"' in edit
    form = composer_form(rows=[(kit.ha, "1.5"), (kit.vitb, "1")], submit="Save cocktail")
    page = text(post_form(client, f"/cocktails/{cocktail.id}/edit", form))
    assert "Hydra glow saved as version 2." in page
    assert "Hydra glow Version 2" in page
    assert "Version 2 current" in page and "Hydra HA 1% 2 mL: 1 → 1.5 mL." in page
    assert counts() == (1, 2)
    old = text(client.get(f"/cocktails/{cocktail.id}/versions/1"))
    assert "Hydra glow version 1 superseded" in old and "Hydra HA 1% 2 mL Hyaluronic acid 1 mL" in old


def test_saving_an_unchanged_recipe_says_nothing_changed(client, login_as, kit, make_cocktail):
    cocktail = make_cocktail("Hydra glow", [(kit.ha, "1")])
    db.session.commit()
    login_as("manager")
    page = text(post_form(client, f"/cocktails/{cocktail.id}/edit",
                          composer_form(rows=[(kit.ha, "1.000")], submit="Save cocktail")))
    assert "Nothing changed: Hydra glow stays version 1." in page
    assert counts() == (1, 1)


def test_a_retired_cocktail_cannot_be_edited(client, login_as, kit, make_cocktail):
    cocktail = make_cocktail("Old glow", [(kit.ha, "1")])
    set_retired(cocktail, True, actor=None)
    db.session.commit()
    login_as("manager")
    page = text(client.get(f"/cocktails/{cocktail.id}/edit", follow_redirects=True))
    assert "Old glow is retired; bring it back before changing it." in page
    assert "Edit recipe" not in page and "Bring back into use" in page
    token = csrf_token(client, f"/cocktails/{cocktail.id}")
    client.post(f"/cocktails/{cocktail.id}/edit", data={
        "csrf_token": token, **composer_form(name="Old glow", rows=[(kit.ha, "3")], submit="Save cocktail")})
    assert counts() == (1, 1)


def test_retire_and_bring_back(client, login_as, kit, make_cocktail):
    cocktail = make_cocktail("Glow", [(kit.ha, "1")])
    db.session.commit()
    login_as("manager")
    token = csrf_token(client, f"/cocktails/{cocktail.id}")
    page = text(client.post(f"/cocktails/{cocktail.id}/retire", data={"csrf_token": token, "retired": "1"},
                            follow_redirects=True))
    assert "Glow is retired: no new sessions use it." in page and "retired" in page
    assert db.session.get(Cocktail, cocktail.id).retired
    page = text(client.post(f"/cocktails/{cocktail.id}/retire", data={"csrf_token": token, "retired": "0"},
                            follow_redirects=True))
    assert "Glow is back in use." in page
    assert not db.session.get(Cocktail, cocktail.id).retired


def test_the_preview_endpoint_answers_json_for_the_script(client, login_as, kit):
    login_as("manager")
    token = csrf_token(client, "/cocktails/new")
    form = composer_form(rows=[(kit.ha, "1"), (kit.lido, "0.5"), (kit.vitb, "")])
    response = client.post("/cocktails/preview", data=form, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    body = response.get_json()
    assert body["total_volume"] == 1.5 and body["cost"] == 13.0  # 2 mL × 5 + 2 mL × 1.5
    assert [c["product"] for c in body["components"]] == ["Hydra HA 1% 2 mL", "Lidocaine 2% 2 mL"]
    lidocaine = next(s for s in body["substances"] if s["name"] == "lidocaine")
    assert lidocaine["role"] == "active" and lidocaine["sources"][0]["product"] == "Lidocaine 2% 2 mL"
    assert "Row 3: Vitamin B complex 2 mL has no amount yet" in " ".join(body["warnings"])
    assert "Total volume" in body["html"] and "<script" not in body["html"]
    assert counts() == (0, 0)
    assert client.post("/cocktails/preview", data=form).status_code == 400  # no CSRF token


def test_the_preview_warns_of_out_of_stock_and_retired_products(client, login_as, kit, make_product, make_lot):
    from datetime import date, timedelta

    empty = make_product("Empty serum 2 mL")
    expired = make_product("Expired serum 2 mL")
    make_lot(expired, quantity="4", expiry=date.today() - timedelta(days=3))
    retire_product(kit.lido, True, actor=None)
    db.session.commit()
    login_as("manager")
    form = composer_form(rows=[(empty, "1"), (expired, "1"), (kit.lido, "1"), (kit.vitb, "12")], preview="Preview")
    page = text(post_form(client, "/cocktails/new", form))
    assert "Empty serum 2 mL is out of stock: no usable lot on" in page
    assert "Expired serum 2 mL is out of stock" in page and "(lots on the shelf: 1 expired)" in page
    assert "Lidocaine 2% 2 mL is retired: choose another product for a new version." in page
    assert "Vitamin B complex 2 mL: only 10 mL usable, less than the 12 mL one session needs." in page
    assert "not every component can be priced" in page


def test_a_practitioner_reads_cocktails_but_cannot_compose(client, login_as, kit, make_cocktail):
    cocktail = make_cocktail("Glow", [(kit.ha, "1")])
    db.session.commit()
    login_as("practitioner")
    assert client.get("/cocktails/").status_code == 200
    page = text(client.get(f"/cocktails/{cocktail.id}"))
    assert "Glow" in page and "Edit recipe" not in page and "Retire" not in page
    assert "Compose a cocktail" not in text(client.get("/cocktails/"))
    refused = client.get("/cocktails/new")
    assert refused.status_code == 403 and "may not edit cocktails" in text(refused)
    assert client.get(f"/cocktails/{cocktail.id}/edit").status_code == 403
    token = csrf_token(client, f"/cocktails/{cocktail.id}")
    assert client.post(f"/cocktails/{cocktail.id}/retire", data={"csrf_token": token, "retired": "1"}).status_code == 403
    assert client.post("/cocktails/preview", data={"csrf_token": token}).status_code == 403
    assert not db.session.get(Cocktail, cocktail.id).retired


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/cocktails/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
