"""No optimisation changes an answer: the engine with its fast paths on answers every question
of the labelled files, the conversation files and the development set exactly as the same
engine with them off (`reference=True`: the straightforward computations they replace).

The reference is computed in the same run from the same knowledge, so the comparison never
goes stale as knowledge/ changes. `make answers-record` / `make answers-diff` compare two
commits the same way (tests/answers.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.engine import Engine
from tests.answers import collect, compare


@pytest.fixture(scope="module")
def reference_answers() -> list[dict[str, Any]]:
    return list(collect(Engine.load(reference=True)))


def test_the_fast_engine_gives_the_reference_answers(engine: Engine,
                                                     reference_answers: list[dict[str, Any]]) -> None:
    problems = compare(reference_answers, list(collect(engine)))
    assert not problems, "\n".join(problems[:20])


def test_answers_do_not_depend_on_what_was_asked_before(engine: Engine,
                                                        reference_answers: list[dict[str, Any]]) -> None:
    # Per-word caches are warm the second time round, and filled in another order.
    again = list(collect(engine))
    problems = compare(reference_answers, again)
    assert not problems, "\n".join(problems[:20])
