"""What a question asks for: a person, a date, a number, a place … read from its own words.

An intent declares the kinds of answer it gives (`answers:` in knowledge/topics); the scoring
model weighs whether the two agree. The phrases that ask for each kind are data
(`question_types` in knowledge/language.yaml).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.language import Lexicon
from bot.core.normalize import stem, tokenize

# Clauses end at punctuation or at a conjunction that starts another question; the words that
# ask ("who", "how many") open a clause, give or take a little chatter ("so", "quick q:").
_CLAUSE_BREAK = re.compile(r"[.?!;:,\n\u2014\u2013()\[\]]+|\s-\s|\b(?:and|but|also|or)\b", re.IGNORECASE)
_OPENING_WORDS = 4


@dataclass(frozen=True)
class Asked:
    types: frozenset[str]  # empty: the question does not say (what/which/tell me …)
    yes_no: bool = False  # opens like a yes/no question ("was …", "did …")
    to_the_day: bool = False  # wants a date to the day ("on which day …", "exact date")


class QuestionReader:
    def __init__(self, lexicon: Lexicon) -> None:
        self._types = sorted(
            ((tuple(stem(t) for t in phrase), kind)
             for kind, phrases in lexicon.question_types.items() for phrase in phrases),
            key=lambda item: -len(item[0]))
        # The same phrases by their first word, each with its place in the order above.
        self._by_first: dict[str, list[tuple[int, tuple[str, ...], str]]] = {}
        for place, (phrase, kind) in enumerate(self._types):
            self._by_first.setdefault(phrase[0] if phrase else "", []).append((place, phrase, kind))
        self._day = tuple(tuple(stem(t) for t in phrase) for phrase in lexicon.day_precision)
        self._yes_no = lexicon.yes_no_openers

    def read(self, text: str) -> Asked:
        types: set[str] = set()
        yes_no = False
        all_tokens: list[str] = []
        for clause in _CLAUSE_BREAK.split(text):
            # Numbers say how many, not what is asked: "which 45 countries" asks "which countries".
            tokens = [stem(t) for t in tokenize(clause) if not t[:1].isdigit()]
            if not tokens:
                continue
            all_tokens.extend(tokens)
            found = self._types_in(tokens[: _OPENING_WORDS + 3])
            types |= found
            if not found and tokens[0] in self._yes_no:
                yes_no = True
        return Asked(frozenset(types), yes_no and not types, self._mentions(all_tokens, self._day))

    def _types_in(self, tokens: Sequence[str]) -> set[str]:
        found: set[str] = set()
        taken = [False] * len(tokens)
        # A phrase can only match from one of the opening words: only the phrases that start
        # with one are tried, in the same order, so the longest phrase still takes its words.
        opening = {*tokens[:_OPENING_WORDS], ""}
        tried = sorted(item for word in opening for item in self._by_first.get(word, ()))
        for _, phrase, kind in tried:
            size = len(phrase)
            for start in range(min(_OPENING_WORDS, len(tokens) - size + 1)):
                if tuple(tokens[start : start + size]) == phrase and not any(taken[start : start + size]):
                    found.add(kind)
                    taken[start : start + size] = [True] * size
        return found

    @staticmethod
    def _mentions(tokens: Sequence[str], phrases: Sequence[tuple[str, ...]]) -> bool:
        joined = f" {' '.join(tokens)} "
        return any(f" {' '.join(phrase)} " in joined for phrase in phrases)
