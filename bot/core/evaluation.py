"""Labelled question files: load them, run them through an engine, measure accuracy."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core.engine import Engine
from bot.core.models import Answer, ReplyKind
from bot.core.yamlio import LineDict, YamlProblem, load_yaml

REJECTIONS = frozenset({ReplyKind.UNKNOWN, ReplyKind.AMBIGUOUS, ReplyKind.EMPTY})
UNDERSTOOD = frozenset({ReplyKind.ANSWER, ReplyKind.SMALLTALK, ReplyKind.REFUSAL, ReplyKind.CLARIFY})


@dataclass(frozen=True)
class Case:
    question: str
    intents: tuple[str, ...]  # empty: out of scope
    entity: str | None = None
    expect: tuple[str, ...] = ()
    line: int = 0

    @property
    def in_scope(self) -> bool:
        return bool(self.intents)


@dataclass(frozen=True)
class Outcome:
    case: Case
    answer: Answer
    correct: bool
    problem: str = ""


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def in_scope(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.case.in_scope]

    @property
    def out_of_scope(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.case.in_scope]

    @staticmethod
    def _rate(outcomes: list[Outcome]) -> float:
        return sum(o.correct for o in outcomes) / len(outcomes) if outcomes else 1.0

    @property
    def accuracy(self) -> float:
        return self._rate(self.in_scope)

    @property
    def rejection(self) -> float:
        return self._rate(self.out_of_scope)

    def per_intent(self) -> dict[str, tuple[int, int]]:
        table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for outcome in self.in_scope:
            row = table[outcome.case.intents[0]]
            row[0] += outcome.correct
            row[1] += 1
        return {k: (v[0], v[1]) for k, v in sorted(table.items())}

    def confusions(self) -> Counter[tuple[str, str]]:
        pairs: Counter[tuple[str, str]] = Counter()
        for outcome in self.outcomes:
            if outcome.correct:
                continue
            expected = outcome.case.intents[0] if outcome.case.in_scope else "(out of scope)"
            got = outcome.answer.intent if outcome.answer.kind not in REJECTIONS else (
                f"({outcome.answer.kind.value})")
            pairs[(expected, got or "(none)")] += 1
        return pairs

    def histogram(self, bins: int = 10) -> list[tuple[float, int, int]]:
        """(lower bound, correct, wrong) per confidence bin."""
        counts = [[0, 0] for _ in range(bins)]
        for outcome in self.outcomes:
            index = min(int(outcome.answer.confidence * bins), bins - 1)
            counts[index][0 if outcome.correct else 1] += 1
        return [(i / bins, c, w) for i, (c, w) in enumerate(counts)]


def load_cases(path: Path) -> list[Case]:
    """Read a labelled file; raise ValueError naming the line of a malformed case."""
    try:
        data = load_yaml(path)
    except YamlProblem as exc:
        raise ValueError(f"{path}:{exc.line or '?'}: {exc.message}") from exc
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of cases")
    cases: list[Case] = []
    for item in data:
        line = item.line if isinstance(item, LineDict) else 0
        if not isinstance(item, dict) or "q" not in item or "intent" not in item:
            raise ValueError(f"{path}:{line}: each case needs 'q' and 'intent'")
        unknown = set(item) - {"q", "intent", "entity", "expect"}
        if unknown:
            raise ValueError(f"{path}:{line}: unknown keys {sorted(unknown)}")
        raw: Any = item["intent"]
        intents = () if raw is None else (str(raw),) if isinstance(raw, str) else tuple(map(str, raw))
        expect = item.get("expect") or ()
        cases.append(Case(str(item["q"]), intents, item.get("entity"),
                          tuple(str(e) for e in expect), line))
    return cases


def judge(case: Case, answer: Answer) -> tuple[bool, str]:
    if not case.in_scope:
        if answer.kind in REJECTIONS:
            return True, ""
        return False, f"answered {answer.intent} ({answer.confidence:.2f}) instead of declining"
    if answer.kind not in UNDERSTOOD or answer.intent not in case.intents:
        got = answer.intent if answer.kind in UNDERSTOOD else answer.kind.value
        return False, f"got {got} ({answer.confidence:.2f})"
    if case.entity and answer.kind is ReplyKind.ANSWER and (
            answer.entity is None or answer.entity.key != case.entity):
        return False, f"entity {answer.entity.key if answer.entity else None}, expected {case.entity}"
    missing = [e for e in case.expect if e not in answer.text]
    if missing:
        return False, f"answer lacks {missing}"
    return True, ""


def evaluate(engine: Engine, cases: list[Case]) -> Report:
    report = Report()
    for case in cases:
        answer = engine.ask(case.question)
        correct, problem = judge(case, answer)
        report.outcomes.append(Outcome(case, answer, correct, problem))
    return report
