"""The size guard: a knowledge folder past KnowledgeLimits is refused with a message naming
the limit, before the costly step it protects (parsing, then indexing)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core.config import KnowledgeLimits
from bot.core.knowledge import load_knowledge
from tests.test_knowledge import _errors, _load_errors


def test_the_shipped_folder_is_well_inside_every_limit() -> None:
    # A quarter of each real limit or less: the shipped folder is at least four times inside it.
    _, problems = load_knowledge(None, KnowledgeLimits(
        max_files=60, max_bytes=2_000_000, max_file_bytes=1_250_000, max_intents=150,
        max_phrasings=6_000, max_index_cells=12_000_000))
    assert problems == []


def test_a_folder_with_too_many_files_is_refused_before_it_is_read(knowledge_copy: Path) -> None:
    (knowledge_copy / "sources.yaml").write_text("sources: [\n")  # would be a problem if read
    extra = knowledge_copy / "topics" / "extra"
    extra.mkdir()
    for number in range(KnowledgeLimits().max_files):
        (extra / f"{number}.txt").write_text("x")
    (problem,) = _errors(knowledge_copy)
    assert "too large to load: more than 500 files" in problem.message
    assert "KnowledgeLimits.max_files in bot/core/config.py" in problem.message


def test_a_folder_past_the_byte_limits_is_refused(knowledge_copy: Path) -> None:
    limits = KnowledgeLimits(max_bytes=100_000, max_file_bytes=30_000)
    _, problems = load_knowledge(knowledge_copy, limits)
    messages = [str(p) for p in problems]
    assert any("knowledge/topics/party.yaml" in m and "bytes in one file" in m for m in messages)
    assert any("too large to load" in m and "max_bytes" in m for m in messages)


@pytest.mark.parametrize(("limit", "name"), [({"max_intents": 80}, "intents"),
                                             ({"max_phrasings": 2_000}, "phrasings"),
                                             ({"max_index_cells": 1_000_000}, "index cells")])
def test_counts_past_a_limit_are_refused_before_indexing(limit: dict[str, int], name: str) -> None:
    _, problems = load_knowledge(None, KnowledgeLimits(**limit))
    (problem,) = problems
    assert "too large to load: " in problem.message and name in problem.message


def test_thousands_of_extra_intents_are_refused_not_loaded(knowledge_copy: Path) -> None:
    # 4,000 extra intents took 1.6 GB once indexed; now the count is checked before indexing.
    intents = [{"id": f"bulk.i{n}", "question": f"question {n}?", "phrasings": [f"word{n} a", f"word{n} b"],
                "answer": "x", "citations": [{"source": "wikipedia", "section": "Lead"}]}
               for n in range(KnowledgeLimits().max_intents)]
    (knowledge_copy / "topics" / "bulk.yaml").write_text(yaml.safe_dump({"intents": intents}))
    shipped = len(load_knowledge(None)[0].intents)
    problems = _load_errors(knowledge_copy)
    assert len(problems) == 1 and "max_intents" in problems[0]
    assert f"{shipped + KnowledgeLimits().max_intents:,} intents" in problems[0]
