"""Misspelt words corrected against the knowledge base's own vocabulary. Most tests use a small
vocabulary of their own, so each correction's reason is visible; the properties also run on the
matcher's real speller."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from bot.core import spelling
from bot.core.config import MatchConfig
from bot.core.engine import Engine
from bot.core.spelling import Speller, vowel_swap

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True)

WORDS = ["seat", "set", "party", "parliament", "banned", "rival", "capitalism", "election", "card", "cart"]


def _speller(words: list[str] = WORDS, frequency: dict[str, int] | None = None) -> Speller:
    return Speller(words, frequency or {}, MatchConfig())


def _cap(token: str) -> int:
    """At most one edit for a word of five letters or fewer, two for a longer one."""
    return 1 if len(token) <= 5 else 2


# ---------------------------------------------------------------- vowel_swap


@pytest.mark.parametrize(("a", "b", "swapped"), [
    ("seet", "seat", True),
    ("medicle", "medical", False),  # two letters differ
    ("seet", "set", False),  # lengths differ
    ("bat", "bct", False),  # not a vowel
    ("bat", "bit", True),
    ("ruin", "rain", True),
    ("seat", "seat", False),  # nothing differs
    ("", "", False),
])
def test_vowel_swap(a: str, b: str, swapped: bool) -> None:
    assert vowel_swap(a, b) is swapped


@given(st.text(alphabet="abcdeiouy", max_size=6), st.text(alphabet="abcdeiouy", max_size=6))
@PROPERTY
def test_vowel_swap_is_symmetric_and_needs_one_length(a: str, b: str) -> None:
    assert vowel_swap(a, b) == vowel_swap(b, a)
    if vowel_swap(a, b):
        assert len(a) == len(b) and OSA.distance(a, b) == 1


# ---------------------------------------------------------------- corrections


@pytest.mark.parametrize(("typo", "meant"), [
    ("prty", "party"),  # a letter missing
    ("parliment", "parliament"),
    ("baned", "banned"),
    ("rivel", "rival"),  # a wrong vowel
    ("elcetion", "election"),  # two letters swapped: one edit
])
def test_a_typo_is_corrected_to_the_word_it_meant(typo: str, meant: str) -> None:
    assert _speller().correct(typo) == meant


def test_a_wrong_vowel_beats_a_missing_letter_unless_it_is_the_rarer_word() -> None:
    # "seet" is one edit from both "set" and "seat"; people spell vowels by ear.
    assert _speller(frequency={"set": 100, "seat": 100}).correct("seet") == "seat"
    # "fonded": "founded" lost a letter, "funded" has a wrong vowel; the common word wins.
    assert _speller(["founded", "funded"], {"founded": 50, "funded": 2}).correct("fonded") == "founded"
    assert _speller(["founded", "funded"], {"founded": 2, "funded": 50}).correct("fonded") == "funded"


def test_among_equals_the_more_common_word_wins() -> None:
    assert _speller(["card", "cart"], {"card": 5}).correct("carx") == "card"
    assert _speller(["card", "cart"], {"cart": 5}).correct("carx") == "cart"


def test_a_ratio_forgives_length_but_the_edit_cap_does_not() -> None:
    assert OSA.distance("capital", "capitalism") > _cap("capital")
    assert _speller().correct("capital") is None


def test_a_changed_first_letter_needs_a_closer_match() -> None:
    assert _speller().correct("marty") is None  # no word starts with m; "party" is not near enough for all words
    assert _speller().correct("pirty") == "party"


@pytest.mark.parametrize("token", ["", "a", "ab", "abc", "set",  # under four letters
                                   "pa1ty", "par-ty", "party2",  # not only letters
                                   "pärty", "párty",  # not ASCII
                                   "zzzzzzzz"])  # near nothing
def test_no_correction(token: str) -> None:
    assert _speller().correct(token) is None


def test_short_or_non_alphabetic_words_are_never_targets() -> None:
    speller = _speller(["ab", "x1yz", "party"])
    assert speller.correct("abx") is None
    assert speller.correct("x1yy") is None


def test_an_empty_vocabulary_corrects_nothing() -> None:
    assert _speller([]).correct("party") is None


# ---------------------------------------------------------------- the cache


def test_a_correction_is_the_same_when_asked_again() -> None:
    speller = _speller()
    assert speller.correct("prty") == speller.correct("prty") == "party"
    assert speller.correct("zzzzzz") is speller.correct("zzzzzz") is None


def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spelling, "_CACHE_LIMIT", 5)
    speller = _speller()
    for i in range(40):
        speller.correct(f"prty{'x' * i}")
        assert len(speller._cache) <= 6
    assert speller.correct("prty") == "party"


# ---------------------------------------------------------------- any word


_TYPED = st.text(alphabet="abcdeilmnoprstuvy", min_size=0, max_size=14)


@given(_TYPED | st.text(max_size=14))
@PROPERTY
def test_a_correction_is_a_vocabulary_word_within_the_edit_cap(token: str) -> None:
    fixed = _speller().correct(token)
    if fixed is not None:
        assert fixed in WORDS
        assert OSA.distance(token, fixed) <= _cap(token)
        assert len(fixed) <= len(token) + _cap(token)


def test_the_real_speller_keeps_within_the_edit_cap(engine: Engine) -> None:
    speller = engine.matcher.speller
    vocabulary = engine.matcher.vocabulary

    @given(_TYPED)
    @settings(max_examples=200, deadline=None, derandomize=True)
    def check(token: str) -> None:
        fixed = speller.correct(token)
        if fixed is not None:
            assert fixed in vocabulary
            assert OSA.distance(token, fixed) <= _cap(token)
            assert len(fixed) <= len(token) + _cap(token)

    check()


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=16), st.sampled_from([75.0, 80.0, 88.0]))
def test_only_words_too_long_or_too_short_to_reach_the_floor_are_left_out(token: str, floor: float) -> None:
    speller = _speller([*WORDS, "eligibility", "cnrp", "constituencies", "vote", "voter", "votes"])
    for initial in (token[0], ""):
        pool = speller._by_initial.get(token[0], []) if initial else speller._targets
        near = speller._of_near_length(initial, len(token), floor)
        assert near == [word for word in pool if word in near]  # in their order
        for word in set(pool) - set(near):
            assert fuzz.ratio(token, word) < floor and OSA.normalized_similarity(token, word) * 100 < floor


def test_a_pool_of_near_length_is_the_plain_filter_of_its_words(engine: Engine) -> None:
    # Taken by a table of lengths: the words the plain test of each word's length keeps, in order.
    speller = engine.matcher.speller
    config = MatchConfig()
    floors = {config.typo_cutoff_short, config.typo_cutoff_medium, config.typo_cutoff_long}
    for initial in ["", *speller._by_initial]:
        pool = speller._by_initial[initial] if initial else speller._targets
        for length in range(4, 25):
            for floor in floors | {floor + 10 for floor in floors}:
                plain = [word for word in pool if 200.0 * min(len(word), length) / (len(word) + length) >= floor - 1e-6]
                assert speller._of_near_length(initial, length, floor) == plain
