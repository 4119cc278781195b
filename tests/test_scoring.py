"""The scoring model: the logistic fit, the model file's checks, probabilities."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.core.boosting import TreeEnsemble
from bot.core.engine import Engine
from bot.core.evaluation import load_cases
from bot.core.knowledge import KnowledgeBase
from bot.core.scoring import (
    FEATURE_NAMES,
    FEATURES,
    ScoringModel,
    fit_logistic,
    log_loss,
    parse_model,
    untrained_model,
)


def _synthetic(seed: int = 7, rows: int = 4000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(rows, 3))
    true = np.array([2.0, -1.0, 0.0])
    labels = (rng.random(rows) < 1 / (1 + np.exp(-(features @ true + 0.5)))).astype(float)
    return features, labels, true


def test_the_fit_recovers_known_weights() -> None:
    features, labels, true = _synthetic()
    weights, bias = fit_logistic(features, labels, l2=0.1)
    assert np.allclose(weights, true, atol=0.2) and abs(bias - 0.5) < 0.2


def test_the_fit_is_deterministic() -> None:
    features, labels, _ = _synthetic()
    first, second = fit_logistic(features, labels), fit_logistic(features, labels)
    assert np.array_equal(first[0], second[0]) and first[1] == second[1]


def test_log_loss_is_lower_for_the_fitted_model() -> None:
    features, labels, _ = _synthetic()
    weights, bias = fit_logistic(features, labels)
    fitted = 1 / (1 + np.exp(-(features @ weights + bias)))
    assert log_loss(fitted, labels) < log_loss(np.full(len(labels), 0.5), labels)


def test_every_feature_is_explained() -> None:
    assert all(FEATURES[name] for name in FEATURE_NAMES)


def test_the_shipped_model_has_a_weight_for_every_feature(kb: KnowledgeBase) -> None:
    model = kb.scoring
    assert set(model.weights) == set(FEATURE_NAMES)
    assert 0.0 < model.suggest <= model.answer < 1.0
    assert model.meta["questions"] > 1000  # fitted, not the untrained placeholder


def test_probabilities_rise_with_a_positive_weight() -> None:
    model = ScoringModel({name: (1.0 if name == "overlap" else 0.0) for name in FEATURE_NAMES}, 0.0)
    rows = np.zeros((2, len(FEATURE_NAMES)))
    rows[1, FEATURE_NAMES.index("overlap")] = 1.0
    low, high = model.probabilities(rows)
    assert low == pytest.approx(0.5) and high > low
    assert model.contributions(rows[1]) == {"overlap": 1.0}


def test_the_shipped_trees_add_to_the_weighted_sum_and_are_credited_to_features(kb: KnowledgeBase) -> None:
    model = kb.scoring
    assert model.trees is not None, "make fit writes knowledge/scoring_trees.npz beside scoring.yaml"
    rng = np.random.default_rng(3)
    rows = rng.random((20, len(FEATURE_NAMES)))
    linear = rows @ model.vector() + model.bias
    z = np.log(model.probabilities(rows) / (1 - model.probabilities(rows)))
    assert z == pytest.approx(linear + model.trees.logits(rows), abs=1e-6)
    for row, logit in zip(rows, z, strict=True):
        assert model.offset + sum(model.contributions(row).values()) == pytest.approx(logit, abs=1e-6)


def _walked(trees: TreeEnsemble, rows: np.ndarray) -> np.ndarray:
    """The trees' output the plain way: every row down every tree a level at a time."""
    every_tree = np.arange(len(trees.features))
    every_row = np.arange(len(rows))[:, None]
    node = np.zeros((len(rows), len(trees.features)), dtype=np.intp)
    while node[0, 0] < trees.features.shape[1]:
        right = rows[every_row, trees.features[every_tree, node]] > trees.thresholds[every_tree, node]
        node = 2 * node + 1 + right
    return np.ascontiguousarray(trees.values[every_tree, node]).sum(axis=1)


def test_probabilities_are_exactly_the_plain_logistic_of_the_candidates_log_odds(engine: Engine) -> None:
    # probabilities works with the log-odds negated, skips the clip at +50 and looks the trees'
    # leaves up in a table: on the rows real questions give, the very floats of the plain way.
    model = engine.model
    assert model.trees is not None
    cases = load_cases(Path(__file__).parent / "questions.yaml")[:300]
    sizes = set()
    for case in cases:
        rows = np.array([r.features for r in engine.matcher.analyse(case.question).ranked])
        if not len(rows):
            continue
        sizes.add(len(rows))
        z = rows @ model.vector() + model.bias
        z += _walked(model.trees, rows)
        plain = 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))
        assert model.probabilities(rows).tolist() == plain.tolist(), case.question
    assert {8, 9} <= sizes  # a whole word of rows and one with padding


def test_probabilities_far_out_are_those_of_the_clipped_log_odds() -> None:
    model = ScoringModel({name: (1.0 if name == "overlap" else 0.0) for name in FEATURE_NAMES}, 0.0)
    rows = np.zeros((6, len(FEATURE_NAMES)))
    rows[:, FEATURE_NAMES.index("overlap")] = [-800.0, -60.0, -50.0, 36.0, 60.0, 800.0]
    z = np.clip(rows @ model.vector(), -50.0, 50.0)
    assert model.probabilities(rows).tolist() == (1.0 / (1.0 + np.exp(-z))).tolist()


def test_untrained_model_leans_on_overlap_alone() -> None:
    model = untrained_model()
    assert [n for n, w in model.weights.items() if w] == ["overlap"]


@pytest.mark.parametrize(("data", "field", "message"), [
    ([], "", "expected a mapping"),
    ({"weights": []}, "weights", "expected a mapping"),
    ({"weights": {"no_such": 1.0}, "bias": 0, "answer_threshold": 0.5, "suggest_threshold": 0.2},
     "weights.no_such", "unknown feature"),
    ({"weights": {}, "bias": 0, "answer_threshold": 0.5, "suggest_threshold": 0.2},
     "weights.overlap", "missing"),
    ({"weights": dict.fromkeys(FEATURE_NAMES, 1.0), "bias": "x", "answer_threshold": 0.5,
      "suggest_threshold": 0.2}, "bias", "expected a number"),
    ({"weights": dict.fromkeys(FEATURE_NAMES, 1.0), "bias": 0, "answer_threshold": 1.5,
      "suggest_threshold": 0.2}, "answer_threshold", "a probability"),
    ({"weights": dict.fromkeys(FEATURE_NAMES, 1.0), "bias": 0, "answer_threshold": 0.3,
      "suggest_threshold": 0.4}, "suggest_threshold", "must not exceed"),
    ({"weights": {**dict.fromkeys(FEATURE_NAMES, 1.0), "overlap": float("nan")}, "bias": 0,
      "answer_threshold": 0.5, "suggest_threshold": 0.2}, "weights.overlap", "expected a number"),
])
def test_a_bad_model_file_names_the_field(data: object, field: str, message: str) -> None:
    model, problems = parse_model(data)
    assert model is None
    assert any(f == field and message in m for f, m in problems), problems
