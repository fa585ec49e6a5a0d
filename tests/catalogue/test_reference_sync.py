"""`formulary setup` loads the reference library and updates it without touching the clinic's rows."""

from sqlalchemy import func, select

from formulary.catalogue.lookup import find_group, find_substance
from formulary.catalogue.models import CLINIC, AllergenGroup, CrossReaction, Substance, TreatmentGoal
from formulary.catalogue.reference_sync import sync_reference_library
from formulary.extensions import db
from formulary.reference.loader import shipped_library
from formulary.reference.names import normalize_name


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_library_loads_and_a_second_sync_changes_nothing():
    library = shipped_library()
    first = sync_reference_library(library)
    assert first[0].startswith("Reference library:") and "added" in first[0]
    assert count(Substance) == len(library.substances)
    assert count(AllergenGroup) == len(library.groups)
    assert count(CrossReaction) == len(library.cross_reactions)
    assert count(TreatmentGoal) == 9
    assert sync_reference_library(library) == ["Reference library is up to date."]


def test_names_match_through_synonyms_and_groups_hold_their_members():
    sync_reference_library()
    assert find_substance("cyano-B12").name == "cyanocobalamin"
    assert find_substance("Vitamin B-12") is None and find_group("Vitamin B-12").name.startswith("vitamin B12 forms")
    assert find_substance("LIDOCAINE HYDROCHLORIDE").name == "lidocaine"
    assert find_group("vitamin c").name == "vitamin C forms"
    parabens = find_group("parabens")
    assert {"methylparaben", "propylparaben"} <= {m.name for m in parabens.members}
    assert "lidocaine" in {m.name for m in find_group("amide local anaesthetics").members}
    assert "procaine" in {m.name for m in find_group("ester local anaesthetics").members}


def test_a_changed_reference_row_is_restored_and_clinic_rows_are_left_alone():
    sync_reference_library()
    lidocaine = find_substance("lidocaine")
    lidocaine.note = "edited by hand"
    own = Substance(name="house serum base", key=normalize_name("house serum base"), origin=CLINIC)
    db.session.add(own)
    find_group("parabens").members.append(own)
    db.session.flush()
    lines = sync_reference_library()
    assert "1 updated" in lines[0]
    assert find_substance("lidocaine").note != "edited by hand"
    assert own in find_group("parabens").members
    assert find_substance("house serum base").origin == CLINIC


def test_a_clinic_row_with_a_reference_name_is_kept_and_reported():
    db.session.add(Substance(name="Glutathione", key=normalize_name("glutathione"), origin=CLINIC,
                             note="our own entry"))
    db.session.flush()
    lines = sync_reference_library()
    assert "  left alone: substance 'glutathione' (the clinic's own)" in lines
    assert find_substance("glutathione").note == "our own entry"
