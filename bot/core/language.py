"""The language a question is written in: English's word lists, other languages and scripts,
and Khmer read through a lexicon.

Everything here is data from `knowledge/language.yaml` and `knowledge/khmer.yaml`; the code
only says how to use it. Khmer writes no spaces between words, so a Khmer run is read by
longest match against the lexicon, and the English words it stands for are what the matcher
sees.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import field
from functools import cached_property, lru_cache

from bot.core.config import WORD_CACHE_SIZE
from bot.core.normalize import LONGEST_CACHED_RUN, kept_run, lazy_pattern
from bot.core.records import record

# A run of Khmer, spaces between its words included (they are optional in Khmer writing).
_KHMER_LETTER = r"[\u1780-\u17ff\u19e0-\u19ff]"
_KHMER = lazy_pattern(rf"{_KHMER_LETTER}(?:[\u1780-\u17ff\u19e0-\u19ff\u200b ]*{_KHMER_LETTER})?")
_KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
_INVISIBLE = lazy_pattern(r"[\u200b-\u200d\u2060\ufeff]")
_LETTERS = lazy_pattern(r"[^\W\d_]+")
# Khmer runs are short in practice; a bound keeps the longest-match scan linear.
_MAX_KHMER_WORD = 40


@record
class Lexicon:
    """The word lists the reading of a question uses (knowledge/language.yaml)."""

    stopwords: frozenset[str] = frozenset()
    question_words: frozenset[str] = frozenset()
    generic_question_words: frozenset[str] = frozenset()
    greetings: frozenset[str] = frozenset()
    present_words: frozenset[str] = frozenset()
    relative_times: frozenset[tuple[str, str]] = frozenset()
    time_owners: frozenset[str] = frozenset()
    yes_no_openers: frozenset[str] = frozenset()
    evaluative: frozenset[str] = frozenset()  # words asking for a judgement, not a fact
    reactions: frozenset[str] = frozenset()  # words that open a reaction ("lol", "wow"), not a question
    # Openings that take the last question back ("no, I meant …"): its rows are void.
    corrections: tuple[tuple[str, ...], ...] = ()
    outside_names: frozenset[str] = frozenset()  # parties and bodies the sources never mention
    # answer type -> the phrases (as token tuples) that ask for it
    question_types: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    day_precision: tuple[tuple[str, ...], ...] = ()
    other_languages: Mapping[str, frozenset[str]] = field(default_factory=dict)
    khmer: Mapping[str, str] = field(default_factory=dict)  # Khmer text -> English words

    @cached_property
    def filler(self) -> frozenset[str]:
        """Words that carry no topic: stop words and the question words (made once: the lexicon
        is immutable, and the union cost some 5 µs each of the five times a question reads it)."""
        return self.stopwords | self.question_words

    @cached_property
    def languages_of_marker(self) -> Mapping[str, tuple[str, ...]]:
        """The other languages each marker word is typical of, in `other_languages`' order."""
        languages: dict[str, tuple[str, ...]] = {}
        for language, markers in self.other_languages.items():
            for marker in markers:
                languages[marker] = (*languages.get(marker, ()), language)
        return languages

    @cached_property
    def run_marks(self) -> dict[str, bool]:
        """Runs of ASCII text (between spaces) and whether a word of each is a marker: a memo
        `_other_language` fills, emptied when full."""
        return {}

    @property
    def khmer_longest(self) -> int:
        return min(_MAX_KHMER_WORD, max((len(k) for k in self.khmer), default=0))


@record
class Reading:
    """A message as the matcher should read it."""

    text: str  # English words in place of the Khmer the lexicon knows
    language: str  # "English", "Khmer", another language's name, or a script's name
    understood: bool  # False: the bot cannot read it, and says which languages it reads
    khmer_coverage: float = 1.0  # share of the Khmer letters the lexicon recognised


def word_list(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def phrases(items: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    """Phrases as token tuples, longest first, so "how many years" wins over "how many"."""
    return tuple(sorted({tuple(str(i).casefold().split()) for i in items if str(i).strip()},
                        key=lambda p: (-len(p), p)))


def read(text: str, lexicon: Lexicon) -> Reading:
    """Translate the Khmer the lexicon knows, and tell which language the message is in."""
    if text.isascii():  # most messages: no Khmer and no other script, only the words can tell
        foreign = _other_language(text, lexicon)
        return Reading(text, foreign or "English", foreign is None)
    translated, khmer_letters, known = _read_khmer(text, lexicon)
    latin, other_scripts = _letters_by_script(text)
    if khmer_letters and latin == 0 and khmer_letters >= sum(other_scripts.values()):
        coverage = known / khmer_letters
        return Reading(translated, "Khmer", coverage >= 0.5, coverage)
    if other_scripts:
        script, count = max(other_scripts.items(), key=lambda item: item[1])
        if count > latin:
            return Reading(translated, script.title(), False)
    foreign = _other_language(text, lexicon)
    if foreign is not None:
        return Reading(translated, foreign, False)
    return Reading(translated, "English", True)


_WH = frozenset({"who", "whom", "whose", "what", "when", "where", "why", "how", "which"})


def _read_khmer(text: str, lexicon: Lexicon) -> tuple[str, int, int]:
    """The text with each known Khmer word replaced by its English; the number of Khmer
    letters, and of those the lexicon recognised."""
    if not _KHMER().search(text):
        return text, 0, 0
    total = known = 0
    longest = lexicon.khmer_longest

    def translate(match: re.Match[str]) -> str:
        nonlocal total, known
        run = "".join(_INVISIBLE().sub("", match.group(0)).split()).translate(_KHMER_DIGITS)
        total += len(run)
        out: list[str] = []
        i = 0
        while i < len(run):
            if run[i].isdigit():
                j = i
                while j < len(run) and run[j].isdigit():
                    j += 1
                out.append(run[i:j])
                known += j - i
                i = j
                continue
            for size in range(min(longest, len(run) - i), 0, -1):
                english = lexicon.khmer.get(run[i : i + size])
                if english is not None:
                    out.append(english)
                    known += size
                    i += size
                    break
            else:
                i += 1  # an unknown letter: skipped, and counted against the coverage
        # Khmer asks at the end ("… on which day?"); English, and the reading of what a
        # question asks for, at the start.
        asking = next((k for k, item in enumerate(out) if item.split()[:1] and item.split()[0] in _WH), 0)
        if out:
            out.insert(0, out.pop(asking))
        return f" {' '.join(out)} "

    translated = _KHMER().sub(translate, _INVISIBLE().sub("", text))
    return translated, total, known


def _letters_by_script(text: str) -> tuple[int, dict[str, int]]:
    """Latin letters, and letters of every other script except Khmer, by script."""
    if text.isascii():  # most messages: every letter is Latin, and no script needs looking up
        return sum(len(run) for run in _LETTERS().findall(text)), {}
    latin = 0
    other: dict[str, int] = {}
    for run in _LETTERS().findall(text):
        for char in run:
            if char.isascii():
                latin += 1
                continue
            script = _script(char)
            if script == "LATIN":
                latin += 1
            elif script != "KHMER":
                other[script] = other.get(script, 0) + 1
    return latin, other


@lru_cache(maxsize=4096)
def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


_WORD = lazy_pattern(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# The same words in casefolded ASCII (most messages), where a letter is a-z: a plain class is
# tested faster than one made of categories (1.3 -> 0.85 µs a question).
_ASCII_WORD = re.compile(r"[a-z]+(?:['-][a-z]+)*")


def _other_language(text: str, lexicon: Lexicon) -> str | None:
    """The language a Latin-script message is written in, when its words say so clearly: at
    least two words typical of one other language, and more of them than English filler."""
    if text.isascii():
        # No word of ASCII text spans a space (and NFKC leaves ASCII as it is): a message none
        # of whose runs of non-space characters has a marker (most) has none, each run's
        # answer remembered.
        marked = lexicon.run_marks
        for run in text.split():
            marks = marked.get(run)
            if marks is None:
                marks = _run_marks(run, lexicon)
            if marks:
                break
        else:
            return None
    folded = unicodedata.normalize("NFKC", text).casefold()
    tokens = (_ASCII_WORD if folded.isascii() else _WORD()).findall(folded)
    markers = lexicon.languages_of_marker
    if markers.keys().isdisjoint(tokens):
        return None  # most messages: no word marks another language
    # Each word is looked up once for the languages it marks.
    hits: dict[str, int] = {}
    for token in tokens:
        for language in markers.get(token, ()):
            hits[language] = hits.get(language, 0) + 1
    filler = lexicon.filler
    english = sum(1 for t in tokens if t in filler)
    best: tuple[int, str] | None = None
    for language in lexicon.other_languages:
        count = hits.get(language, 0)
        if count >= 2 and count > english and (best is None or count > best[0]):
            best = (count, language)
    return best[1] if best else None


def _run_marks(run: str, lexicon: Lexicon) -> bool:
    """Whether a word of an ASCII run of non-space characters marks another language, kept in
    the lexicon's memo."""
    marked = lexicon.run_marks
    if len(marked) >= WORD_CACHE_SIZE:
        marked.clear()
    if len(run) <= LONGEST_CACHED_RUN:
        run = kept_run(run)  # the string the memo of its forms keeps: its words are read next
    marks = marked[run] = not lexicon.languages_of_marker.keys().isdisjoint(_ASCII_WORD.findall(run.casefold()))
    return marks
