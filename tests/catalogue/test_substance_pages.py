"""Substance and allergen group pages: browse, search by any name, add a clinic's own."""

import html

import pytest
from sqlalchemy import func, select

from formulary.audit.models import AuditEvent
from formulary.catalogue.models import AllergenGroup, CrossReaction, GroupSynonym, Substance, SubstanceSynonym
from formulary.extensions import db
from tests.conftest import csrf_token, post_form


def text(response) -> str:
    """The page as a person reads it: entities decoded."""
    return html.unescape(response.get_data(as_text=True))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def vitamins(make_substance):
    b12 = make_substance("cyanocobalamin", synonyms=["vitamin B12"], category="vitamin")
    c = make_substance("ascorbic acid", synonyms=["vitamin C", "L-ascorbic acid"], category="vitamin")
    lido = make_substance("lidocaine", groups=["amide local anaesthetics"], category="anaesthetic")
    return b12, c, lido


@pytest.mark.parametrize("search", ["vitamin b12", "B-12", "VITAMIN  B 12", "Cyano-Cobalamin", "cyanocobalamín"])
def test_search_finds_a_substance_by_name_or_synonym_whatever_the_spelling(client, login_as, vitamins, search):
    login_as("practitioner")
    page = text(client.get("/catalogue/substances", query_string={"q": search}))
    assert "cyanocobalamin" in page
    assert "ascorbic acid" not in page and "lidocaine" not in page


def test_search_by_synonym_says_which_synonym_matched(client, login_as, vitamins):
    login_as("manager")
    page = text(client.get("/catalogue/substances?q=B-12"))
    assert "matches “vitamin B12”" in page


def test_filter_by_category_and_an_empty_search(client, login_as, vitamins):
    login_as("manager")
    page = text(client.get("/catalogue/substances?category=anaesthetic"))
    assert "lidocaine" in page and "cyanocobalamin" not in page
    empty = text(client.get("/catalogue/substances?q=unobtainium"))
    assert "No substance matches “unobtainium”" in empty
    assert "Add a substance" in empty


def test_substances_paginate(app, client, login_as, make_substance, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    for name in ("alpha", "bravo", "charlie"):
        make_substance(f"substance {name}")
    login_as("manager")
    first = text(client.get("/catalogue/substances"))
    second = text(client.get("/catalogue/substances?page=2"))
    assert "substance alpha" in first and "substance charlie" not in first
    assert "substance charlie" in second and "1–2 of 3" in first


def test_substance_page_shows_synonyms_groups_cross_reactions_and_products(
    client, login_as, make_substance, make_product
):
    lido = make_substance("lidocaine", synonyms=["lignocaine"], groups=["amide local anaesthetics"])
    methylparaben = make_substance("methylparaben", groups=["parabens"])
    amides = db.session.scalar(select(AllergenGroup).where(AllergenGroup.key == "amidelocalanaesthetics"))
    db.session.add(CrossReaction(source_group=amides, target_group=amides, strength="low", note="uncommon"))
    db.session.add(CrossReaction(source_substance=methylparaben, target_substance=methylparaben,
                                 strength="high"))
    make_product("Lido Plus 2 mL", composition=[("sodium hyaluronate", "active"), ("lidocaine", "excipient")])
    db.session.flush()
    login_as("practitioner")
    page = text(client.get(f"/catalogue/substances/{lido.id}"))
    assert "lignocaine" in page and "amide local anaesthetics" in page
    assert "low" in page and "uncommon" in page
    assert "methylparaben" not in page  # its cross-reaction does not involve lidocaine
    assert "Lido Plus 2 mL" in page and "excipient" in page
    assert "Clinic's own" in page


def test_manager_adds_a_substance_with_synonyms_and_groups(client, login_as, vitamins):
    user = login_as("manager")
    group = db.session.scalar(select(AllergenGroup).where(AllergenGroup.key == "amidelocalanaesthetics"))
    response = post_form(client, "/catalogue/substances/new", {
        "name": "  Articaine ", "category": "anaesthetic",
        "synonyms": "carticaine\n\nArticaine hydrochloride\nCarticaine", "groups": [str(group.id)],
    })
    page = text(response)
    assert response.status_code == 200 and "Substance Articaine added." in page
    articaine = db.session.scalar(select(Substance).where(Substance.key == "articaine"))
    assert articaine.origin == "clinic" and articaine.category == "anaesthetic"
    assert [s.name for s in articaine.synonyms] == ["Articaine hydrochloride", "carticaine"]
    assert [g.name for g in articaine.groups] == ["amide local anaesthetics"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "substance.create"))
    assert event.user_id == user.id and event.record_id == articaine.id


@pytest.mark.parametrize("name, synonyms, message", [
    ("Vitamin B-12", "", "'Vitamin B-12' is already a synonym (vitamin B12) of cyanocobalamin."),
    ("ASCORBIC ACID", "", "'ASCORBIC ACID' is already the name of the substance ascorbic acid."),
    ("cobalamin X", "cyano-cobalamin", "The synonym 'cyano-cobalamin' is already the name of the substance "
                                       "cyanocobalamin."),
    ("", "", "A substance name is required."),
])
def test_a_name_already_in_use_is_refused_and_nothing_saved(client, login_as, vitamins, name, synonyms, message):
    login_as("manager")
    before = (count(Substance), count(SubstanceSynonym))
    response = post_form(client, "/catalogue/substances/new",
                         {"name": name, "category": "vitamin", "synonyms": synonyms})
    page = text(response)
    assert response.status_code == 200
    assert "Nothing was saved" in page and message in page
    assert (count(Substance), count(SubstanceSynonym)) == before


def test_practitioner_browses_but_may_not_add(client, login_as, vitamins):
    login_as("practitioner")
    page = text(client.get("/catalogue/substances"))
    assert "cyanocobalamin" in page and "Add a substance" not in page
    refused = client.get("/catalogue/substances/new")
    assert refused.status_code == 403
    assert "may not edit the catalogue" in text(refused)
    token = csrf_token(client, "/catalogue/substances")
    refused = client.post("/catalogue/groups/new", data={"name": "my group", "csrf_token": token})
    assert refused.status_code == 403
    assert count(AllergenGroup) == 1


def test_groups_list_members_and_cross_reactions_with_strength(client, login_as, make_substance):
    make_substance("procaine", groups=["ester local anaesthetics"])
    make_substance("methylparaben", groups=["parabens"])
    make_substance("propylparaben", groups=["parabens"])
    esters, parabens = db.session.scalars(select(AllergenGroup).order_by(AllergenGroup.key)).all()
    db.session.add(CrossReaction(source_group=esters, target_group=parabens, strength="moderate"))
    db.session.flush()
    login_as("practitioner")
    page = text(client.get("/catalogue/groups"))
    assert "methylparaben" in page and "propylparaben" in page and "procaine" in page
    assert "moderate" in page
    assert "Add an allergen group" not in page
    group_page = text(client.get(f"/catalogue/groups/{parabens.id}"))
    assert "methylparaben" in group_page and "ester local anaesthetics" in group_page and "moderate" in group_page


def test_manager_adds_a_group_and_a_duplicate_name_is_refused(client, login_as, make_substance):
    login_as("manager")
    cobalt = make_substance("cobalt chloride")
    b12 = make_substance("cyanocobalamin")
    make_substance("zinc sulfate")
    response = post_form(client, "/catalogue/groups/new", {
        "name": "Cobalt compounds", "description": "Cobalt salts and cobalamins.",
        "members": [str(cobalt.id), str(b12.id)],
    })
    assert "Allergen group Cobalt compounds added." in text(response)
    group = db.session.scalar(select(AllergenGroup).where(AllergenGroup.key == "cobaltcompounds"))
    assert group.origin == "clinic" and [m.name for m in group.members] == ["cobalt chloride", "cyanocobalamin"]

    again = post_form(client, "/catalogue/groups/new", {"name": "cobalt-compounds", "members": [str(cobalt.id)]})
    assert "'cobalt-compounds' is already the allergen group Cobalt compounds." in text(again)
    group.synonyms.append(GroupSynonym(name="cobalt salts", key="cobaltsalts"))
    db.session.flush()
    again = post_form(client, "/catalogue/groups/new", {"name": "Cobalt Salts"})
    assert "'Cobalt Salts' is already a synonym of the allergen group Cobalt compounds." in text(again)
    assert count(AllergenGroup) == 1
    assert "Also called cobalt salts." in text(client.get(f"/catalogue/groups/{group.id}"))


def test_empty_catalogue_shows_empty_states(client, login_as):
    login_as("manager")
    assert "No substances yet" in text(client.get("/catalogue/substances"))
    assert "No allergen groups yet" in text(client.get("/catalogue/groups"))
    assert client.get("/catalogue/substances/999999").status_code == 404
