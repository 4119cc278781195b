"""What a question asks for, read from its own words."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.answertypes import QuestionReader
from bot.core.knowledge import KnowledgeBase
from bot.core.language import Lexicon


@pytest.fixture(scope="module")
def reader(kb: KnowledgeBase) -> QuestionReader:
    return QuestionReader(kb.language)


@pytest.mark.parametrize(("question", "types"), [
    ("who founded the cnrp", {"person"}),
    ("when was it banned", {"date"}),
    ("in what year was it founded", {"date"}),
    ("how many votes in kandal", {"number"}),
    ("how long was kem sokha leader", {"duration"}),
    ("how many days passed between the two terms", {"duration"}),
    ("why was the party dissolved", {"reason"}),
    ("which court heard the case", {"organisation"}),
    ("which 45 countries signed it", {"place"}),  # numbers do not hide what is asked
    ("quick q: where was it strongest", {"place"}),
    ("what did the cnrp promise", set()),
    ("tell me about mu sochua", set()),
])
def test_the_kind_of_answer_asked_for(reader: QuestionReader, question: str, types: set[str]) -> None:
    assert set(reader.read(question).types) == types


def test_each_clause_asks_on_its_own(reader: QuestionReader) -> None:
    asked = reader.read("when was it founded and who founded it?")
    assert asked.types == {"date", "person"}


def test_a_word_deep_inside_a_clause_is_not_a_question_word(reader: QuestionReader) -> None:
    # "who" after a noun introduces a relative clause, not a question about a person.
    assert reader.read("was the vice president who fled later quoted in the release").types == frozenset()


def test_yes_no_questions(reader: QuestionReader) -> None:
    assert reader.read("was pol hom a vice president").yes_no
    assert not reader.read("who was a vice president").yes_no


@pytest.mark.parametrize(("question", "to_the_day"), [
    ("on which day in september was he arrested", True),
    ("what was the exact date of the arrest", True),
    ("when was he arrested", False),
])
def test_asking_for_the_day(reader: QuestionReader, question: str, to_the_day: bool) -> None:
    assert reader.read(question).to_the_day is to_the_day


@pytest.fixture(scope="module")
def question_types(kb: KnowledgeBase) -> dict[str, tuple[tuple[str, ...], ...]]:
    # One phrase empty, one asking for two kinds.
    types = kb.language.question_types
    return {**types, "reason": (*types["reason"], ("how", "many")), "place": (*types["place"], ())}


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.integers(min_value=0), max_size=9))
def test_phrases_take_their_words_longest_first_from_the_opening_words(
        question_types: dict[str, tuple[tuple[str, ...], ...]], picks: list[int]) -> None:
    # Every phrase tried in order at each of the first four words, as the rule says; the reader
    # looks only the opening words up.
    lexicon = Lexicon(question_types=question_types)
    ordered = sorted(((phrase, kind) for kind, phrases in question_types.items() for phrase in phrases),
                     key=lambda item: -len(item[0]))
    words = [*sorted({w for phrase, _ in ordered for w in phrase}), "cnrp", "the"]
    tokens = [words[pick % len(words)] for pick in picks]
    expected: set[str] = set()
    taken = [False] * len(tokens)
    for phrase, kind in ordered:
        for start in range(min(4, len(tokens) - len(phrase) + 1)):
            span = range(start, start + len(phrase))
            if tuple(tokens[start : start + len(phrase)]) == phrase and not any(taken[i] for i in span):
                expected.add(kind)
                for i in span:
                    taken[i] = True
    assert QuestionReader(lexicon)._types_in(tokens) == expected
