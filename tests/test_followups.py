"""Follow-ups re-read the last question with the follow-up's rows or words in its place."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import wordvectors
from bot.core.engine import Engine
from bot.core.followups import SWAP_SIMILARITY, swap_rows, swap_words
from bot.core.language import Lexicon
from bot.core.models import Entity
from bot.core.wordvectors import WordVectors

PROPERTY = settings(max_examples=200, deadline=None, derandomize=True)

LEXICON = Lexicon(stopwords=frozenset({"the", "was", "by", "and", "in", "a"}),
                  question_words=frozenset({"where", "what", "which"}))


def _e(kind: str, key: str, start: int, end: int | None = None) -> Entity:
    return Entity(kind, key, key.casefold(), 1.0, start, start + 1 if end is None else end)


def _vectors(rows: dict[str, tuple[float, float]]) -> WordVectors:
    """A tiny word-vector table: 2-d directions, so every cosine is known."""
    words = list(rows)
    unit = np.array([np.array(rows[w]) / np.linalg.norm(rows[w]) for w in words])
    scale = np.abs(unit).max(axis=1) / 127
    return WordVectors(words, np.round(unit / scale[:, None]).astype(np.int8), scale.astype(np.float32))


# strongest/weakest at 45 degrees (cosine 0.71), banana at right angles to both.
VECTORS = _vectors({"strongest": (1.0, 0.0), "weakest": (1.0, 1.0), "banana": (0.0, -1.0)})


# ---------------------------------------------------------------- swap_rows


def test_a_row_is_replaced_by_the_follow_ups_row_of_its_kind() -> None:
    tokens = ["how", "did", "the", "cnrp", "do", "in", "kandal"]
    swapped = swap_rows(tokens, [_e("constituency", "Kandal", 6)], [_e("constituency", "Takéo", 1)])
    assert swapped == ["how", "did", "the", "cnrp", "do", "in", "takéo"]


def test_a_row_named_in_several_words_is_replaced_whole() -> None:
    tokens = ["votes", "in", "kampong", "cham", "please"]
    swapped = swap_rows(tokens, [_e("constituency", "Kampong Cham", 2, 4)], [_e("constituency", "Prey Veng", 0)])
    assert swapped == ["votes", "in", "prey", "veng", "please"]


def test_rows_of_other_kinds_are_kept() -> None:
    tokens = ["was", "mu", "sochua", "on", "the", "standing", "committee"]
    old = [_e("person", "Mu Sochua", 1, 3), _e("committee", "Standing", 5)]
    swapped = swap_rows(tokens, old, [_e("committee", "Executive", 2)])
    assert swapped == ["was", "mu", "sochua", "on", "the", "executive", "committee"]


def test_no_row_of_the_follow_ups_kinds_means_no_reading() -> None:
    tokens = ["how", "did", "the", "cnrp", "do", "in", "kandal"]
    assert swap_rows(tokens, [_e("constituency", "Kandal", 6)], [_e("person", "Kem Sokha", 0)]) is None
    assert swap_rows(tokens, [_e("constituency", "Kandal", 6)], []) is None
    assert swap_rows(tokens, [], [_e("constituency", "Kep", 0)]) is None


def test_an_election_and_its_year_stand_for_one_another() -> None:
    tokens = ["votes", "in", "the", "general", "election"]
    by_year = swap_rows(tokens, [_e("election", "General", 3, 5)], [_e("year", "2017", 1)])
    assert by_year == ["votes", "in", "the", "2017"]
    # An election named in place of a year is put as it was said: its key alone ("Communal")
    # would read as no election at all.
    said = Entity("election", "Communal", "communal elections", 1.0, 1, 3)
    by_name = swap_rows(["votes", "in", "2013"], [_e("year", "2013", 2)], [said])
    assert by_name == ["votes", "in", "communal", "elections"]


def test_a_row_beyond_the_words_is_skipped() -> None:
    assert swap_rows(["in", "kandal"], [_e("constituency", "Kandal", 5, 7)], [_e("constituency", "Kep", 0)]) is None


def test_the_last_questions_words_are_not_changed_in_place() -> None:
    tokens = ("in", "kandal")
    swap_rows(tokens, [_e("constituency", "Kandal", 1)], [_e("constituency", "Kep", 0)])
    assert tokens == ("in", "kandal")


def test_each_row_is_replaced_by_its_own_counterpart() -> None:
    tokens = ["compare", "kandal", "and", "takeo"]
    old = [_e("constituency", "Kandal", 1), _e("constituency", "Takéo", 3)]
    new = [_e("constituency", "Kampot", 1), _e("constituency", "Kep", 3)]
    assert swap_rows(tokens, old, new) == ["compare", "kampot", "and", "kep"]


_KINDS = st.sampled_from(["constituency", "person", "committee", "election", "year"])


@st.composite
def _rows(draw: st.DrawFn, length: int) -> list[Entity]:
    found = []
    for kind in draw(st.lists(_KINDS, max_size=3)):
        start = draw(st.integers(0, max(length - 1, 0)))
        found.append(Entity(kind, draw(st.sampled_from(["Kep", "Prey Veng", "2017", "Kem Sokha"])), "",
                            1.0, start, start + draw(st.integers(1, 3))))
    return found


@given(st.data())
@PROPERTY
def test_swap_rows_gives_a_reading_exactly_when_a_kind_meets_its_counterpart(data: st.DataObject) -> None:
    tokens = data.draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=8))
    old = data.draw(_rows(len(tokens)))
    new = data.draw(_rows(4))
    swapped = swap_rows(tokens, old, new)
    stands_for = {"election": "year", "year": "election"}

    def meets(kind: str) -> bool:
        # A kind is swapped when the follow-up names as many of its rows as the last question,
        # or the last question named one (several new rows for one old row are all asked of).
        olds = [e for e in old if e.kind == kind and e.end <= len(tokens)]
        incoming = [e for e in new if e.kind == kind or stands_for.get(e.kind) == kind]
        return bool(olds and incoming) and (len(incoming) == len(olds) or len(olds) == 1)

    assert (swapped is not None) == any(meets(kind) for kind in {e.kind for e in old})


# ---------------------------------------------------------------- swap_words


def test_a_word_replaces_the_word_it_stands_against() -> None:
    tokens = ["where", "was", "the", "cnrp", "strongest"]
    assert swap_words(tokens, ["weakest"], LEXICON, VECTORS, ()) == ["where", "was", "the", "cnrp", "weakest"]


def test_how_a_question_asks_is_never_swapped_for_a_topic() -> None:
    # Were "much" or "where" as near to "weakest" as "strongest" is, they still are no topic.
    vectors = _vectors({"much": (1.0, 0.0), "where": (1.0, 0.0), "weakest": (1.0, 0.05)})
    assert swap_words(["how", "much", "is", "that"], ["weakest"], LEXICON, vectors, ()) is None
    assert swap_words(["where", "was", "it"], ["weakest"], LEXICON, vectors, ()) is None


def test_the_shipped_vectors_know_strongest_from_weakest(engine: Engine) -> None:
    vectors = wordvectors.load()
    assert vectors.similarity("strongest", "weakest") > SWAP_SIMILARITY
    tokens = ["where", "was", "the", "cnrp", "strongest"]
    swapped = swap_words(tokens, ["weakest"], engine.lexicon, vectors, engine.kb.operations.alternatives)
    assert swapped == ["where", "was", "the", "cnrp", "weakest"]


def test_a_listed_alternative_replaces_its_sibling(engine: Engine) -> None:
    tokens = ["top", "5", "constituency", "by", "share"]
    alternatives = engine.kb.operations.alternatives
    assert any({"vote", "share"} <= group for group in alternatives)
    swapped = swap_words(tokens, ["vote"], engine.lexicon, VECTORS, alternatives)
    assert swapped == ["top", "5", "constituency", "by", "vote"]


def test_a_number_replaces_a_number() -> None:
    assert swap_words(["top", "5", "by", "share"], ["10"], LEXICON, VECTORS, ()) == ["top", "10", "by", "share"]


def test_an_unrelated_word_replaces_nothing() -> None:
    assert swap_words(["where", "was", "the", "cnrp", "strongest"], ["banana"], LEXICON, VECTORS, ()) is None


def test_filler_is_neither_replaced_nor_a_replacement() -> None:
    tokens = ["where", "was", "the", "cnrp", "strongest"]
    assert swap_words(tokens, ["which"], LEXICON, VECTORS, ({"which", "where"},)) is None
    swapped = swap_words(["the", "strongest"], ["weakest"], LEXICON, _vectors({"the": (1.0, 1.0),
                                                                           "weakest": (1.0, 1.0),
                                                                           "strongest": (1.0, 0.0)}), ())
    assert swapped == ["the", "weakest"]  # "the" is nearer, but filler


def test_a_word_the_question_already_has_changes_nothing() -> None:
    assert swap_words(["where", "strongest"], ["strongest"], LEXICON, VECTORS, ()) is None
    assert swap_words([], ["weakest"], LEXICON, VECTORS, ()) is None
    assert swap_words(["where", "strongest"], [], LEXICON, VECTORS, ()) is None


def test_a_word_below_the_swap_similarity_replaces_nothing() -> None:
    # 80 degrees apart: a cosine of about 0.17.
    vectors = _vectors({"strongest": (1.0, 0.0), "weakest": (0.17, 0.98)})
    assert vectors.similarity("strongest", "weakest") < SWAP_SIMILARITY
    assert swap_words(["where", "strongest"], ["weakest"], LEXICON, vectors, ()) is None


_TOKENS = st.lists(st.sampled_from(["where", "the", "strongest", "weakest", "banana", "vote", "share", "5", "10",
                                    "kandal"]), max_size=8)


@given(_TOKENS, _TOKENS)
@PROPERTY
def test_swap_words_keeps_every_other_word_in_its_place(tokens: list[str], new: list[str]) -> None:
    swapped = swap_words(tokens, new, LEXICON, VECTORS, (frozenset({"vote", "share"}),))
    if swapped is None:
        return
    assert len(swapped) == len(tokens)
    for before, after in zip(tokens, swapped, strict=True):
        assert after == before or (after in new and before not in LEXICON.filler)
