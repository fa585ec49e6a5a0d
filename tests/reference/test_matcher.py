"""The matcher reads names inside sentences: whole words, any synonym, accents and European spellings; never a guess."""

import pytest

from formulary.reference.matcher import Entry, fold_word, lexicon

LIDOCAINE = Entry("substance", 1, "lidocaine", ("lignocaine", "lidocaine hydrochloride", "Xylocaine"))
WATER = Entry("substance", 2, "water for injection", ("water", "WFI", "aqua"))
PARABENS = Entry("group", 1, "parabens", ("parahydroxybenzoates",))
VITAMIN_C = Entry("group", 2, "vitamin C forms", ("vitamin C",))
VITAMIN_K = Entry("group", 3, "vitamin K forms", ("vitamin K",))
HYALURONATE = Entry("substance", 3, "sodium hyaluronate", ("HA", "hyaluronic acid"))
NAMES = lexicon([LIDOCAINE, WATER, PARABENS, VITAMIN_C, VITAMIN_K, HYALURONATE], ["water", "aqua"])


@pytest.mark.parametrize("text", [
    "lidocaine (hives)", "allergic to lidocaine", "lidocaine hydrochloride 1%", "Lidocaína", "lidocaïne",
    "Lidocain", "lidokaina", "LIGNOCAINE", "reacted to Xylocaine at the dentist", "lidocaine-induced urticaria",
])
def test_a_substance_is_found_inside_a_sentence_in_any_spelling(text):
    assert NAMES.read(text).found == (LIDOCAINE,)


@pytest.mark.parametrize("text", ["xlidocaine", "lidocaineol", "polidocanol", "hives after the peel"])
def test_only_whole_words_match(text):
    assert NAMES.read(text).found == ()


def test_groups_and_plurals_are_read_and_vitamin_letters_stay_apart():
    assert NAMES.read("paraben allergy").found == (PARABENS,)
    assert NAMES.read("allergic to Vitamin C and vitamina K").found == (VITAMIN_C, VITAMIN_K)
    assert fold_word("vitamin") == fold_word("vitamina") and fold_word("c") != fold_word("k")


@pytest.mark.parametrize(("text", "word"), [("water", "water"), ("allergic to HA fillers", "HA"),
                                            ("aqua", "aqua")])
def test_an_ambiguous_word_is_reported_and_never_read_as_a_name(text, word):
    mentions = NAMES.read(text)
    assert mentions.found == () and mentions.ambiguous == (word,)
    assert NAMES.exact(text) is None


def test_the_longest_name_wins_and_a_full_name_holding_an_ambiguous_word_is_read():
    assert NAMES.read("water for injection").found == (WATER,)
    assert NAMES.read("hyaluronic acid").found == (HYALURONATE,)


def test_a_spelling_two_entries_share_is_never_a_guess():
    first, second = Entry("substance", 1, "retinol"), Entry("substance", 2, "retinolo")  # fold alike
    names = lexicon([first, second])
    assert names.read("retinol").found == (first,)  # the exact name still reads
    assert names.read("retinola").found == ()  # only the folded spelling: whose? not guessed


def test_exact_reads_a_whole_text_only():
    assert NAMES.exact("Lignocaine") == LIDOCAINE and NAMES.exact("allergic to lidocaine") is None
