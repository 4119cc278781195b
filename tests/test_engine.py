"""The ask() API: cited answers, honest refusals, per-row answers from the tables."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import FrozenInstanceError, fields, replace
from typing import Any

import pytest

from bot.core import engine as engine_module
from bot.core.compose import compose, generator_for
from bot.core.context import Conversation, Turn
from bot.core.engine import Engine, _candidates
from bot.core.generators import GENERATORS, NO_QUERY, Query
from bot.core.matching import Analysis, Parsed
from bot.core.models import Answer, Candidate, Entity, ReplyKind
from tests.answers import question_sets


def test_answer_is_cited(engine: Engine) -> None:
    answer = engine.ask("who founded the cnrp")
    assert answer.matched and answer.intent == "party.founders"
    assert "Sam Rainsy" in answer.text and "Kem Sokha" in answer.text
    assert answer.citations[0].section == "Infobox"
    assert answer.citations[0].url.startswith("https://en.wikipedia.org/")
    assert "[1]" in answer.text


def test_row_answer_comes_from_the_table(engine: Engine) -> None:
    answer = engine.ask("cnrp vote share in kampong chaam")
    assert answer.intent == "results.constituency"
    assert answer.entity is not None and answer.entity.key == "Kampong Cham"
    row = next(r for r in engine.kb.table("constituencies").rows if r["name"] == "Kampong Cham")
    assert row.display["votes"] in answer.text and f"{row.display['share']}%" in answer.text


def test_total_reports_the_source_discrepancy(engine: Engine) -> None:
    answer = engine.ask("total votes for the cnrp in 2013")
    assert "2,946,176" in answer.text and "2,945,974" in answer.text


def test_person_roles_are_gathered_from_every_table(engine: Engine) -> None:
    answer = engine.ask("who is mu sochua")
    assert answer.intent == "person.roles"
    for part in ("Vice President of the CNRP", "Standing Committee", "deputy to party leader Kem Sokha"):
        assert part in answer.text
    sections = {c.section for c in answer.citations}
    assert {"Infobox", "Organization", "List of party leaders"} <= sections


@pytest.mark.parametrize("question", ["who won the 2023 election", "what's the weather today",
                                      "how do i center a div", "population of kandal"])
def test_out_of_scope_is_declined_with_suggestions(engine: Engine, question: str) -> None:
    # Declined one way or another: "I don't know", "did you mean", or what the sources lack.
    answer = engine.ask(question)
    assert not answer.matched and answer.kind in (ReplyKind.UNKNOWN, ReplyKind.AMBIGUOUS, ReplyKind.GAP)
    assert not answer.text.startswith(("Yes", "No"))
    assert 1 <= len(answer.suggestions) <= 3


def test_contact_details_are_never_served(engine: Engine) -> None:
    answer = engine.ask("what is the publicist's phone number and email")
    assert not answer.matched
    assert "@" not in answer.text and "7408" not in answer.text


def test_no_guess_when_the_row_is_missing(engine: Engine) -> None:
    answer = engine.ask("how did the cnrp do in that province")
    assert answer.kind in (ReplyKind.CLARIFY, ReplyKind.UNKNOWN, ReplyKind.AMBIGUOUS)
    assert not answer.matched and answer.suggestions


def test_a_clear_intents_missing_row_is_read_from_the_words_of_its_text(engine: Engine) -> None:
    # "young people" names a policy area, so no platform point is recognised; the platform
    # intent is clear, and the one platform row whose text speaks of young people is its row.
    table = engine.kb.table("platform")
    youth = [row for row in table.rows if "young" in str(row.values["text"]).lower()]
    assert len(youth) == 1
    answer = engine.ask("what did the platform offer young people?")
    assert answer.matched and answer.intent == "platform.point"
    assert answer.entity is not None and answer.entity.key == youth[0].values[table.key]
    assert str(youth[0].values["text"]) in answer.text


def test_a_pronoun_after_a_computed_neighbour_means_the_person_found(engine: Engine) -> None:
    listed = sorted(engine.kb.table("committees").where(committee="Executive"), key=lambda r: r["rank"])
    talk = Conversation()
    first = engine.ask(f"on the Executive Committee list, who comes right after {listed[0]['name']}?", talk)
    assert first.intent == "computed.neighbour" and first.entity is not None
    assert first.entity.key == listed[1]["name"]
    follow = engine.ask("what was his role?", talk)
    assert follow.matched and follow.text.startswith(str(listed[1]["name"]))


def test_a_follow_up_without_context_asks_who(engine: Engine) -> None:
    answer = engine.ask("when did his term end")
    assert answer.kind is ReplyKind.CLARIFY and not answer.matched
    assert answer.text.startswith("Who do you mean?")


def test_smalltalk_is_not_a_fact(engine: Engine) -> None:
    answer = engine.ask("hello there")
    assert answer.intent == "meta.greeting" and not answer.matched


def test_json_contract_keys(engine: Engine) -> None:
    data = engine.ask("when was the party banned").to_json()
    assert list(data) == ["matched", "intent", "confidence", "answer", "citations", "suggestions"]
    assert set(data["citations"][0]) == {"source", "title", "section", "url"}
    assert 0.0 <= data["confidence"] <= 1.0


def test_every_answer_cites_a_known_source(engine: Engine) -> None:
    for intent in engine.kb.intents.values():
        for citation in intent.citations:
            assert citation.source in engine.kb.sources


def test_autocomplete_is_fuzzy_and_bounded(engine: Engine) -> None:
    assert engine.complete("constituency", "kompong ch")[:2] == ["Kampong Cham", "Kampong Chhnang"]
    assert "Takéo" in engine.complete("constituency", "takeo")
    assert len(engine.complete("constituency", "")) <= 25


def test_stats(engine: Engine) -> None:
    stats = engine.stats()
    assert stats["sources"] == 2 and stats["intents"] >= 70 and stats["facts"] > stats["intents"]


def test_suggestions_are_about_the_row_the_user_named(engine: Engine) -> None:
    answer = engine.ask("what is the population of takeo")
    assert not answer.matched
    assert answer.suggestions[0] == "How did the CNRP do in Takéo in 2013?"
    assert engine.ask("is son chhay married").suggestions[0] == "Who is Son Chhay?"


def test_unrelated_questions_get_the_curated_default_suggestions(engine: Engine) -> None:
    help_intent = engine.kb.intents["meta.help"]
    defaults = [engine.kb.intents[i].question for i in help_intent.related]
    assert list(engine.ask("what's the weather like").suggestions) == defaults


def test_related_intents_pool_their_probability_but_not_over_a_doubt(engine: Engine) -> None:
    from bot.core.matching import ScoredIntent
    from bot.core.scoring import FEATURE_NAMES

    analysis = engine.matcher.analyse("who was the leader of the cnrp?")
    top = analysis.ranked[0]
    related = [r for r in analysis.ranked[1:] if r.intent.id in top.intent.related
               or top.intent.id in r.intent.related]
    assert related, "the leader intents name one another"
    missed = (1 - top.score) * math.prod(1 - r.score for r in related)
    assert engine._pooled(top, analysis.ranked) == pytest.approx(1 - missed)
    assert top.score < engine._pooled(top, analysis.ranked) < 1
    # Evidence that the question asks what the intent does not cover stops the pooling.
    uncovered = FEATURE_NAMES.index("uncovered_word")
    features = tuple(1.0 if i == uncovered else value for i, value in enumerate(top.features))
    doubtful = ScoredIntent(top.intent, top.score, top.lexical, top.fuzzy, top.best_phrasing, top.notes, features)
    assert engine._pooled(doubtful, analysis.ranked) == top.score


@pytest.mark.parametrize("row_index", [0, -1])
def test_a_scene_set_before_the_question_neither_drowns_it_nor_loses_its_row(engine: Engine, row_index: int) -> None:
    row = sorted(engine.kb.table("constituencies").rows, key=lambda r: str(r["name"]))[row_index]
    scene = f"My grandparents come from {row['name']} and often talk about the opposition's rallies there."
    for question in (f"What did the CNRP get in {row['name']}?", "What did the CNRP get in that province?"):
        answer = engine.ask(f"{scene} {question}")
        assert answer.matched and answer.intent == "results.constituency", question
        assert answer.entity is not None and answer.entity.key == row["name"]
        assert row.display["votes"] in answer.text


@pytest.mark.parametrize("message", [
    "I'm asking about the 2023 election. How many votes did the CNRP get?",  # a year no source covers
    "My question is about FUNCINPEC. Who was the leader?",  # another party
    "The open letter was signed by many groups. Who wrote it?",  # "it" is what the scene is about
])
def test_a_scene_that_changes_the_question_is_read_with_it(engine: Engine, message: str) -> None:
    scene, question = engine.matcher.split_focus(message) or ("", "")
    assert scene and question
    alone = engine.ask(question)
    answer = engine.ask(message)
    assert not (answer.matched and answer.intent == alone.intent and alone.matched), answer.text


def test_a_follow_up_reading_that_came_to_nothing_is_not_tried_twice(engine: Engine,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # "they" sends an unanswered question back to the last questions a second time; the first
    # try read the same words, and the topic boost in between changes only the ranking.
    talk = Conversation()
    for earlier in ("what did the signatories want asean to do", "what did the cnrm demand"):
        assert engine.ask(earlier, talk).matched
    question = "what language do they speak in mondulkiri"
    recent = talk.recent_answered()
    analysis = engine.matcher.analyse(question)
    boosted = engine._boost_topic(analysis, engine.kb.intents[recent[0].answer.intent or ""])
    assert boosted.ranked != analysis.ranked
    assert engine._ask_again(analysis, recent) is None and engine._ask_again(boosted, recent) is None
    tries: list[str] = []
    ask_again = engine._ask_again

    def counted(analysis: Analysis, recent: Sequence[Turn]) -> tuple[Analysis, Answer] | None:
        tries.append(analysis.normalized)
        return ask_again(analysis, recent)

    monkeypatch.setattr(engine, "_ask_again", counted)
    answer = engine.ask(question, talk)
    assert len(tries) == 1 and not answer.matched


def _texts_passed(monkeypatch: pytest.MonkeyPatch, owner: object, method: str) -> list[str]:
    """The text passed to each call of `owner.method` from now on; the calls go through as before."""
    passed: list[str] = []
    original = getattr(owner, method)

    def counted(text: str, *args: Any, **kwargs: Any) -> Any:
        passed.append(text)
        return original(text, *args, **kwargs)

    monkeypatch.setattr(owner, method, counted)
    return passed


@pytest.mark.parametrize("message", [
    "I'm asking about the 2023 election. How many votes did the CNRP get?",
    "My grandparents come from Takeo. What did the CNRP get there?",
])
def test_a_message_with_a_scene_is_analysed_whole_once(engine: Engine, message: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # The focus on its question weighs the whole message, and a focus given up falls back on
    # it: one reading serves both.
    expected = engine.ask(message)
    read = _texts_passed(monkeypatch, engine.matcher, "analyse")
    assert engine.ask(message) == expected
    assert read.count(message) == 1


@pytest.mark.parametrize("message", [
    "who voted for the cnrp, like what kind of people, young? old? farmers?",
    "I read that a bunch of opposition figures can't be involved in politics for a while. How long, and how many?",
    "Who is Dith Munty and why does he come up?",
])
def test_a_message_parses_each_text_once_and_keeps_no_parse(engine: Engine, message: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # Its parts, the scene around a question and the questions a follow-up asks again read
    # some texts more than once; each is parsed once a message, and afresh for the next one.
    expected = engine.ask(message)
    read = _texts_passed(monkeypatch, engine.matcher, "parse")
    for _ in range(2):
        read.clear()
        assert engine.ask(message) == expected
        assert read and len(read) == len(set(read))
    # Answered as before (tests/test_equivalence.py compares every answer with the reference
    # engine's, which parses afresh every time).
    assert getattr(engine_module._CALL, "parses", None) is None
    assert getattr(engine_module._CALL, "analyses", None) is None


def test_ask_gives_the_caller_s_parses_back_when_it_returns_or_raises(engine: Engine,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # `ask` opens and closes its message in place, as `_one_message` does: a message asked
    # within another's leaves that one's parses and analyses as they were, whatever happens.
    with engine._one_message():
        outer = engine_module._CALL.parses, engine_module._CALL.analyses
        engine.ask("who founded the cnrp")
        assert engine_module._CALL.parses is outer[0] and engine_module._CALL.analyses is outer[1]

        def fails(text: str, context: object) -> None:
            raise RuntimeError(text)

        monkeypatch.setattr(engine, "_ask_one", fails)
        with pytest.raises(RuntimeError):
            engine.ask("who founded the cnrp")
        assert engine_module._CALL.parses is outer[0] and engine_module._CALL.analyses is outer[1]
    assert getattr(engine_module._CALL, "parses", None) is None


@pytest.mark.parametrize(("message", "question"), [
    ("did the EU sanction cambodia over the dissolution? \U0001f1ea\U0001f1fa",
     "did the EU sanction cambodia over the dissolution?"),
    ("how many of the cnrp MPs were women? \U0001f469", "how many of the cnrp MPs were women?"),
])
def test_texts_that_parse_alike_are_ranked_once_a_message(engine: Engine, message: str, question: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # The emoji is a scene around the question that names nothing: the message and its question
    # parse alike in all that the ranking reads, and differ in what it passes on.
    whole, alone = engine.matcher.parse(message), engine.matcher.parse(question)
    assert engine_module._ranked_by(whole) == engine_module._ranked_by(alone)
    assert whole.reading != alone.reading
    analyse = engine.matcher.analyse
    expected = engine.ask(message)
    ranked = _texts_passed(monkeypatch, engine.matcher, "analyse")
    assert engine.ask(message) == expected
    assert ranked == [message]
    # The analysis reused is the one analysing the question itself makes (the plain way).
    with engine._one_message():
        engine._analyse(message)
        assert engine._analyse(question) == analyse(question)
    assert ranked == [message, message]


@pytest.mark.parametrize("question", ["who is mu sochua", "cnrp vote share in kampong chaam?",
                                      "I'm writing an essay. When was the CNRP founded?"])
def test_a_ranking_reads_nothing_of_what_it_is_not_keyed_by(engine: Engine, question: str) -> None:
    # What the key leaves out only passes on to the analysis: other values of it rank alike.
    assert set(engine_module._RANKED_FIELDS) | engine_module._PASSED_ON == {f.name for f in fields(Parsed)}
    parsed = engine.matcher.parse(question)
    other = replace(parsed, reading=replace(parsed.reading, text="something else entirely"),
                    raw=("something", "else"), corrections=(("els", "else"),))
    analysis = engine.matcher.analyse(question, parsed=parsed)
    assert analysis.ranked
    assert engine.matcher.analyse(question, parsed=other).ranked == analysis.ranked


def test_a_fixed_reply_s_rows_are_read_once(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    # "what did she say?" reads the last answer's people: a fixed reply's rows are read once,
    # and are what parsing it finds (the plain way).
    talk = Conversation()
    first = engine.ask("who is mu sochua", talk)
    assert first.text in engine._fixed_texts
    read: list[str] = []
    parse = engine.matcher.parse

    def counted(text: str) -> Parsed:
        read.append(text)
        return parse(text)

    monkeypatch.setattr(engine.matcher, "parse", counted)
    rows = engine._rows_in(first.text)
    assert rows == parse(first.text).entities and any(e.kind == "person" for e in rows)
    read.clear()
    with engine._one_message():
        assert engine._rows_in(first.text) == rows
    assert first.text not in read
    # Any other text is parsed each time it is asked about (it may be one of a kind, as a
    # computed answer is).
    other = "Mu Sochua and Kem Sokha spoke."
    for _ in range(2):
        with engine._one_message():
            assert engine._rows_in(other) == parse(other).entities
    assert read.count(other) == 2 and other not in engine._rows_of_replies


@pytest.mark.parametrize("question", ["who is mu sochua", "who founded the cnrp", "when was kem sokha arrested",
                                      "cnrp vote share in kampong cham", "what did the cnrm demand"])
def test_a_follow_up_reads_the_same_words_and_rows_parsed_as_analysed(engine: Engine, question: str) -> None:
    # Follow-ups re-read an earlier question's words and rows, and an earlier answer's rows
    # ("what did she say?"), with parse: the ranking analyse adds is never read.
    answer = engine.ask(question)
    for text in (question, answer.text):
        parsed, analysed = engine.matcher.parse(text), engine.matcher.analyse(text)
        assert (parsed.tokens, parsed.entities) == (analysed.tokens, analysed.entities)
    assert engine.matcher.parse(answer.text).entities


def _same_as_constructed(built: Answer | Candidate) -> None:
    """An answer or candidate is the one its constructor builds from its fields again."""
    plain = type(built)(**{f.name: getattr(built, f.name) for f in fields(built)})
    assert vars(built) == vars(plain) and built == plain and hash(built) == hash(plain)
    with pytest.raises(FrozenInstanceError):
        built.confidence = 0.0  # type: ignore[misc,union-attr]


def test_answers_and_candidates_are_the_ones_their_constructors_build(engine: Engine) -> None:
    """Answers and candidates (records, whose `__init__` writes the fields into the instance's
    dict; a question makes several) have every field, defaults included, and are equal,
    hashable and immutable, on labelled questions."""
    for _, conversations in question_sets():
        for question in (q for turns in conversations[:40] for q in turns):
            answer = engine.ask(question)
            for reply in (answer, *answer.parts):
                _same_as_constructed(reply)
                for candidate in reply.candidates:
                    _same_as_constructed(candidate)
            ranked = engine.matcher.analyse(question).ranked
            assert _candidates(ranked) == tuple(
                Candidate(r.intent.id, r.score, r.intent.question, r.lexical, r.fuzzy, r.best_phrasing, r.notes)
                for r in ranked[:5])


def test_an_intent_is_pooled_with_those_it_names_and_those_that_name_it(engine: Engine) -> None:
    intents = engine.kb.intents
    for a in intents.values():
        assert engine._pooled_with[a.id] == {
            b.id for b in intents.values() if b.id != a.id and (b.id in a.related or a.id in b.related)
        } | ({r for r in a.related if r not in intents} - {a.id})


def test_replies_composed_once_are_those_every_question_composes(engine: Engine) -> None:
    """The replies composed at load (no generator, or one that reads nothing of the question;
    per row for a per-row intent) are what composing them for a labelled question's rows,
    numbers and words gives: a generator marked as not reading the question would fail here
    if it did."""
    questions = [q for _, conversations in question_sets() for turns in conversations for q in turns][::25]
    queries = [NO_QUERY]
    for question in questions:
        analysis = engine.matcher.analyse(question)
        queries.append(Query(analysis.entities, analysis.numbers, frozenset(analysis.terms)))
    assert engine._static and engine._row_replies
    for intent_id, static in engine._static.items():
        intent = engine.kb.intents[intent_id]
        assert all(compose(engine.kb, intent, None, query) == static for query in queries)
    for (intent_id, key), by_row in engine._row_replies.items():
        intent = engine.kb.intents[intent_id]
        assert intent.entity is not None
        row = Entity(intent.entity, key, key, 1.0)
        assert all(compose(engine.kb, intent, row, query) == by_row for query in queries)
    # Every row of those intents, and none of those whose generator reads the question.
    for intent in engine.kb.intents.values():
        name = generator_for(intent)
        if name is not None and intent.entity and not GENERATORS[name].reads_query:
            assert {k for i, k in engine._row_replies if i == intent.id} <= set(
                engine.kb.entity_names(intent.entity).values())
        if name is not None and GENERATORS[name].reads_query:
            assert intent.id not in engine._static and all(i != intent.id for i, _ in engine._row_replies)
