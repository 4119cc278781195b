"""What a question asks for, read from its own words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.answertypes import _CLAUSE_BREAK, QuestionReader, _clause_stems, clause_words
from bot.core.evaluation import load_cases
from bot.core.knowledge import KnowledgeBase
from bot.core.language import Lexicon
from bot.core.normalize import stem, tokenize


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


def test_the_day_is_asked_for_as_its_phrases_in_the_words_joined_say(reader: QuestionReader,
                                                                    kb: KnowledgeBase) -> None:
    """The phrases are looked for only in questions with one of their last words: the labelled
    questions read as looking for every phrase in each question's words joined."""
    questions = [case.question for name in ("questions.yaml", "fresh.yaml", "holdout.yaml", "out_of_scope.yaml")
                 for case in load_cases(Path(__file__).parent / name)]
    # Each phrase in a question, and its words the other way round (no phrase, though the words).
    day = kb.language.day_precision
    questions += [f"so {' '.join(phrase)} was it" for phrase in day]
    questions += [f"so {' '.join(reversed(phrase))} was it" for phrase in day]
    phrases = [f" {' '.join(stem(t) for t in phrase)} " for phrase in day]
    asking = 0
    for question in questions:
        words = [stem(t) for clause in _CLAUSE_BREAK.split(question) for t in tokenize(clause)
                 if not t[:1].isdigit()]
        joined = f" {' '.join(words)} "
        expected = any(phrase in joined for phrase in phrases)
        assert reader.read(question).to_the_day == expected, question
        asking += expected
    assert asking >= len(day) + 5  # every phrase, and labelled questions that ask for the day


# The clause breaks as stated (answertypes writes the pattern to open with its first characters).
_PLAIN_CLAUSE_BREAK = re.compile(r"[.?!;:,\n\u2014\u2013()\[\]]+|\s-\s|\b(?:and|but|also|or)\b", re.IGNORECASE)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.one_of(st.lists(st.sampled_from(["and", "AND", "alſo", "Also", "but", "But", "or", "Or", "oral", "band",
                                           "-", " - ", " ", "\t", "\n", ".", "?!", ",", "\u2014", "\u2013", "(", "]",
                                           "x", "é", "_", "1", "'"]), max_size=20).map("".join),
                 st.text(max_size=60)))
def test_clauses_break_where_the_plain_pattern_breaks_them(text: str) -> None:
    assert _CLAUSE_BREAK.split(text) == _PLAIN_CLAUSE_BREAK.split(text)


def test_the_labelled_questions_break_into_the_plain_pattern_s_clauses() -> None:
    for name in ("questions.yaml", "fresh.yaml", "holdout.yaml", "out_of_scope.yaml"):
        for case in load_cases(Path(__file__).parent / name):
            assert _CLAUSE_BREAK.split(case.question) == _PLAIN_CLAUSE_BREAK.split(case.question)


def _words_of_each_clause(text: str) -> list[list[str]]:
    """The plain way: the text broken by the pattern, each clause read alone, the clauses with
    no words left out."""
    return [words for clause in _CLAUSE_BREAK.split(text) if (words := _clause_stems(clause))]


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.one_of(st.lists(st.sampled_from(["and", "AND", "Also", "but", "or", "Or", "oral", "band", "rock-and-roll",
                                           "-", "--", " - ", "- ", " -", " ", "  ", "\t", "\n", "\r", "\x0b", "\x1c",
                                           ".", "?!", ",", "(", "]", "x", "who", "when", "day", "_", "1", "45", "1,000",
                                           "4.5", "'", "'s", "%", "www.x.com", "https://a.b/c?d", "a" * 70, "a?" * 40]),
                          max_size=20).map("".join),
                 st.text(st.characters(max_codepoint=127), max_size=60)))
def test_ascii_clauses_read_run_by_run_are_the_pattern_s_clauses(text: str) -> None:
    assert [words for words in clause_words(text) if words] == _words_of_each_clause(text)


def test_the_labelled_questions_read_run_by_run_into_the_pattern_s_clauses() -> None:
    for name in ("questions.yaml", "fresh.yaml", "holdout.yaml", "out_of_scope.yaml"):
        for case in load_cases(Path(__file__).parent / name):
            question = case.question
            assert [words for words in clause_words(question) if words] == _words_of_each_clause(question), question


def test_the_labelled_questions_are_read_as_every_clause_s_phrases_say(reader: QuestionReader) -> None:
    """read looks no phrase up in a clause none of whose opening words opens one: the same kinds
    as looking every clause's opening words up."""
    for name in ("questions.yaml", "fresh.yaml", "holdout.yaml", "out_of_scope.yaml"):
        for case in load_cases(Path(__file__).parent / name):
            clauses = _words_of_each_clause(case.question)
            found = [reader._types_in(words[:7]) for words in clauses]
            asked = reader.read(case.question)
            assert asked.types == frozenset().union(*found), case.question
            assert asked.yes_no == (not asked.types and any(not kinds and words[0] in reader._yes_no
                                                            for words, kinds in zip(clauses, found, strict=True)))
