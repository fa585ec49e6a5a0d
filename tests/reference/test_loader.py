"""The loader refuses inconsistent data files and says where the fault is."""

import pytest

from formulary.reference.library import ReferenceDataError
from formulary.reference.loader import load_library

VALID = {
    "substances.csv": (
        "name,category,unii,note\n"
        "lidocaine,anaesthetic,98PI200987,\n"
        "procaine,anaesthetic,,\n"
        "methylparaben,preservative,,\n"
        "ascorbic acid,vitamin,,\n"
    ),
    "synonyms.csv": "substance,synonym,note\nlidocaine,lignocaine,British\nascorbic acid,vitamin C,\n",
    "groups.csv": "name,description,note\nparabens,Paraben preservatives.,\n"
    "ester local anaesthetics,Esters.,\n",
    "group_synonyms.csv": "group,synonym,note\nparabens,parahydroxybenzoates,\n",
    "group_members.csv": "group,substance,note\nparabens,methylparaben,\n"
    "ester local anaesthetics,procaine,\n",
    "cross_reactions.csv": "source,source_kind,target,target_kind,strength,note\n"
    "ester local anaesthetics,group,parabens,group,moderate,via PABA\n",
    "goals.csv": "name,description\nhydration,Water.\n",
    "conditions.csv": "name,description,session_caution\npregnancy,Pregnant.,Not in pregnancy.\n",
    "condition_synonyms.csv": "condition,synonym,note\npregnancy,pregnant,\n",
    "ambiguous.csv": "word,reason\nwater,water for injection or the patient's word\n",
}


def write_library(directory, **changes):
    """Write a small valid library, with some files replaced or appended to."""
    for file, text in VALID.items():
        key = file.removesuffix(".csv")
        text = changes.get(key, text)
        text += changes.get(f"{key}_extra", "")
        (directory / file).write_text(text, encoding="utf-8")
    return directory


def refusal(tmp_path, **changes) -> ReferenceDataError:
    with pytest.raises(ReferenceDataError) as caught:
        load_library(write_library(tmp_path, **changes))
    return caught.value


def test_small_valid_library_loads(tmp_path):
    library = load_library(write_library(tmp_path))
    assert library.find_condition("Pregnant").session_caution == "Not in pregnancy."
    assert [word.word for word in library.ambiguous] == ["water"]
    assert library.find_substance("Lignocaine").name == "lidocaine"
    assert library.find_group("Para-hydroxybenzoates").name == "parabens"
    row = library.cross_reaction_between("substance", "procaine", "methylparaben")
    assert row.note == "via PABA"


def test_a_file_saved_by_excel_with_a_byte_order_mark_loads(tmp_path):
    write_library(tmp_path)
    path = tmp_path / "goals.csv"
    path.write_text("\ufeff" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_library(tmp_path).goals[0].name == "hydration"


def test_synonym_colliding_with_another_substance(tmp_path):
    error = refusal(tmp_path, synonyms_extra="procaine,Vitamin-C,\n")
    assert (error.file, error.line, error.value) == ("synonyms.csv", 4, "Vitamin-C")
    assert "ascorbic acid" in str(error) and "synonyms.csv, line 4" in str(error)


def test_substance_name_colliding_with_a_synonym(tmp_path):
    error = refusal(tmp_path, substances_extra="Lignocaine,anaesthetic,,\n")
    assert error.file == "synonyms.csv" and error.value == "lignocaine"


def test_group_name_colliding_with_a_substance(tmp_path):
    error = refusal(tmp_path, groups_extra="Lidocaine,All of it.,\n")
    assert (error.file, error.line, error.value) == ("groups.csv", 4, "Lidocaine")
    # Names are read before synonyms, so the later synonym is the row blamed.
    error = refusal(tmp_path, groups_extra="Vitamin-C,All of it.,\n")
    assert (error.file, error.line, error.value) == ("synonyms.csv", 3, "vitamin C")
    assert "group 'Vitamin-C'" in str(error)


def test_duplicate_substance_row(tmp_path):
    error = refusal(tmp_path, substances_extra="lidocaine,anaesthetic,,\n")
    assert (error.file, error.line, error.value) == ("substances.csv", 6, "lidocaine")


@pytest.mark.parametrize(
    ("change", "file", "value"),
    [
        ({"group_members_extra": "parabens,propylparaben,\n"}, "group_members.csv", "propylparaben"),
        ({"group_members_extra": "sulfites,lidocaine,\n"}, "group_members.csv", "sulfites"),
        ({"group_members_extra": "parabens,methylparaben,\n"}, "group_members.csv", "methylparaben"),
        ({"synonyms_extra": "lidocane,xylocaine,\n"}, "synonyms.csv", "lidocane"),
        ({"synonyms_extra": "lidocaine,Lignocaine,\n"}, "synonyms.csv", "Lignocaine"),
        ({"group_synonyms_extra": "sulfites,sulphites,\n"}, "group_synonyms.csv", "sulfites"),
        ({"substances_extra": "zinc,metal,,\n"}, "substances.csv", "metal"),
        ({"substances_extra": "zinc,mineral,j41csq7qds,\n"}, "substances.csv", "j41csq7qds"),
        ({"substances_extra": "zinc,mineral,98PI200987,\n"}, "substances.csv", "98PI200987"),
        ({"substances_extra": "---,mineral,,\n"}, "substances.csv", "---"),
        ({"goals_extra": "Hydration,Again.\n"}, "goals.csv", "Hydration"),
        ({"conditions_extra": "pregnancy,,\n"}, "conditions.csv", "pregnancy,,"),
        ({"condition_synonyms_extra": "pregnancy,Pregnancy,\n"}, "condition_synonyms.csv", "Pregnancy"),
        ({"condition_synonyms_extra": "smoking,smoker,\n"}, "condition_synonyms.csv", "smoking"),
        ({"groups_extra": "sulfites,Sulfiting agents.,\n"}, "groups.csv", "sulfites"),
    ],
)
def test_refused_rows(tmp_path, change, file, value):
    error = refusal(tmp_path, **change)
    assert (error.file, error.value) == (file, value)
    assert error.line > 1


CROSS = "cross_reactions_extra"


@pytest.mark.parametrize(
    ("row", "value"),
    [
        ("procaine,substance,parabens,group,strong,x\n", "strong"),
        ("procaine,substance,parabens,set,high,x\n", "set"),
        ("parabens,group,ester local anaesthetics,group,high,x\n", "parabens"),  # reversed pair
        ("lidocaine,group,parabens,group,low,x\n", "lidocaine"),  # a substance named as a group
        ("procaine,substance,benzocaine,substance,low,x\n", "benzocaine"),
        ("procaine,substance,procaine,substance,low,x\n", "procaine"),
        ("procaine,substance,parabens,group,low,\n", "procaine,substance,parabens,group,low,"),
    ],
)
def test_refused_cross_reactions(tmp_path, row, value):
    error = refusal(tmp_path, **{CROSS: row})
    assert (error.file, error.line, error.value) == ("cross_reactions.csv", 3, value)


def test_wrong_header_and_missing_file(tmp_path):
    error = refusal(tmp_path, goals="name,text\nhydration,Water.\n")
    assert (error.file, error.line) == ("goals.csv", 1)
    write_library(tmp_path)
    (tmp_path / "conditions.csv").unlink()
    with pytest.raises(ReferenceDataError, match="conditions.csv"):
        load_library(tmp_path)


def test_wrong_number_of_cells(tmp_path):
    error = refusal(tmp_path, goals_extra="texture,Smooth.,extra\n")
    assert (error.file, error.line) == ("goals.csv", 3)
