"""Checks that need the composer or the matcher: each broken intent, added to a private copy of
knowledge/, yields a problem that names its file, entry and field."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.engine import Engine
from bot.core.knowledge import KnowledgeBase, Problem, Severity, load_knowledge
from bot.core.models import Intent
from bot.core.validate import (
    EMBED_DESCRIPTION_LIMIT,
    check_intents,
    check_knowledge,
    check_phrasings,
    check_tables,
)

PROBE = "zz.probe"
PROBE_FILE = "knowledge/topics/zz_probe.yaml"
BASE: dict[str, Any] = {
    "id": PROBE,
    "question": "What is the probe?",
    "phrasings": ["probe alpha question", "probe beta question", "probe gamma question"],
    "answer": "The probe answer.",
    "citations": [{"source": "wikipedia", "section": "Lead"}],
}


def _load(root: Path) -> KnowledgeBase:
    kb, problems = load_knowledge(root)
    assert [p for p in problems if p.severity is Severity.ERROR] == []
    return kb


def _probe(root: Path, **fields: Any) -> list[Problem]:
    """Add one intent (BASE with `fields` changed; None drops a field) in a topic file of its own
    and return check_intents' problems about it."""
    intent = {k: v for k, v in {**BASE, **fields}.items() if v is not None}
    (root / "topics" / "zz_probe.yaml").write_text(yaml.safe_dump({"intents": [intent]}, sort_keys=False))
    return [p for p in check_intents(_load(root)) if p.entry == PROBE]


def _append(path: Path, line: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.rstrip("\n") + "\n" + line + "\n", encoding="utf-8")


def _one(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    (problem,) = problems
    assert (problem.file, problem.entry) == (PROBE_FILE, PROBE)
    return problem


def test_a_sound_intent_has_no_problems(knowledge_copy: Path) -> None:
    assert _probe(knowledge_copy) == []
    assert _probe(knowledge_copy, answer="Banned on {date[dissolution]}; {figure[mps_lost]} MPs.") == []


def test_an_unknown_generator(knowledge_copy: Path) -> None:
    problem = _one(_probe(knowledge_copy, generator="constituency_rnak"))
    assert problem.field == "generator" and problem.severity is Severity.ERROR
    assert problem.message.startswith("unknown generator 'constituency_rnak' (known: ")
    assert "constituency_rank" in problem.message
    assert str(problem) == f"{PROBE_FILE}, entry '{PROBE}', field 'generator': {problem.message}"


def test_an_entity_kind_no_generator_answers_about(knowledge_copy: Path) -> None:
    problem = _one(_probe(knowledge_copy, entity="committee"))
    assert (problem.field, problem.message) == ("entity", "no generator answers about a committee")


def test_placeholders_without_a_generator(knowledge_copy: Path) -> None:
    problem = _one(_probe(knowledge_copy, answer="{votes} votes ({share}) by {date[dissolution]}."))
    # The shared {date[…]} and {figure[…]} need no generator; the others are named.
    assert (problem.field, problem.message) == ("answer", "placeholders need a generator or an entity: "
                                                          "share, votes")


def test_a_parameter_the_generator_does_not_take(knowledge_copy: Path) -> None:
    problem = _one(_probe(knowledge_copy, generator="constituency_rank", params={"n": 3, "colour": "red"}))
    assert (problem.field, problem.message) == ("params", "constituency_rank takes no colour")


@pytest.mark.parametrize("entity", [None, "constituency"])
def test_a_generator_about_a_kind_of_row_needs_that_entity(knowledge_copy: Path, entity: str | None) -> None:
    problem = _one(_probe(knowledge_copy, generator="leader_duration", entity=entity, answer="{text}"))
    assert (problem.field, problem.message) == ("entity", "leader_duration needs entity: person")


def test_a_phrasing_slot_the_intent_does_not_have(knowledge_copy: Path) -> None:
    phrasings = ["who is {person}", "tell me about {person}", "how did {person} do in {constituency}"]
    problem = _one(_probe(knowledge_copy, entity="person", phrasings=phrasings, answer="{roles}",
                          citations=None))
    assert problem.field == "phrasings"
    assert problem.message == ("'how did {person} do in {constituency}' uses a slot the intent "
                               "does not have: constituency")


def test_fewer_than_three_phrasings_is_only_a_warning(knowledge_copy: Path) -> None:
    problem = _one(_probe(knowledge_copy, phrasings=["probe alpha", "probe beta"]))
    assert (problem.field, problem.message, problem.severity) == (
        "phrasings", "fewer than 3 phrasings", Severity.WARNING)
    assert str(problem).endswith(": warning: fewer than 3 phrasings")


def test_an_answer_that_cannot_be_computed(knowledge_copy: Path) -> None:
    problem = _one(_probe(knowledge_copy, generator="leader", params={"number": 9}, answer="{name}"))
    assert (problem.field, problem.message) == ("answer", "cannot be composed: no leader number 9")


def test_an_unknown_placeholder_names_the_first_row_it_fails_for(knowledge_copy: Path) -> None:
    problem = _one(_probe(knowledge_copy, entity="constituency", answer="{name}: {colour}"))
    first = _load(knowledge_copy).table("constituencies").rows[0]["name"]
    assert (problem.field, problem.message) == ("answer", f"unknown placeholder 'colour' (for {first})")


def test_an_answer_too_long_for_an_embed(knowledge_copy: Path) -> None:
    problem = _one(_probe(knowledge_copy, answer="word " * 800))
    assert problem.field == "answer"
    match = re.fullmatch(r"(\d+) characters: too long for a Discord embed \((\d+)\)", problem.message)
    assert match and int(match[2]) == EMBED_DESCRIPTION_LIMIT
    assert int(match[1]) == len(("word " * 800).strip() + " [1]")
    assert _probe(knowledge_copy, answer="word " * 700) == []  # 3,500 characters still fit


def test_an_email_address_in_an_answer(knowledge_copy: Path) -> None:
    problem = _one(_probe(knowledge_copy, answer="Write to press@cnrp.example.org."))
    assert (problem.field, problem.message) == ("answer", "contains contact details")


def test_a_computed_answer_that_cites_nothing(knowledge_copy: Path) -> None:
    # sources_list cites no row, and the intent declares no citation of its own.
    problem = _one(_probe(knowledge_copy, generator="sources_list", answer="{sources}", citations=None))
    assert (problem.field, problem.message) == ("citations", "the answer cites nothing")
    assert _probe(knowledge_copy, kind="smalltalk", answer="Hello!", citations=None) == []


def test_every_row_an_intent_answers_about_is_rendered(knowledge_copy: Path) -> None:
    """A person listed nowhere else gets an answer with no citation: found at load, for that row."""
    _append(knowledge_copy / "tables" / "people.csv", "Zed Unlisted,Zed")
    kb = _load(knowledge_copy)
    problems = {(p.entry, p.field, p.message) for p in check_intents(kb)}
    assert ("person.roles", "citations", "the answer cites nothing (for Zed Unlisted)") in problems
    files = {p.file for p in check_intents(kb) if p.entry == "person.roles"}
    assert files == {kb.intents["person.roles"].file}


def test_contact_details_in_a_table_are_found_in_every_answer_that_shows_them(knowledge_copy: Path) -> None:
    _append(knowledge_copy / "tables" / "timeline.csv", "2016,,Write to press@cnrp.example.org,,,wikipedia,Lead")
    kb = _load(knowledge_copy)
    assert check_tables(kb) == [Problem("knowledge/tables.yaml", "timeline", "", "contains contact details")]
    problems = {(p.entry, p.field, p.message) for p in check_intents(kb)}
    assert ("timeline.overview", "answer", "contains contact details") in problems
    assert ("timeline.year", "answer", "contains contact details (for 2016)") in problems


def test_shipped_tables_render_cleanly(engine: Engine) -> None:
    assert check_tables(engine.kb) == []


# ---------------------------------------------------------------- phrasings across intents


def _synthetic(engine: Engine, *phrasings: tuple[str, ...]) -> KnowledgeBase:
    """The shipped tables with only these intents, zz.a, zz.b, …, one per tuple of phrasings."""
    base = Intent(id="", topic="zz", question="", phrasings=(), keywords=(), answer="x", citations=(),
                  file=PROBE_FILE)
    intents = {}
    for letter, group in zip("abcdef", phrasings, strict=False):
        intents[f"zz.{letter}"] = replace(base, id=f"zz.{letter}", question=group[0], phrasings=group)
    return replace(engine.kb, intents=intents)


def test_the_same_phrasing_under_two_intents_is_an_error(engine: Engine) -> None:
    kb = _synthetic(engine, ("the xylophone quartet of battambang", "other words entirely"),
                    ("the xylophone quartets of battambang", "something unrelated here"))
    (problem,) = check_phrasings(kb, engine.matcher, near_duplicates=False)
    assert (problem.entry, problem.field, problem.severity) == ("zz.b", "phrasings", Severity.ERROR)
    assert problem.message == "'the xylophone quartets of battambang' reads the same as a phrasing of zz.a"


def test_a_phrasing_repeated_within_one_intent_is_fine(engine: Engine) -> None:
    kb = _synthetic(engine, ("the xylophone quartet", "the xylophone quartets", "the xylophone quartet"))
    assert check_phrasings(kb, engine.matcher, near_duplicates=True) == []


def test_a_near_duplicate_is_a_warning_only_when_asked_for(engine: Engine) -> None:
    kb = _synthetic(engine, ("tell me about the xylophone quartet of battambang province please",),
                    ("tell me about the xylophane quartet of battambang province please",))
    assert check_phrasings(kb, engine.matcher, near_duplicates=False) == []
    (problem,) = check_phrasings(kb, engine.matcher, near_duplicates=True)
    assert (problem.entry, problem.field, problem.severity) == ("zz.b", "phrasings", Severity.WARNING)
    assert problem.message == ("'tell me about the xylophane quartet of battambang province please' is "
                               "nearly the same as 'tell me about the xylophone quartet of battambang "
                               "province please' in zz.a")
    # check_knowledge runs the slow pairwise comparison only when thorough.
    assert problem in check_knowledge(kb, engine.matcher, thorough=True)
    assert problem not in check_knowledge(kb, engine.matcher, thorough=False)


def test_phrasings_that_differ_in_a_real_word_are_not_near_duplicates(engine: Engine) -> None:
    kb = _synthetic(engine, ("what did the cnrp promise",), ("what did the cnrm promise",))
    assert check_phrasings(kb, engine.matcher, near_duplicates=True) == []
