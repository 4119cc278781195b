"""Which language a message is in, and Khmer read through the lexicon."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.evaluation import load_cases
from bot.core.knowledge import KnowledgeBase
from bot.core.language import _ASCII_WORD, _WORD, Lexicon, _run_marks, read
from bot.core.normalize import stem


@pytest.fixture(scope="module")
def lexicon(kb: KnowledgeBase) -> Lexicon:
    return kb.language


@pytest.mark.parametrize(("text", "language"), [
    ("Quand le CNRP a-t-il été fondé ?", "French"),
    ("¿Cuándo fue disuelto el partido?", "Spanish"),
    ("Wann wurde die Partei gegründet?", "German"),
    ("Kapan partai CNRP didirikan?", "Indonesian"),
    ("Đảng CNRP được thành lập năm nào?", "Vietnamese"),
])
def test_another_latin_language_is_recognised(lexicon: Lexicon, text: str, language: str) -> None:
    reading = read(text, lexicon)
    assert (reading.language, reading.understood) == (language, False)


@pytest.mark.parametrize("text", ["CNRP是什么时候成立的？", "CNRPはいつ設立されましたか", "КНРП когда основана"])
def test_another_script_is_not_read(lexicon: Lexicon, text: str) -> None:
    assert not read(text, lexicon).understood


@pytest.mark.parametrize("text", [
    "when was the cnrp founded", "who is la personne in charge", "was the party banned de facto",
    "Sam Rainsy's résumé?", "",
])
def test_english_with_a_stray_foreign_word_is_english(lexicon: Lexicon, text: str) -> None:
    reading = read(text, lexicon)
    assert (reading.language, reading.understood, reading.text) == ("English", True, text)


def test_khmer_is_translated_word_by_word(lexicon: Lexicon) -> None:
    reading = read("តើអ្នកណាជាប្រធានគណបក្សសង្គ្រោះជាតិ?", lexicon)
    assert reading.language == "Khmer" and reading.understood
    assert reading.text.split() == ["who", "president", "cnrp", "?"] or {"who", "president", "cnrp"} <= set(
        reading.text.split())


def test_a_khmer_question_word_at_the_end_is_read_first(lexicon: Lexicon) -> None:
    # Khmer asks "… on which day?" at the end; the reading of what is asked looks at the start.
    words = read("តុលាការកំពូលរំលាយគណបក្សសង្គ្រោះជាតិនៅថ្ងៃណា?", lexicon).text.split()
    assert words[:2] == ["which", "day"] and "cnrp" in words


def test_khmer_spaces_are_optional_and_digits_are_read(lexicon: Lexicon) -> None:
    joined, spaced = read("សមរង្ស៊ី", lexicon), read("សម រង្ស៊ី", lexicon)
    assert joined.text.split() == spaced.text.split() == ["sam", "rainsy"]
    assert "2013" in read("ឆ្នាំ ២០១៣", lexicon).text


def test_khmer_the_lexicon_does_not_know_is_not_understood(lexicon: Lexicon) -> None:
    reading = read("ខ្ញុំចូលចិត្តញ៉ាំបាយឆាជាមួយពងមាន់", lexicon)  # "I like fried rice with egg"
    assert reading.language == "Khmer" and not reading.understood
    assert reading.khmer_coverage < 0.5


def test_khmer_inside_english_is_translated(lexicon: Lexicon) -> None:
    reading = read("is សង្គ្រោះ បម្រើ ការពារ the slogan?", lexicon)
    assert reading.understood and "rescue serve protect" in reading.text


def test_an_empty_lexicon_reads_everything_as_english() -> None:
    assert read("qui est le président", Lexicon()).understood


def test_word_lists_hold_each_word_as_the_matcher_reads_it(lexicon: Lexicon) -> None:
    for word in ("actually", "basically"):
        assert word in lexicon.stopwords and stem(word) in lexicon.stopwords


@pytest.fixture(scope="module")
def markers_lexicon(lexicon: Lexicon) -> Lexicon:
    """The word lists that tell a language (a small repr for hypothesis to print)."""
    return Lexicon(stopwords=lexicon.stopwords, question_words=lexicon.question_words,
                   other_languages=lexicon.other_languages)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.integers(min_value=0), max_size=8), st.booleans())
def test_the_language_with_most_markers_wins_over_english_filler(markers_lexicon: Lexicon, picks: list[int],
                                                                  shout: bool) -> None:
    lexicon = markers_lexicon
    markers = sorted({m for words in lexicon.other_languages.values() for m in words})
    vocabulary = markers + sorted(lexicon.stopwords)[:30] + ["cnrp", "when", "l'homme", "Über", "日本"]
    text = " ".join(vocabulary[pick % len(vocabulary)] for pick in picks)
    text = text.upper() if shout else text
    # The rule as stated, every language counted over every word.
    tokens = re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", unicodedata.normalize("NFKC", text).casefold())
    english = sum(1 for t in tokens if t in lexicon.stopwords or t in lexicon.question_words)
    counts = [(sum(1 for t in tokens if t in words), language) for language, words in lexicon.other_languages.items()]
    best = max((c for c in counts if c[0] >= 2 and c[0] > english), key=lambda c: c[0], default=None)
    reading = read(text, lexicon)
    assert (reading.language, reading.understood) == ((best[1], False) if best else ("English", True))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.one_of(st.text(alphabet=st.characters(max_codepoint=127)),
                 st.text(alphabet="aZ'-’ 9_é.", max_size=20)))
def test_the_ascii_word_pattern_finds_the_words_the_general_one_does(text: str) -> None:
    # _other_language uses the plain a-z pattern on casefolded ASCII.
    folded = unicodedata.normalize("NFKC", text).casefold()
    if folded.isascii():
        assert _ASCII_WORD.findall(folded) == _WORD().findall(folded)


def test_the_ascii_word_pattern_finds_the_words_of_the_labelled_questions() -> None:
    for case in (case for name in ("questions.yaml", "fresh.yaml", "holdout.yaml", "out_of_scope.yaml")
                 for case in load_cases(Path(__file__).parent / name)):
        folded = unicodedata.normalize("NFKC", case.question).casefold()
        if folded.isascii():
            assert _ASCII_WORD.findall(folded) == _WORD().findall(folded)


def _marked_as_a_whole(text: str, lexicon: Lexicon) -> bool:
    words = _WORD().findall(unicodedata.normalize("NFKC", text).casefold())
    return not lexicon.languages_of_marker.keys().isdisjoint(words)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(["la", "Les", "est", "qu'est-ce", "QU'EST-CE", "qu", "ce", "l'homme", "cnrp", "when",
                                 "the", "-", "'", "--", "x-la", "la-", "'la", "l''a", " ", "  ", "\n", "\t", "?", ",",
                                 "(", "9", "_"]), max_size=14).map("".join))
def test_ascii_text_marks_another_language_where_one_of_its_runs_does(lexicon: Lexicon, text: str) -> None:
    assert any(_run_marks(run, lexicon) for run in text.split()) == _marked_as_a_whole(text, lexicon)


def test_the_labelled_questions_mark_another_language_where_one_of_their_runs_does(lexicon: Lexicon) -> None:
    for case in (case for name in ("questions.yaml", "fresh.yaml", "holdout.yaml", "out_of_scope.yaml")
                 for case in load_cases(Path(__file__).parent / name)):
        question = case.question
        if question.isascii():
            assert any(_run_marks(run, lexicon) for run in question.split()) == _marked_as_a_whole(question, lexicon)
