"""Every answer the engine gives to the project's questions, as comparable records.

The same question set serves two checks that no optimisation changes an answer:

- `tests/test_equivalence.py` answers it twice in one run, with the engine's fast paths on and
  off (`Engine.load(reference=True)`: the straightforward dense scoring, no precomputed
  replies), and compares the records;
- across commits, `make answers-record` writes the records of the checkout to a file (by
  default `/tmp/cnrp-answers.jsonl`) and `make answers-diff` compares the checkout's records
  with it (`python -m tests.answers record|diff [FILE]`).

The questions are every labelled file in `tests/` (single questions alone, conversation files
turn by turn in one conversation each) and, where it exists, the development set beside the
checkout (its questions only; it is graded elsewhere). A record holds the whole `ask --json`
object with the confidence unrounded, plus what the next turn of a conversation depends on
(kind, rows, normalised text) and the candidates `--explain` shows.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.core.context import Conversation
from bot.core.engine import Engine
from bot.core.evaluation import is_conversation_file, load_cases, load_conversations
from bot.core.models import Answer
from bot.core.yamlio import load_yaml

TESTS = Path(__file__).parent
DEVSET = TESTS.parent.parent / "shared" / "devset" / "questions.yaml"
DEFAULT_SNAPSHOT = Path("/tmp/cnrp-answers.jsonl")
# Confidences agree when they differ by less than this (the brief: no change to any answer).
TOLERANCE = 1e-9


def question_sets() -> Iterator[tuple[str, list[list[str]]]]:
    """(name, conversations): a file of single questions is one conversation per question."""
    for path in sorted(TESTS.glob("*.yaml")):
        if is_conversation_file(path):
            yield path.name, [[turn.question for turn in turns] for turns in load_conversations(path)]
        else:
            yield path.name, [[case.question] for case in load_cases(path)]
    if DEVSET.is_file():
        data = load_yaml(DEVSET)
        items = data if isinstance(data, list) else []
        yield "devset", [[str(item["q"])] for item in items if isinstance(item, dict) and "q" in item]


def record(answer: Answer) -> dict[str, Any]:
    data = answer.to_json()
    data["confidence"] = answer.confidence
    data["kind"] = answer.kind.value
    data["entity"] = [answer.entity.kind, answer.entity.key] if answer.entity else None
    data["entities"] = [[e.kind, e.key, e.text, e.score, e.start, e.end] for e in answer.entities]
    data["normalized"] = answer.normalized
    data["related"] = list(answer.related)
    data["candidates"] = [[c.intent, c.score, c.question, c.why] for c in answer.candidates]
    data["parts"] = [record(part) for part in answer.parts]
    return data


def collect(engine: Engine) -> Iterator[dict[str, Any]]:
    """One record per question asked, in a fixed order."""
    for name, conversations in question_sets():
        for number, turns in enumerate(conversations):
            # Single questions go without a conversation, as `ask --json` asks them.
            context = Conversation(engine.config.context_ttl_seconds,
                                   engine.config.context_max_turns) if len(turns) > 1 else None
            for turn, question in enumerate(turns):
                yield {"file": name, "item": number, "turn": turn, "q": question,
                       **record(engine.ask(question, context))}


def differences(expected: dict[str, Any], got: dict[str, Any], path: str = "") -> list[str]:
    """Where two records differ; confidences and scores within TOLERANCE agree."""
    found: list[str] = []
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in dict.fromkeys([*expected, *got]):
            found += differences(expected.get(key), got.get(key), f"{path}.{key}")
    elif isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            found.append(f"{path}: {len(expected)} items, now {len(got)}")
        for i, (a, b) in enumerate(zip(expected, got, strict=False)):
            found += differences(a, b, f"{path}[{i}]")
    elif isinstance(expected, float) and isinstance(got, float):
        if not math.isclose(expected, got, rel_tol=0.0, abs_tol=TOLERANCE):
            found.append(f"{path}: {expected!r} -> {got!r}")
    elif expected != got:
        found.append(f"{path}: {expected!r} -> {got!r}")
    return found


def compare(expected: list[dict[str, Any]], got: list[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    if len(expected) != len(got):
        problems.append(f"{len(expected)} answers recorded, {len(got)} now")
    for a, b in zip(expected, got, strict=False):
        where = f"{a['file']}#{a['item']}.{a['turn']} {a['q']!r}"
        problems += [f"{where}{d}" for d in differences(a, b)]
    return problems


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("record", "diff"):
        print("usage: python -m tests.answers record|diff [FILE]", file=sys.stderr)
        return 2
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_SNAPSHOT
    records = list(collect(Engine.load()))
    if argv[0] == "record":
        with path.open("w", encoding="utf-8") as handle:
            for item in records:
                handle.write(json.dumps(item, ensure_ascii=False) + "\n")
        print(f"{len(records)} answers recorded in {path}")
        return 0
    with path.open(encoding="utf-8") as handle:
        expected = [json.loads(line) for line in handle]
    problems = compare(expected, records)
    for problem in problems[:50]:
        print(problem)
    print(f"{len(records)} answers, {len(problems)} differences from {path}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
