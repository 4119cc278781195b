"""What a question asks for: a person, a date, a number, a place … read from its own words.

An intent declares the kinds of answer it gives (`answers:` in knowledge/topics); the scoring
model weighs whether the two agree. The phrases that ask for each kind are data
(`question_types` in knowledge/language.yaml).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core.config import WORD_CACHE_SIZE
from bot.core.language import Lexicon
from bot.core.normalize import LONGEST_CACHED_RUN, kept_run, run_stems, stem, stemmed_words
from bot.core.records import record

# Clauses end at punctuation or at a conjunction that starts another question; the words that
# ask ("who", "how many") open a clause, give or take a little chatter ("so", "quick q:").
# Read as `[.?!;:,\n—–()\[\]]+|\s-\s|\b(?i:and|but|also|or)\b`, written to open with the characters
# a break can start at (the branch then checked behind them), so the regex engine skips to
# those instead of trying every branch at every position (a fifth faster on a question).
_PUNCTUATION = r"[.?!;:,\n\u2014\u2013()\[\]]"
_CLAUSE_BREAK = re.compile(rf"[.?!;:,\n\u2014\u2013()\[\]\saAbBoO](?:(?<={_PUNCTUATION}){_PUNCTUATION}*|(?<=\s)-\s"
                           r"|(?<=\b[aA])(?i:nd|lso)\b|(?<=\b[bB])(?i:ut)\b|(?<=\b[oO])(?i:r)\b)")
_OPENING_WORDS = 4


@record
class Asked:
    """What a question asks for: the kinds of answer, a yes or no, a day."""

    types: frozenset[str]  # empty: the question does not say (what/which/tell me …)
    yes_no: bool = False  # opens like a yes/no question ("was …", "did …")
    to_the_day: bool = False  # wants a date to the day ("on which day …", "exact date")


# Immutable, so one instance serves every question that says nothing of what it asks (most).
NOTHING_ASKED = Asked(frozenset())


class QuestionReader:
    def __init__(self, lexicon: Lexicon) -> None:
        self._types = sorted(
            ((tuple(stem(t) for t in phrase), kind)
             for kind, phrases in lexicon.question_types.items() for phrase in phrases),
            key=lambda item: -len(item[0]))
        # Each phrase's places in the order above (a phrase may ask for two kinds), and the
        # lengths of the phrases each word opens: a clause's opening words are looked up, not
        # compared with every phrase.
        self._places: dict[tuple[str, ...], list[int]] = {}
        sizes: dict[str, set[int]] = {}
        for place, (phrase, _) in enumerate(self._types):
            self._places.setdefault(phrase, []).append(place)
            if phrase:
                sizes.setdefault(phrase[0], set()).add(len(phrase))
        self._sizes_by_first = {word: sorted(lengths) for word, lengths in sizes.items()}
        # An empty phrase matches every clause.
        self._always = frozenset(kind for phrase, kind in self._types if not phrase)
        # Each phrase between spaces, as it is looked for in the question's words joined; and
        # their last words, one of which a question has if any phrase is in it (a phrase has
        # words, and no word a space): most questions have none ("day", "date", …).
        day = [[stem(t) for t in phrase] for phrase in lexicon.day_precision]
        self._day = tuple(f" {' '.join(words)} " for words in day)
        self._day_ends = frozenset(words[-1] for words in day)
        self._yes_no = lexicon.yes_no_openers

    def read(self, text: str) -> Asked:
        types: set[str] = set()
        yes_no = False
        all_tokens: list[str] = []
        openers = self._sizes_by_first.keys()
        for tokens in clause_words(text):
            if not tokens:
                continue
            all_tokens.extend(tokens)
            # A clause none of whose opening words opens a phrase (half of them) asks only what
            # every clause asks.
            found = (self._types_in(tokens[: _OPENING_WORDS + 3]) if not openers.isdisjoint(tokens[:_OPENING_WORDS])
                     else self._always)
            types |= found
            if not found and tokens[0] in self._yes_no:
                yes_no = True
        to_the_day = False
        if not self._day_ends.isdisjoint(all_tokens):
            joined = f" {' '.join(all_tokens)} "
            to_the_day = any(phrase in joined for phrase in self._day)
        if not (types or yes_no or to_the_day):
            return NOTHING_ASKED
        return Asked(frozenset(types), yes_no and not types, to_the_day)

    def _types_in(self, tokens: Sequence[str]) -> set[str]:
        """The kinds the phrases starting at one of the opening words ask for: the phrases
        taken in their order (the longest first), each where none of its words is taken yet."""
        found = set(self._always)
        # Every (place, start) of a phrase present from an opening word (most clauses: one).
        present = [(place, start) for start in range(min(_OPENING_WORDS, len(tokens)))
                   for size in self._sizes_by_first.get(tokens[start], ())
                   if start + size <= len(tokens)
                   for place in self._places.get(tuple(tokens[start : start + size]), ())]
        if not present:
            return found  # most clauses ("what is …")
        taken = [False] * len(tokens)
        for place, start in sorted(present):
            phrase, kind = self._types[place]
            size = len(phrase)
            if not any(taken[start : start + size]):
                found.add(kind)
                taken[start : start + size] = [True] * size
        return found


def clause_words(text: str) -> list[list[str]]:
    """The stemmed words of each clause of `text`, numbers left out (some clauses have none).
    In ASCII text each run of non-space characters is broken and read alone, remembered per run:
    the same words of the same clauses, less some clauses with no words (see `_clauses_of_run`)."""
    if not text.isascii():
        return [_clause_stems(clause) for clause in _CLAUSE_BREAK.split(text)]
    clauses: list[list[str]] = []
    known = _RUN_CLAUSES
    for line in text.split("\n"):  # the one space that breaks a clause
        clause: list[str] = []
        clauses.append(clause)
        for run in line.split():
            pieces = known.get(run) or _remembered_clauses(run)  # a run has one piece at least
            clause += pieces[0]
            if len(pieces) > 1:  # most runs: no break inside
                for piece in pieces[1:]:
                    clause = list(piece)
                    clauses.append(clause)
    return clauses


def _clause_stems(clause: str) -> list[str]:
    # Numbers say how many, not what is asked: "which 45 countries" asks "which countries".
    # (A stem begins as its word does.)
    return [t for t in stemmed_words(clause) if not t[:1].isdigit()]


# Each run's pieces, up to WORD_CACHE_SIZE runs (emptied when full): a plain dict, read with one
# get a run, where an lru_cache's call costs twice that.
_RUN_CLAUSES: dict[str, tuple[tuple[str, ...], ...]] = {}


def _remembered_clauses(run: str) -> tuple[tuple[str, ...], ...]:
    pieces = _clauses_of_run(run)
    if len(run) <= LONGEST_CACHED_RUN:  # longer runs are read as they come: no input fills the memo with them
        if len(_RUN_CLAUSES) >= WORD_CACHE_SIZE:
            _RUN_CLAUSES.clear()
        _RUN_CLAUSES[kept_run(run)] = pieces  # under the string the memo of its forms keeps
    return pieces


def _clauses_of_run(run: str) -> tuple[tuple[str, ...], ...]:
    """A run's words in the pieces the clause breaks cut it into. In ASCII text a break is a
    line break, punctuation or a conjunction inside a run (bounded by its ends as by the spaces
    around it), or a lone "-" run (`\\s-\\s`, which a run alone never matches): one is not a
    break only when the break before it took the space in front of it, and it has no words, so
    the clauses with words are the same."""
    if run == "-":
        return (), ()
    pieces = _CLAUSE_BREAK.split(run)
    if len(pieces) == 1:
        # Most runs: one piece, the run itself, whose stems are `stemmed_words(run)`; with no
        # number among them the memo of the run's forms holds them already, as one tuple.
        stems = run_stems(run)
        if not any(t[:1].isdigit() for t in stems):
            return (stems,)
    return tuple(tuple(_clause_stems(piece)) for piece in pieces)
