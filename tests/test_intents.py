"""Accuracy gates over the labelled files: they fail when matching regresses.

questions.yaml: single questions, in and out of scope. analytics.yaml: questions answered by
computing over the tables, with expected values. conversations.yaml: ordered turns, each
conversation in its own context.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.engine import Engine
from bot.core.evaluation import Outcome, Report, evaluate_file, load_cases, load_conversations
from bot.core.training import GATE_ACCURACY, GATE_REJECTION, read_examples

TESTS = Path(__file__).parent
QUESTIONS = TESTS / "questions.yaml"
ANALYTICS = TESTS / "analytics.yaml"
CONVERSATIONS = TESTS / "conversations.yaml"
TRAINING = sorted((TESTS.parent / "training").glob("*.yaml"))
MIN_ACCURACY = GATE_ACCURACY  # the fit keeps its threshold where these hold
MIN_REJECTION = GATE_REJECTION


@pytest.fixture(scope="module")
def reports(engine: Engine) -> dict[str, Report]:
    return {path.name: evaluate_file(engine, path) for path in (QUESTIONS, ANALYTICS, CONVERSATIONS)}


def test_labelled_files_are_big_and_broad(engine: Engine) -> None:
    cases = load_cases(QUESTIONS)
    assert len(cases) >= 400
    assert sum(not c.in_scope for c in cases) >= 60
    counts: dict[str, int] = {}
    training = [e for path in TRAINING for e in read_examples(path) if e.intents]
    for intents in [*(c.intents[:1] for c in [*cases, *load_cases(ANALYTICS)]),
                    *(sorted(e.intents)[:1] for e in training)]:
        for intent in intents:
            counts[intent] = counts.get(intent, 0) + 1
    thin = [i for i in engine.kb.intents if counts.get(i, 0) < 3]
    assert not thin, f"intents with fewer than 3 labelled questions: {thin}"
    entities = {c.entity for c in cases}
    assert {r["name"] for r in engine.kb.table("constituencies").rows} <= entities
    assert {r["name"] for r in engine.kb.table("people").rows} <= entities
    turns = [t for conversation in load_conversations(CONVERSATIONS) for t in conversation]
    assert len(load_cases(ANALYTICS)) + len(turns) >= 150


def _failures(outcomes: list[Outcome]) -> str:
    lines = [f"  {o.case.question!r}: {o.problem}" for o in outcomes if not o.correct]
    return "\n".join(lines)[:4000]


@pytest.mark.parametrize("name", [QUESTIONS.name, ANALYTICS.name, CONVERSATIONS.name])
def test_in_scope_accuracy_gate(reports: dict[str, Report], name: str) -> None:
    report = reports[name]
    assert report.accuracy >= MIN_ACCURACY, (
        f"{name}: in-scope top-1 accuracy {report.accuracy:.1%} < {MIN_ACCURACY:.0%}\n"
        + _failures(report.in_scope))


def test_out_of_scope_rejection_gate(reports: dict[str, Report]) -> None:
    report = reports[QUESTIONS.name]
    assert report.rejection >= MIN_REJECTION, (
        f"out-of-scope rejection {report.rejection:.1%} < {MIN_REJECTION:.0%}\n"
        + _failures(report.out_of_scope))
