"""One scoring model: features of a (question, intent) pair → the probability that the
intent's reply answers the question.

A logistic regression with one weight per feature, plus shallow boosted trees fitted to its
residuals (`bot/core/boosting.py`: how features combine, which a weighted sum cannot say), both
fitted offline (`cnrp-bot fit`, `make fit`) on labelled questions and stored as data in
`knowledge/scoring.yaml` and `knowledge/scoring_trees.npz`. The decision
that uses it has three bands: answer, "did you mean", decline. Each feature is explained in
`FEATURES` and shown by `ask --explain`, so a new rule is a new feature with a fitted weight,
never another hand-set multiplier.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any

import numpy as np

from bot.core.boosting import TreeEnsemble
from bot.core.records import record

# name -> what it measures (shown by `ask --explain` and in knowledge/scoring.yaml)
FEATURES: dict[str, str] = {
    "overlap": "weighted word overlap with the intent's best phrasing (recall-weighted F-beta)",
    "fuzzy": "rapidfuzz token_sort_ratio against that phrasing, 0..1",
    "classifier": "the word-level intent classifier's probability for this intent",
    "exact": "the question has the very words of one of the intent's phrasings, no more and no fewer",
    "classifier_lead": "that probability minus the best other intent's (negative when behind)",
    "classifier_none": "the classifier's probability that no intent answers the question",
    "coverage": "share of the question's content words the intent's phrasings, keywords and reply use",
    "relevance": "rarity-weighted share of the question's content words its reply's own text uses",
    "unknown": "share of the question's content words the knowledge base never uses",
    "unknown_word": "the question has a content word the knowledge base never uses",
    "uncovered_word": "the question has a content word the intent's phrasings, keywords and reply never use",
    "uncovered_rare": "how rare the rarest such word is (a specific word the intent ignores, not chatter)",
    "evaluative": "the question asks for a judgement (fair, right, racist …) and the intent reports facts",
    "semantic": "coverage counting a word near one of the intent's words (word vectors) as partly covered",
    "entity_fit": "the intent is about a kind of row and the question names one",
    "entity_missing": "the intent needs a row and the question names none",
    "names_other": "the question names a person, place or party the intent is about another of",
    "names_unrelated": "the question names a person, place or party the intent's phrasings never do",
    "org_unrelated": "the question names an organisation the intent's phrasings and reply never mention",
    "other_subject": "the question never names the CNRP but names another organisation, or a name no "
                     "source uses, that the intent's phrasings and reply never mention: another party's facts",
    "outside_party": "the question names a party or body the sources never mention (FUNCINPEC, the NEC …), "
                     "and never the CNRP, and the intent answers with facts",
    "count_mismatch": "the question names one row where the intent compares two, or the reverse",
    "type_match": "the question asks for a kind of answer (who, when, how many …) the intent gives",
    "type_mismatch": "the question asks for a kind of answer the intent does not give",
    "off_topic": "the question uses a word that only another intent uses, one this intent does not name as related",
    "present": "the question asks about today, which sources ending in 2018 cannot tell",
    "unknown_year": "the question names a year no source mentions",
    "margin": "the overlap's lead over the best other intent (negative when behind)",
    "chat": "the intent is small talk or a refusal",
    "gap": "the intent says what the sources lack",
}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURES)
# The trees' file, beside scoring.yaml in the knowledge folder.
TREES_FILE = "scoring_trees.npz"


@record
class ScoringModel:
    """The fitted model that turns a candidate's features into a probability."""

    weights: Mapping[str, float]
    bias: float
    # A reply states facts at or above `answer`; between `suggest` and `answer` the bot asks
    # "did you mean"; below `suggest` it declines.
    answer: float = 0.5
    suggest: float = 0.3
    meta: Mapping[str, Any] = field(default_factory=dict)
    # Added to the weighted sum's log-odds; None: the weighted sum alone.
    trees: TreeEnsemble | None = field(default=None, compare=False)

    def vector(self) -> np.ndarray:
        return self._vector.copy()

    @functools.cached_property
    def _vector(self) -> np.ndarray:
        # Built once: the model is immutable, and rebuilding it from the mapping on every
        # question cost more than the product it feeds.
        return np.array([self.weights.get(name, 0.0) for name in FEATURE_NAMES], dtype=np.float64)

    @functools.cached_property
    def _negated_vector(self) -> np.ndarray:
        return -self._vector

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """One probability per row of `features` (rows × FEATURE_NAMES)."""
        # The log-odds negated, as the sigmoid takes them: with the weights negated the product
        # is the negated product exactly (rounding is symmetric about zero), and so is each
        # subtraction below of the matching addition.
        minus_z = features @ self._negated_vector
        minus_z -= self.bias
        if self.trees is not None:
            minus_z -= self.trees.logits(features)
        return _sigmoid_of_negated(minus_z)

    def contributions(self, row: np.ndarray) -> dict[str, float]:
        """Each feature's share of the log-odds: its weight times its value, plus what the
        trees' splits on it moved. With `offset` they sum to the log-odds."""
        vector = self.vector()
        moved = self.trees.contributions(row, len(FEATURE_NAMES)) if self.trees is not None else None
        out = {}
        for i, name in enumerate(FEATURE_NAMES):
            share = float(row[i] * vector[i]) + (float(moved[i]) if moved is not None else 0.0)
            if row[i] or share:
                out[name] = share
        return out

    @property
    def offset(self) -> float:
        """The log-odds of a row no feature moves: the bias and the trees' roots."""
        return self.bias + (self.trees.base() if self.trees is not None else 0.0)


def untrained_model() -> ScoringModel:
    """Word overlap alone, before any fit: what `cnrp-bot fit` starts from."""
    return ScoringModel({name: (8.0 if name == "overlap" else 0.0) for name in FEATURE_NAMES}, -5.0)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return _sigmoid_of_negated(np.negative(z))


def _sigmoid_of_negated(minus_z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)) of z clipped to ±50, worked out in `minus_z` itself: a question's few
    values cost only the calls. Under 50, exp cannot overflow, so no error state need be set.
    The clip at z = 50 is not made: from z = 37 on, 1 + exp(-z) is 1.0 already (exp(-z) is
    below half an ulp of 1), so the probability is 1.0 either way."""
    np.minimum(minus_z, 50.0, out=minus_z)
    np.exp(minus_z, out=minus_z)
    minus_z += 1.0
    np.divide(1.0, minus_z, out=minus_z)
    return minus_z


def fit_logistic(features: np.ndarray, labels: np.ndarray, l2: float = 1.0,
                 iterations: int = 50) -> tuple[np.ndarray, float]:
    """Weights and bias by Newton's method (IRLS) with an L2 penalty on the weights: a
    deterministic fit, so the same data always gives the same model."""
    rows, columns = features.shape
    design = np.hstack([features, np.ones((rows, 1))])
    theta = np.zeros(columns + 1)
    penalty = np.full(columns + 1, l2)
    penalty[-1] = 0.0  # the bias is not shrunk
    for _ in range(iterations):
        p = _sigmoid(design @ theta)
        gradient = design.T @ (p - labels) + penalty * theta
        curvature = design.T @ (design * (p * (1 - p))[:, None]) + np.diag(penalty) + 1e-9 * np.eye(columns + 1)
        step = np.linalg.solve(curvature, gradient)
        theta -= step
        if float(np.max(np.abs(step))) < 1e-10:
            break
    return theta[:-1], float(theta[-1])


def log_loss(probabilities: np.ndarray, labels: np.ndarray) -> float:
    p = np.clip(probabilities, 1e-12, 1 - 1e-12)
    return float(-np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p)))


def model_from_fit(weights: Sequence[float] | np.ndarray, bias: float, answer: float, suggest: float,
                   meta: Mapping[str, Any]) -> ScoringModel:
    return ScoringModel({name: round(float(w), 6) for name, w in zip(FEATURE_NAMES, weights, strict=True)},
                        round(bias, 6), round(answer, 4), round(suggest, 4), dict(meta))


def parse_model(data: Any) -> tuple[ScoringModel | None, list[tuple[str, str]]]:
    """A model from knowledge/scoring.yaml's data, or the (field, message) problems."""
    problems: list[tuple[str, str]] = []
    if not isinstance(data, Mapping):
        return None, [("", "expected a mapping with weights, bias and thresholds")]
    weights = data.get("weights")
    if not isinstance(weights, Mapping):
        return None, [("weights", "expected a mapping of feature name to weight")]
    parsed: dict[str, float] = {}
    for name, value in weights.items():
        if name not in FEATURES:
            problems.append((f"weights.{name}", f"unknown feature (known: {', '.join(FEATURE_NAMES)})"))
        elif not _finite(value):
            problems.append((f"weights.{name}", "expected a number"))
        else:
            parsed[str(name)] = float(value)
    for name in FEATURE_NAMES:
        if name not in parsed and not any(p[0] == f"weights.{name}" for p in problems):
            problems.append((f"weights.{name}", "missing: every feature needs a weight (refit with `make fit`)"))
    numbers: dict[str, float] = {}
    for key in ("bias", "answer_threshold", "suggest_threshold"):
        value = data.get(key)
        if isinstance(value, int | float) and _finite(value):
            numbers[key] = float(value)
        else:
            problems.append((key, "expected a number"))
    for key in ("answer_threshold", "suggest_threshold"):
        if key in numbers and not 0.0 <= numbers[key] <= 1.0:
            problems.append((key, "a probability, within [0, 1]"))
    if problems:
        return None, problems
    if numbers["suggest_threshold"] > numbers["answer_threshold"]:
        return None, [("suggest_threshold", "must not exceed answer_threshold")]
    meta = data.get("fitted")
    return ScoringModel(parsed, numbers["bias"], numbers["answer_threshold"], numbers["suggest_threshold"],
                        dict(meta) if isinstance(meta, Mapping) else {}), []


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
