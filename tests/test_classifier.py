"""The word-level intent classifier: features, the fit, the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.core.classifier import NONE, PRUNE_BELOW, FeatureRows, IntentClassifier, QuestionFeatures, features, fit
from bot.core.engine import Engine
from bot.core.knowledge import KnowledgeBase
from tests.answers import question_sets


def _examples() -> list[tuple[list[str], str]]:
    rows = [(["w:when", "w:founded"], "founding"), (["w:who", "w:founded"], "founders"),
            (["w:when", "w:banned"], "ruling"), (["w:weather", "w:today"], NONE)]
    return rows * 5


def test_features_are_words_pairs_asked_types_and_row_kinds() -> None:
    found = features(["when", "was", "the", "cnrp", "founded"], frozenset({"was", "the"}),
                     frozenset({"cnrp"}), asked=["date"], kinds=["year"])
    assert "w:when" in found and "w:cnrp" not in found  # background words are left out
    assert "b:when was" in found and "b:was the" not in found  # a pair of filler says nothing
    assert {"a:date", "e:year"} <= set(found)


def test_the_fit_learns_which_words_point_where() -> None:
    model = fit(_examples(), ["founding", "founders", "ruling", NONE])
    assert max(model.probabilities(["w:when", "w:founded"]).items(), key=lambda kv: kv[1])[0] == "founding"
    assert max(model.probabilities(["w:who", "w:founded"]).items(), key=lambda kv: kv[1])[0] == "founders"
    assert max(model.probabilities(["w:weather"]).items(), key=lambda kv: kv[1])[0] == NONE
    assert abs(sum(model.probabilities(["w:nothing", "w:known"]).values()) - 1.0) < 1e-6


def test_the_fit_is_deterministic() -> None:
    classes = ["founding", "founders", "ruling", NONE]
    first, second = fit(_examples(), classes), fit(_examples(), classes)
    assert np.array_equal(first.weights, second.weights)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    model = fit(_examples(), ["founding", "founders", "ruling", NONE])
    path = tmp_path / "classifier.npz"
    model.save(path)
    loaded = IntentClassifier.load(path)
    assert loaded.classes == model.classes and dict(loaded.vocabulary) == dict(model.vocabulary)
    question = ["w:when", "w:banned"]
    assert abs(loaded.probabilities(question)["ruling"] - model.probabilities(question)["ruling"]) < 1e-3


def test_tiny_weights_are_stored_as_zero_and_move_no_answer(tmp_path: Path) -> None:
    weights = np.array([[PRUNE_BELOW / 2, -PRUNE_BELOW / 3], [1.5, -0.75]], dtype=np.float32)
    model = IntentClassifier.of({"w:tiny": 0, "w:big": 1}, ("a", NONE), weights, np.zeros(2, dtype=np.float32))
    model.save(tmp_path / "c.npz")
    loaded = IntentClassifier.load(tmp_path / "c.npz")
    assert (loaded.weights[0] == 0).all() and loaded.weights[1].tolist() == [1.5, -0.75]
    for found in (["w:tiny"], ["w:tiny", "w:big"]):
        before, after = model.probabilities(found), loaded.probabilities(found)
        assert all(abs(before[c] - after[c]) < 0.01 for c in before)


def test_the_shipped_classifier_knows_every_intent(kb: KnowledgeBase) -> None:
    assert kb.classifier is not None
    assert set(kb.intents) | {NONE} == set(kb.classifier.classes)


def test_the_probabilities_are_the_plain_softmax_in_float32() -> None:
    model = fit(_examples(), ["founding", "founders", "ruling", NONE])
    for found in (["w:when", "w:founded", "w:unknown", "w:when"], ["w:unknown"], []):
        columns = [model.vocabulary[f] for f in found if f in model.vocabulary]
        logits = model.bias + (model.weights[columns].sum(axis=0) if columns else np.float32(0.0))
        exp = np.exp(logits - logits.max())
        plain = dict(zip(model.classes, (exp / exp.sum()).tolist(), strict=True))
        assert list(model.probabilities(found).items()) == list(plain.items())
        # The array form: the same numbers in the order of `classes`.
        assert model.shares(found).tolist() == list(plain.values())


def test_question_features_find_the_rows_the_spelt_features_find(engine: Engine) -> None:
    # `shares` reads a question's rows from its words: the same rows in the same order (the same
    # float32 sums) as looking each spelt feature up, on every labelled question.
    matcher = engine.matcher
    classifier = matcher.classifier
    assert classifier is not None
    for name in ("questions.yaml", "fresh.yaml", "holdout.yaml", "out_of_scope.yaml"):
        for (question,) in dict(question_sets())[name]:
            parsed = matcher.parse(question)
            found = matcher.classifier_features(parsed)
            spelt = found.spelt()
            types = parsed.asked.types
            assert spelt == features(parsed.terms, matcher.lexicon.stopwords, parsed.background,
                                     sorted(types | {"yesno"} if parsed.asked.yes_no else types),
                                     sorted({e.kind for e in parsed.entities}))
            assert classifier.shares(found).tolist() == classifier.shares(spelt).tolist()


def test_question_features_find_repeated_words_pairs_split_anywhere_and_skip_filler() -> None:
    vocabulary = ["w:when", "w:cnrp", "b:the cnrp", "b:was the", "b:a b c", "a:date", "e:party"]
    model = IntentClassifier.of({name: i for i, name in enumerate(vocabulary)}, ("x", "y"),
                                np.arange(14, dtype=np.float32).reshape(7, 2) / 7, np.zeros(2, np.float32))
    for terms, background in ((["when", "was", "the", "cnrp", "when", "the", "cnrp"], frozenset()),
                              (["a b", "c", "a", "b c", "when"], frozenset()),
                              (["when", "was", "the", "cnrp"], frozenset({"when"}))):
        found = QuestionFeatures(terms, frozenset({"was", "the"}), background, ["date"], ["party", "person"])
        assert model._rows_of(found) == [model.vocabulary[f] for f in found.spelt() if f in model.vocabulary]
        assert model.shares(found).tolist() == model.shares(found.spelt()).tolist()


def test_the_kept_rows_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.core.classifier.FEATURE_ROW_CACHE_SIZE", 3)
    model = fit(_examples(), ["founding", "founders", "ruling", NONE])
    for terms in (["when", "founded"], ["who", "founded", "banned"], ["weather", "today", "when"]):
        found = QuestionFeatures(terms, frozenset(), frozenset(), [], [])
        assert model.shares(found).tolist() == model.shares(found.spelt()).tolist()
        assert len(model._row_of_words) <= 3


@pytest.mark.parametrize("rows", [{"w:a": 0, "w:b": 1, "b:a b": 2}, {"b:a b": 0, "w:a": 1, "w:b": 2},
                                  {"w:é": 2, "w:e": 0, "w:z": 1}, {}])
def test_feature_rows_give_each_feature_the_row_a_dict_gives(rows: dict[str, int]) -> None:
    # Rows numbered in the features' sorted order are their places; any other order is kept.
    table = FeatureRows(rows)
    assert dict(table) == rows and len(table) == len(rows) and sorted(table) == sorted(rows)
    assert (table._rows is None) == (sorted(rows, key=rows.__getitem__) == sorted(rows))
    for feature in (*rows, "w:", "w:c", "b:a", "w:aa", "x" * 99, "w:a\0"):
        assert table.get(feature) == rows.get(feature) and table.get(feature, -1) == rows.get(feature, -1)
        assert (feature in table) == (feature in rows)
    with pytest.raises(KeyError):
        table["w:c"]


def test_the_shipped_vocabulary_is_numbered_in_sorted_order(kb: KnowledgeBase) -> None:
    # Its rows are then the features' places: no table of rows is kept beside the words.
    vocabulary = kb.classifier.vocabulary
    assert isinstance(vocabulary, FeatureRows) and vocabulary._rows is None


def test_the_weights_are_kept_as_places_among_their_distinct_values_the_same_floats() -> None:
    weights = np.array([[0.5, -0.0, 0.0], [1e-30, 0.5, -2.25]], dtype=np.float32)
    bias = np.array([0.0, -0.0, 3.0], dtype=np.float32)
    model = IntentClassifier.of({"w:a": 0, "w:b": 1}, ("a", "b", NONE), weights, bias)
    assert model.codes.dtype == np.uint16 and len(model.values) == 6  # -0.0 is not 0.0
    assert model.weights.tobytes() == weights.tobytes() and model.bias.tobytes() == bias.tobytes()
    for found in (["w:a"], ["w:b", "w:a"], []):
        rows = [model.vocabulary[f] for f in found]
        plain = np.add.reduce(np.vstack([weights, bias])[[*rows, len(weights)]], axis=0)
        plain = np.exp(plain - plain.max())
        assert model.shares(found).tolist() == (plain / plain.sum()).tolist()


def test_more_distinct_weights_than_two_bytes_number_take_four() -> None:
    weights = np.arange(70_000, dtype=np.float32).reshape(35_000, 2) / 7
    model = IntentClassifier.of({f"w:{i}": i for i in range(35_000)}, ("a", NONE), weights, np.zeros(2, np.float32))
    assert model.codes.dtype == np.uint32 and model.weights.tobytes() == weights.tobytes()


def test_the_shipped_weights_take_two_bytes_each(kb: KnowledgeBase) -> None:
    # The file's float16 weights and float32 bias: far fewer distinct values than 65,536.
    assert kb.classifier is not None and kb.classifier.codes.dtype == np.uint16


def test_a_stored_classifier_looks_its_features_up_with_pread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Stored in an engine file and read back, a classifier searches its features' array with
    # os.pread once it meets a feature its memo lacks (a binary search of the mapping would map
    # it all), and finds the rows the mapping finds.
    import os

    from bot.core import enginecache
    from bot.core.wordvectors import _UNPLACED

    monkeypatch.setenv(enginecache.ENV, str(tmp_path))
    names = sorted({f"w:word{i:04d}" for i in range(400)} | {"b:word0001 word0002", "a:date"})
    weights = np.arange(len(names) * 2, dtype=np.float32).reshape(len(names), 2)
    enginecache.write("key", IntentClassifier.of({n: i for i, n in enumerate(names)}, ("a", NONE), weights,
                                                 np.zeros(2, np.float32)))
    held = enginecache.read("key")
    assert isinstance(held, IntentClassifier) and isinstance(held.vocabulary, FeatureRows)
    assert held.vocabulary._words._file is _UNPLACED
    terms = ["word0001", "word0002", "word0399", "unknown"]
    found = QuestionFeatures(terms, frozenset(), frozenset(), ["date"], [])
    rows = held._rows_of(found)
    assert held.vocabulary._words._file not in (None, _UNPLACED) or not hasattr(os, "pread")
    assert rows == [names.index(f) for f in found.spelt() if f in names]
