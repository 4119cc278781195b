"""Composing an answer: templates filled from generators and the shared tables, citations
numbered in the order the reader meets them, each source cited once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from bot.core.compose import SHARED_PLACEHOLDERS, compose, generator_for, resolve, shared_fields
from bot.core.engine import Engine
from bot.core.generators import ENTITY_GENERATORS, Query, cite
from bot.core.knowledge import KnowledgeBase
from bot.core.models import Citation, CitationRef, Entity, Intent

LEAD = CitationRef("wikipedia", "Lead")
INFOBOX = CitationRef("wikipedia", "Infobox")
REGIONAL = CitationRef("wikipedia", "Regional strength")
CO_SIGNERS = CitationRef("cnrm-2018", "Co-signers")


@pytest.fixture(scope="module")
def kb(engine: Engine) -> KnowledgeBase:
    return engine.kb


def _intent(answer: str, citations: Iterable[CitationRef] = (), entity: str | None = None,
            generator: str | None = None, params: Iterable[tuple[str, Any]] = ()) -> Intent:
    return Intent(id="test.intent", topic="test", question="A test?", phrasings=("a", "b", "c"),
                  keywords=(), answer=answer, citations=tuple(citations), entity=entity,
                  generator=generator, params=tuple(params))


def _entity(kind: str, key: str) -> Entity:
    return Entity(kind, key, key, 1.0)


def test_generator_for_prefers_the_named_generator_then_the_entity_default() -> None:
    assert generator_for(_intent("x", entity="person", generator="leader_duration")) == "leader_duration"
    assert generator_for(_intent("x", entity="person")) == ENTITY_GENERATORS["person"] == "person"
    assert generator_for(_intent("x", entity="year")) == "timeline_year"
    assert generator_for(_intent("x", entity="committee")) is None  # no default for a committee
    assert generator_for(_intent("x")) is None


def test_dates_and_figures_come_from_the_tables(kb: KnowledgeBase) -> None:
    timeline = kb.table("timeline")
    dissolved = str(timeline.where(tag="dissolution")[0]["date"])
    arrested = str(timeline.where(tag="arrest")[0]["date"])
    mps = kb.table("figures").where(tag="mps_lost")[0].display["value"]
    intent = _intent("Arrested in {date[arrest]}, banned on {date[dissolution]}; {figure[mps_lost]} MPs "
                     "lost their seats.", [LEAD])
    composed = compose(kb, intent)
    assert composed.text == f"Arrested in {arrested}, banned on {dissolved}; {mps} MPs lost their seats. [1]"
    # Partial dates read as the source gives them.
    assert (arrested, dissolved, mps) == ("September 2017", "16 November 2017", "55")


def test_shared_fields_cover_every_tagged_event_and_figure(kb: KnowledgeBase) -> None:
    fields = shared_fields(kb)
    assert set(fields) == SHARED_PLACEHOLDERS == {"date", "weekday", "figure"}
    assert set(fields["date"]) == {str(r["tag"]) for r in kb.table("timeline").rows if r["tag"]}
    # A weekday only for an event dated to the day: "Thursday" for 26 April 2018.
    assert set(fields["weekday"]) == {str(r["tag"]) for r in kb.table("timeline").rows
                                      if r["tag"] and r["date"].day is not None}
    assert fields["weekday"]["press_release"] == "Thursday"
    assert fields["figure"] == {str(r["tag"]): r.display["value"] for r in kb.table("figures").rows}


@pytest.mark.parametrize("answer", ["On {date[no_such_event]}.", "{figure[no_such_count]} of them.",
                                    "{votes} votes."])
def test_an_unknown_placeholder_raises_key_error(kb: KnowledgeBase, answer: str) -> None:
    with pytest.raises(KeyError):
        compose(kb, _intent(answer, [LEAD]))


def test_declared_citations_are_numbered_once_each_after_the_text(kb: KnowledgeBase) -> None:
    composed = compose(kb, _intent("A plain answer.", [LEAD, INFOBOX, LEAD]))
    assert composed.text == "A plain answer. [1][2]"
    source = kb.sources["wikipedia"]
    assert composed.citations == (Citation("wikipedia", source.title, "Lead", source.url),
                                  Citation("wikipedia", source.title, "Infobox", source.url))


def test_a_cited_section_with_an_anchor_deep_links(kb: KnowledgeBase) -> None:
    regional = resolve(kb, REGIONAL)
    assert regional.url == kb.sources["wikipedia"].url + "#Regional_strength"
    press = resolve(kb, CO_SIGNERS)
    assert (press.title, press.url) == (kb.sources["cnrm-2018"].title, "")  # the release has no URL


def test_the_citations_resolved_at_load_are_those_resolved_when_cited(kb: KnowledgeBase) -> None:
    """`kb.citations` holds each listed section as resolving it from its source gives it; any
    other section is resolved when cited, and an unknown source still raises."""
    listed = {(source.id, section.name) for source in kb.sources.values() for section in source.sections}
    assert {(ref.source, ref.section) for ref in kb.citations} == listed
    for ref, citation in kb.citations.items():
        source = kb.sources[ref.source]
        assert citation == Citation(source.id, source.title, ref.section, source.link(ref.section))
        assert resolve(kb, ref) is citation
    source = kb.sources["wikipedia"]
    assert resolve(kb, CitationRef("wikipedia", "No such section")) == Citation(
        "wikipedia", source.title, "No such section", source.url)
    with pytest.raises(KeyError):
        resolve(kb, CitationRef("no-such-source", "Lead"))


def test_inline_marks_are_numbered_in_reading_order_and_reused(kb: KnowledgeBase) -> None:
    answer = f"First {cite(LEAD)}, second {cite(CO_SIGNERS)}, first again {cite(LEAD)}."
    composed = compose(kb, _intent(answer, [INFOBOX, CO_SIGNERS]))
    # Inline marks take the first numbers; a declared citation already cited inline adds nothing.
    assert composed.text == "First [1], second [2], first again [1]. [3]"
    assert [(c.source, c.section) for c in composed.citations] == [
        ("wikipedia", "Lead"), ("cnrm-2018", "Co-signers"), ("wikipedia", "Infobox")]


def test_a_row_answer_cites_its_row_instead_of_the_declared_citation(kb: KnowledgeBase) -> None:
    row = next(r for r in kb.table("constituencies").rows if r["name"] == "Kandal")
    intent = _intent("{name}: {votes} votes, {share}.", [LEAD], entity="constituency")
    composed = compose(kb, intent, _entity("constituency", "Kandal"))
    assert composed.text == f"Kandal: {row.display['votes']} votes, {row.display['share']}%. [1]"
    assert row.citation == REGIONAL
    assert [c.section for c in composed.citations] == ["Regional strength"]  # not the declared Lead


def test_a_computed_answer_without_an_entity_keeps_its_declared_citations(kb: KnowledgeBase) -> None:
    intent = _intent("Top: {name}.", [LEAD, REGIONAL], generator="constituency_rank", params=[("n", 1)])
    composed = compose(kb, intent)
    top = max(kb.table("constituencies").rows, key=lambda r: r["share"])
    # The generator's row citation comes first; the declared one it repeats is not numbered twice.
    assert composed.text == f"Top: {top['name']}. [1][2]"
    assert [c.section for c in composed.citations] == ["Regional strength", "Lead"]


def test_a_row_answer_whose_generator_cites_nothing_falls_back_to_the_intent(kb: KnowledgeBase) -> None:
    # The person generator cites inline, so its Generated carries no citations of its own.
    composed = compose(kb, _intent("{roles}", [INFOBOX], entity="person"), _entity("person", "Son Chhay"))
    assert composed.text == "• member of the Standing Committee [1] [2]"
    assert [c.section for c in composed.citations] == ["Organization", "Infobox"]


def test_intent_params_and_the_question_reach_the_generator(kb: KnowledgeBase) -> None:
    intent = _intent("{list}", [REGIONAL], generator="constituency_rank", params=[("n", 2)])
    assert compose(kb, intent).text.count("\n") == 1  # two lines
    asked = compose(kb, intent, query=Query(numbers=(4.0,)))
    assert [line.split(".")[0] for line in asked.text.splitlines()] == ["1", "2", "3", "4"]


def test_a_generator_that_lacks_its_rows_raises_lookup_error(kb: KnowledgeBase) -> None:
    intent = _intent("{gap}", [REGIONAL], entity="constituency", generator="constituency_compare")
    one = Query(entities=(_entity("constituency", "Kandal"),))
    with pytest.raises(LookupError, match="needs two constituencies"):
        compose(kb, intent, _entity("constituency", "Kandal"), one)
