"""Accuracy gates over the labelled question file: they fail when matching regresses."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.engine import Engine
from bot.core.evaluation import Report, evaluate, load_cases

QUESTIONS = Path(__file__).parent / "questions.yaml"
MIN_ACCURACY = 0.95
MIN_REJECTION = 0.95


@pytest.fixture(scope="module")
def report(engine: Engine) -> Report:
    return evaluate(engine, load_cases(QUESTIONS))


def test_labelled_file_is_big_and_broad(engine: Engine) -> None:
    cases = load_cases(QUESTIONS)
    assert len(cases) >= 400
    assert sum(not c.in_scope for c in cases) >= 60
    counts: dict[str, int] = {}
    for case in cases:
        for intent in case.intents[:1]:
            counts[intent] = counts.get(intent, 0) + 1
    thin = [i for i in engine.kb.intents if counts.get(i, 0) < 3]
    assert not thin, f"intents with fewer than 3 labelled questions: {thin}"
    entities = {c.entity for c in cases}
    assert {r["name"] for r in engine.kb.table("constituencies").rows} <= entities
    assert {r["name"] for r in engine.kb.table("people").rows} <= entities


def _failures(outcomes: list) -> str:  # type: ignore[type-arg]
    return "\n".join(f"  {o.case.question!r}: {o.problem}" for o in outcomes if not o.correct)[:4000]


def test_in_scope_accuracy_gate(report: Report) -> None:
    assert report.accuracy >= MIN_ACCURACY, (
        f"in-scope top-1 accuracy {report.accuracy:.1%} < {MIN_ACCURACY:.0%}\n"
        + _failures(report.in_scope))


def test_out_of_scope_rejection_gate(report: Report) -> None:
    assert report.rejection >= MIN_REJECTION, (
        f"out-of-scope rejection {report.rejection:.1%} < {MIN_REJECTION:.0%}\n"
        + _failures(report.out_of_scope))
