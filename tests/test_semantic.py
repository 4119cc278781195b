"""Word-vector evidence: a question word's best cosine to an intent's words, rescaled so that the
floor counts 0 and identity 1."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import wordvectors
from bot.core.engine import Engine
from bot.core.index import IntentProfile, IntentTraits
from bot.core.normalize import SLOT_PREFIX
from bot.core.semantic import SemanticIndex
from bot.core.wordvectors import WordVectors

PROPERTY = settings(max_examples=100, deadline=None, derandomize=True)
FLOOR = 0.35


@pytest.fixture(scope="module")
def vectors() -> WordVectors:
    return wordvectors.load()


def _profile(engine: Engine, bag: Iterable[str], said: Iterable[str] = ()) -> IntentProfile:
    intent = next(iter(engine.kb.intents.values()))
    return IntentProfile(intent, IntentTraits(), [], frozenset(), frozenset(bag), frozenset(said))


@pytest.fixture(scope="module")
def semantic(engine: Engine, vectors: WordVectors) -> SemanticIndex:
    profiles = [_profile(engine, {"pension", "banned", "the", "zzperson", "2013"}),
                _profile(engine, set(), {"election"}),
                _profile(engine, set())]
    return SemanticIndex(profiles, vectors, engine.lexicon, FLOOR)


def _rows(semantic: SemanticIndex, words: Iterable[str]) -> np.ndarray:
    """The vectors `query` gives the words, stacked as a candidate's uncovered words are."""
    found = semantic.query(list(words))
    return np.concatenate(list(found.values())) if found else np.zeros((0, semantic.vectors.dims), np.float32)


def test_query_keeps_the_words_that_have_vectors(semantic: SemanticIndex, vectors: WordVectors) -> None:
    found = semantic.query(["banned", "qzxvwkq", "pension"])
    assert list(found) == ["banned", "pension"]
    assert all(row.shape == (1, vectors.dims) for row in found.values())
    assert np.allclose(np.linalg.norm(_rows(semantic, found), axis=1), 1.0, atol=1e-2)
    assert semantic.query([]) == {}


def test_each_words_row_is_the_row_found_gives_it_among_others(engine: Engine, vectors: WordVectors) -> None:
    # Kept word by word: the same float32 values as the rows gathered for a whole question,
    # the first time and from the memo.
    semantic = engine.matcher.semantic
    for question in ("what would pensioners have got after the dissolution", "who outlawed the opposition party",
                     "when was the cnrp founded and by whom", "qzxvwkq banned pension"):
        words = list(dict.fromkeys(question.split()))
        kept, rows = vectors.found(words)
        for _ in range(2):
            found = semantic.query(words)
            assert tuple(found) == kept
            assert np.concatenate(list(found.values())).tobytes() == rows.tobytes()


def test_a_word_of_the_intent_itself_counts_one(semantic: SemanticIndex) -> None:
    rows = _rows(semantic, ["pension", "banned"])
    assert semantic.nearness(0, rows) == pytest.approx([1.0, 1.0], abs=0.02)


def test_a_near_word_counts_by_its_cosine_above_the_floor(semantic: SemanticIndex, vectors: WordVectors) -> None:
    cosine = vectors.similarity("outlawed", "banned")
    assert FLOOR < cosine < 1.0  # banned/outlawed lie close
    rows = _rows(semantic, ["outlawed"])
    best = max(cosine, vectors.similarity("outlawed", "pension"))
    assert semantic.nearness(0, rows) == pytest.approx([(best - FLOOR) / (1 - FLOOR)], abs=0.02)


def test_nothing_below_the_floor_counts(engine: Engine, semantic: SemanticIndex, vectors: WordVectors) -> None:
    far = "banana"
    assert max(vectors.similarity(far, w) for w in ("pension", "banned")) < FLOOR
    rows = _rows(semantic, [far])
    assert semantic.nearness(0, rows) == pytest.approx([0.0])


def test_filler_slots_and_numbers_are_not_intent_words(engine: Engine, vectors: WordVectors) -> None:
    only_filler = SemanticIndex([_profile(engine, {"the", "zzperson", "2013"})], vectors, engine.lexicon, FLOOR)
    rows = _rows(only_filler, ["the"])
    assert only_filler.nearness(0, rows) == pytest.approx([0.0])


def test_the_reply_words_count_as_the_intents_words(semantic: SemanticIndex) -> None:
    rows = _rows(semantic, ["election"])
    assert semantic.nearness(1, rows) == pytest.approx([1.0], abs=0.02)


def test_an_intent_with_no_words_or_a_question_with_none_gives_zeros(semantic: SemanticIndex) -> None:
    rows = _rows(semantic, ["pension", "banned"])
    assert semantic.nearness(2, rows) == [0.0, 0.0]
    none = _rows(semantic, [])
    assert semantic.nearness(0, none) == []


def test_the_matchers_index_has_one_matrix_per_intent(engine: Engine) -> None:
    semantic = engine.matcher.semantic
    profiles = engine.matcher.index.profiles
    rows = _rows(semantic, ["pensioners"])
    for position in range(len(profiles)):
        assert len(semantic.nearness(position, rows)) == 1
    pension = engine.matcher.index.position["platform.point"]
    assert semantic.nearness(pension, rows)[0] > 0.0  # "pensioners" is near "pension"


def test_each_intents_matrix_is_its_own_words_vectors_as_columns(engine: Engine, vectors: WordVectors) -> None:
    """The matrix gathered from the shared table is, value for value and in the same layout,
    the one made from the intent's own words alone (the product's BLAS call reads both)."""
    semantic, lexicon = engine.matcher.semantic, engine.lexicon
    for position, profile in enumerate(engine.matcher.index.profiles):
        words = sorted(w for w in profile.bag | profile.said
                       if w not in lexicon.filler and not w.startswith(SLOT_PREFIX) and w.isalpha())
        matrix, found = vectors.matrix(words)
        own = np.ascontiguousarray(matrix[found]).T
        gathered = semantic.intent_words(position)
        assert gathered.dtype == own.dtype and gathered.shape == own.shape and gathered.strides == own.strides
        assert gathered.tobytes(order="A") == own.tobytes(order="A")


def test_a_higher_floor_counts_less(engine: Engine, vectors: WordVectors) -> None:
    bag = {"banned", "pension"}
    low = SemanticIndex([_profile(engine, bag)], vectors, engine.lexicon, 0.2)
    high = SemanticIndex([_profile(engine, bag)], vectors, engine.lexicon, 0.5)
    rows = _rows(low, ["outlawed", "pensioners"])
    assert all(h <= lo for h, lo in zip(high.nearness(0, rows), low.nearness(0, rows), strict=True))


@given(st.lists(st.sampled_from(wordvectors.load().words[:5000]), max_size=8))
@PROPERTY
def test_nearness_is_between_zero_and_one(semantic: SemanticIndex, words: list[str]) -> None:
    rows = _rows(semantic, words)
    for position in range(3):
        near = semantic.nearness(position, rows)
        assert len(near) == len(rows)
        assert all(0.0 <= value <= 1.0 for value in near)


def test_an_intent_with_vectorless_words_only(engine: Engine, vectors: WordVectors) -> None:
    profile = _profile(engine, {"qzxvwkq"})
    semantic = SemanticIndex([profile], vectors, engine.lexicon, FLOOR)
    rows = _rows(semantic, ["pension"])
    assert semantic.nearness(0, rows) == [0.0]


@given(st.lists(st.sampled_from(wordvectors.load().words[:5000]), max_size=4))
@PROPERTY
def test_nearness_is_exactly_the_plain_formula(semantic: SemanticIndex, vectors: WordVectors, words: list[str]) -> None:
    words = list(dict.fromkeys(words))  # a question's content words are distinct
    rows = _rows(semantic, words)
    matrix, found = vectors.matrix(words)
    assert np.array_equal(rows, matrix[found])  # the found rows, with the same float32 values
    for position in (0, 1):
        intent_words = semantic.intent_words(position).T
        # One row at a time and all together: a product of one row and of several are
        # separate BLAS routines, which need not round alike, so both shapes are checked.
        for query in [rows[i:i + 1] for i in range(len(rows))] + [rows]:
            plain = np.clip(((query @ intent_words.T).max(axis=1) - FLOOR) / (1.0 - FLOOR), 0.0, 1.0)
            near = semantic.nearness(position, query)
            assert plain.dtype == np.float32 and near == plain.tolist()  # the float32 values


def test_nearness_of_is_nearness_kept_per_intent_and_words(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    # The kept values are nearness's own, gathered once: a second asking gathers nothing.
    semantic = engine.matcher.semantic
    gathered: list[tuple[str, ...]] = []

    def vectors_of(words: Sequence[str]) -> np.ndarray:
        gathered.append(tuple(words))
        return _rows(semantic, words)

    monkeypatch.setattr(semantic, "_near", [{} for _ in semantic._near])
    cases = [(position, words) for position in range(0, len(engine.matcher.index.profiles), 9)
             for words in (("pensioners",), ("outlawed", "pensioners"), ("qzxvwkq",), ())]
    for position, words in cases:
        plain = semantic.nearness(position, _rows(semantic, words))
        assert semantic.nearness_of(position, words, vectors_of) == tuple(plain)
    assert len(gathered) == len(cases)
    for position, words in cases:
        assert semantic.nearness_of(position, words, vectors_of) == tuple(
            semantic.nearness(position, _rows(semantic, words)))
    assert len(gathered) == len(cases)


def test_intents_asked_in_turn_about_the_same_words_keep_them_under_one_tuple(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    semantic = engine.matcher.semantic
    monkeypatch.setattr(semantic, "_near", [{} for _ in semantic._near])
    positions = range(0, len(engine.matcher.index.profiles), 7)
    for words in (["outlawed", "pensioners"], ["banana", "outlawed"]):
        for position in positions:
            # A new list each time, as each candidate's uncovered words are.
            found = semantic.nearness_of(position, list(words), lambda asked: _rows(semantic, asked))
            assert found == tuple(semantic.nearness(position, _rows(semantic, words)))
        keys = [key for position in positions for key in semantic._near[position] if key == tuple(words)]
        assert len(keys) == len(positions) and all(key is keys[0] for key in keys)


def test_kept_nearness_has_the_plain_bits_with_its_zeros_shared(engine: Engine,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import struct

    semantic = engine.matcher.semantic
    monkeypatch.setattr(semantic, "_near", [{} for _ in semantic._near])
    kept: list[tuple[float, ...]] = []
    for position in range(len(engine.matcher.index.profiles)):
        for words in (("pensioners", "banana"), ("outlawed",), ("banana", "weather", "pensioners")):
            plain = semantic.nearness(position, _rows(semantic, words))
            kept.append(semantic.nearness_of(position, words, lambda found: _rows(semantic, found)))
            assert [struct.pack("<d", v) for v in kept[-1]] == [struct.pack("<d", v) for v in plain]
            again = semantic.nearness_of(position, words, lambda found: _rows(semantic, found))
            assert [struct.pack("<d", v) for v in again] == [struct.pack("<d", v) for v in plain]  # as kept
    zeros = [value for values in kept for value in values if value == 0.0]
    assert zeros and all(value is zeros[0] for value in zeros)
    # As kept: a word's value as the float itself, several words' as a tuple, each row of
    # nothing but zeros the one tuple of its length.
    tables = [value for table in semantic._near for value in table.values()]
    assert all(value is zeros[0] for value in tables if type(value) is float and value == 0.0)
    rows = [value for value in tables if type(value) is tuple]
    for length in {len(values) for values in rows}:
        empty = [values for values in rows if len(values) == length and not any(values)]
        assert all(values is empty[0] for values in empty)
    assert any(not any(values) for values in kept) and any(any(values) for values in kept)


def test_the_kept_words_and_nearness_are_bounded(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    semantic = engine.matcher.semantic
    monkeypatch.setattr(semantic, "_rows", {})
    monkeypatch.setattr(semantic, "_near", [{} for _ in semantic._near])
    monkeypatch.setattr("bot.core.semantic.WORD_CACHE_SIZE", 3)
    monkeypatch.setattr("bot.core.semantic.NEARNESS_CACHE_SIZE", 3)
    words = ["banned", "pension", "election", "outlawed", "banana", "qzxvwkq"]
    for word in words:
        assert list(semantic.query([word])) == ([word] if word in semantic.vectors else [])
        semantic.nearness_of(0, (word,), lambda found: _rows(semantic, found))
        assert len(semantic._rows) <= 3 and sum(map(len, semantic._near)) <= 3


def test_each_intents_kept_nearness_holds_its_share_of_the_bound(engine: Engine,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    semantic = engine.matcher.semantic
    intents = len(semantic._near)
    monkeypatch.setattr(semantic, "_near", [{} for _ in range(intents)])
    monkeypatch.setattr("bot.core.semantic.NEARNESS_CACHE_SIZE", 2 * intents)
    asked = [("banned",), ("pension",), ("election", "outlawed"), ("banana",), ("qzxvwkq",)]
    for position in range(intents):
        for words in asked:
            near = semantic.nearness_of(position, words, lambda found: _rows(semantic, found))
            assert near == tuple(semantic.nearness(position, _rows(semantic, words)))
            assert len(semantic._near[position]) <= 2
    assert sum(map(len, semantic._near)) <= 2 * intents


def test_the_rescaling_rounds_as_float32_arithmetic(engine: Engine) -> None:
    # An intent of one word whose vector is the first axis: each query row's product is its first
    # value, so nearness rescales chosen float32 values, every 61st one from below the floor to
    # past 1.0 and each side of the floor, as the float32 arrays' arithmetic does.
    for floor in (FLOOR, 0.2, 0.5):
        unit = WordVectors(["aaa"], np.array([[1, 0, 0, 0]], dtype=np.int8), np.array([1.0], dtype=np.float32))
        semantic = SemanticIndex([_profile(engine, {"aaa"})], unit, engine.lexicon, floor)
        low, high = np.array([floor - 0.05, 1.01], dtype=np.float32).view(np.int32)
        edge = np.float32(floor).view(np.int32)
        bits = np.concatenate([np.arange(low, high, 61, dtype=np.int32), np.arange(edge - 3, edge + 4, dtype=np.int32)])
        values = bits.view(np.float32)
        query = np.zeros((len(values), 4), dtype=np.float32)
        query[:, 0] = values
        plain = np.minimum(np.maximum(values - np.float32(floor), np.float32(0.0)) / np.float32(1.0 - floor),
                           np.float32(1.0))
        assert plain.dtype == np.float32
        assert semantic.nearness(0, query) == plain.tolist()


def test_has_vector_keeps_the_row_query_gives(engine: Engine, vectors: WordVectors,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # A new word's reading asks whether it has a vector; the question's words are then gathered
    # by the rows kept, with the values `found` gives them among others, none looked up again.
    semantic = engine.matcher.semantic
    monkeypatch.setattr(semantic, "_rows", {})
    monkeypatch.setattr(semantic, "_table_rows", {})
    words = ["pensioners", "outlawed", "qzxvwkq", "Banned", "the", "zzperson", "2013"]
    assert [semantic.has_vector(word) for word in words] == [word in vectors for word in words]
    kept, rows = vectors.found(words)

    def no_search(_word: str) -> None:
        raise AssertionError("looked up again")

    monkeypatch.setattr(semantic.vectors, "index", no_search)
    for _ in range(2):  # gathered, then kept
        found = semantic.query(words)
        assert tuple(found) == kept
        assert np.concatenate(list(found.values())).tobytes() == rows.tobytes()
        assert [semantic.has_vector(word) for word in words] == [word in kept for word in words]


def test_a_question_gathers_only_the_words_not_kept(engine: Engine, vectors: WordVectors,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # Its known words' rows are the ones kept; the new words' array holds their rows alone, each
    # with the values `found` gives it among the others.
    semantic = engine.matcher.semantic
    monkeypatch.setattr(semantic, "_rows", {})
    first = semantic.query(["banned", "qzxvwkq"])
    second = semantic.query(["pension", "banned", "qzxvwkq", "outlawed", "pension"])
    assert list(second) == ["pension", "banned", "outlawed"] and second["banned"] is first["banned"]
    assert second["pension"].base is second["outlawed"].base and len(second["pension"].base) == 2
    kept, rows = vectors.found(list(second))
    assert kept == tuple(second)
    assert np.concatenate(list(second.values())).tobytes() == rows.tobytes()
