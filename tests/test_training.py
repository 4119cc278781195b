"""Fitting the scoring model: reading labelled questions, the training rows, and a fit that
reproduces itself on a small fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.engine import Engine, intent_traits
from bot.core.matching import Matcher
from bot.core.models import ReplyKind
from bot.core.scoring import FEATURE_NAMES, untrained_model
from bot.core.training import (
    CATEGORY_INTENTS,
    GATE_ACCURACY,
    GATE_REJECTION,
    Example,
    build_dataset,
    choose_threshold,
    decide,
    fit,
    read_examples,
    within_gates,
)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "questions.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_read_examples_in_every_format(tmp_path: Path) -> None:
    examples = read_examples(_write(tmp_path, """\
- {q: "who founded the cnrp", intent: party.founders}
- {q: "how did it do in kandal", intent: [results.constituency, results.compare]}
- {q: "what's the weather", intent: null}
- {q: "when was it founded and who founded it?", intents: [party.founding, party.founders]}
- {q: "hi there", category: greeting, why: a greeting}
- {q: "capital of france", category: general_knowledge, why: not the party}
"""))
    assert examples == [
        Example("who founded the cnrp", frozenset({"party.founders"})),
        Example("how did it do in kandal", frozenset({"results.constituency", "results.compare"})),
        Example("what's the weather", frozenset()),
        Example("when was it founded", frozenset({"party.founding"})),
        Example("who founded it?", frozenset({"party.founders"})),
        Example("hi there", frozenset({"meta.greeting"})),
        Example("capital of france", frozenset()),
    ]


@pytest.mark.parametrize(("text", "message"), [
    ("q: not a list\n", "expected a list"),
    ("- {intent: a.b}\n", "needs 'q'"),
    ("- {q: x, intent: 5}\n", "intent must be"),
])
def test_a_malformed_file_names_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_examples(_write(tmp_path, text))


def test_category_intents_exist(engine: Engine) -> None:
    assert set(CATEGORY_INTENTS.values()) <= set(engine.kb.intents)
    assert all(engine.kb.intents[i].kind is not ReplyKind.ANSWER for i in CATEGORY_INTENTS.values())


@pytest.fixture(scope="module")
def matcher(engine: Engine) -> Matcher:
    return Matcher(engine.kb, traits=intent_traits(engine.kb), model=untrained_model())


FIXTURE = [
    Example("when was the cnrp founded", frozenset({"party.founding"})),
    Example("who founded the rescue party", frozenset({"party.founders"})),
    Example("what was the party's slogan", frozenset({"party.slogan"})),
    Example("how many votes did the cnrp get in kandal", frozenset({"results.constituency"})),
    Example("why was the party banned", frozenset({"dissolution.why"})),
    Example("when was kem sokha arrested", frozenset({"dissolution.arrest"})),
    Example("who were the vice presidents", frozenset({"leaders.vice_presidents"})),
    Example("what is the capital of france", frozenset()),
    Example("how do i bake bread", frozenset()),
    Example("who won the world cup", frozenset()),
    Example("thanks a lot", frozenset({"meta.thanks"})),
    Example("what colour was the flag", frozenset()),
]


def test_training_rows_label_the_right_candidate(matcher: Matcher) -> None:
    data = build_dataset(matcher, FIXTURE)
    assert data.features.shape == (len(data.labels), len(FEATURE_NAMES))
    founding = [i for i in range(len(data.labels)) if data.question[i] == 0]
    assert sum(data.labels[founding]) == 1
    # Out of scope: only candidates that would state a fact are rows, all of them wrong.
    weather = data.question == 7
    assert data.answering[weather].all() and not data.labels[weather].any()


def test_a_fit_on_a_small_fixture_reproduces_itself(matcher: Matcher) -> None:
    # A few classifier iterations keep the test fast; the fit is deterministic all the same.
    first_model, classifier, first = fit(matcher, FIXTURE, classifier_iterations=5)
    second_model, _, second = fit(matcher, FIXTURE, classifier_iterations=5)
    assert first == second and first_model.weights == second_model.weights
    assert first["questions"] == len(FIXTURE) and 0.0 < first_model.answer < 1.0
    # The figures the fit records are what its model does with the classifier it was fitted with.
    outcome = decide(matcher, FIXTURE, first_model, first_model.answer, classifier)
    assert outcome.in_scope == 8 and outcome.out_of_scope == 4


def test_the_threshold_is_the_middle_of_an_exactly_flat_best_band() -> None:
    # Right answers scored 0.9 and 0.6, a wrong one 0.4, an out-of-scope answer 0.2: any
    # threshold in (0.4, 0.6] is best (2 correct, no wrong, 1 rejected); the middle is chosen.
    examples = [Example("a", frozenset({"x"})), Example("b", frozenset({"x"})), Example("c", frozenset({"x"})),
                Example("d", frozenset())]
    scored = [[(0.9, "x", True)], [(0.6, "x", True)], [(0.4, "y", True)], [(0.2, "y", True)]]
    assert choose_threshold(scored, examples) == pytest.approx(0.5, abs=0.011)


def test_the_threshold_follows_the_peak_not_a_long_gentle_slope() -> None:
    # Ten right answers between 0.55 and 0.64, two wrong ones at 0.5 and 0.52, and a tail of
    # right answers that a higher threshold loses one by one: the best is just above the
    # wrong ones, however far the slow decline beyond them reaches.
    right = [0.55 + 0.01 * i for i in range(10)] + [0.66 + 0.02 * i for i in range(14)]
    examples = [Example(str(i), frozenset({"x"})) for i in range(len(right) + 2)]
    scored = [[(score, "x", True)] for score in right] + [[(0.5, "y", True)], [(0.52, "y", True)]]
    assert 0.52 < choose_threshold(scored, examples) <= 0.56


def test_the_threshold_is_lowered_until_the_gated_questions_pass(engine: Engine) -> None:
    matcher, model, classifier = engine.matcher, engine.model, engine.matcher.classifier
    assert classifier is not None
    in_scope = [e for e in FIXTURE if e.intents and not e.intents & {"meta.thanks"}]
    # Nothing can be answered at 0.999 (easy questions score 0.99 and more): the gate pulls the
    # threshold down to where it holds.
    start = 0.999
    assert decide(matcher, in_scope, model, start, classifier).accuracy < GATE_ACCURACY
    lowered = within_gates(matcher, [in_scope], model, classifier, start)
    assert lowered < start
    answered = decide(matcher, in_scope, model, lowered, classifier)
    assert answered.accuracy >= GATE_ACCURACY
    assert decide(matcher, in_scope, model, round(lowered + 0.01, 2), classifier).accuracy < GATE_ACCURACY
    # A threshold that already passes stays.
    assert within_gates(matcher, [in_scope], model, classifier, lowered) == lowered
    # Out-of-scope questions the lower threshold would answer keep the first threshold.
    declined = [e for e in FIXTURE if not e.intents]
    assert decide(matcher, declined, model, lowered, classifier).rejection >= GATE_REJECTION
