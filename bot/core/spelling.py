"""Misspelt words corrected against the knowledge base's own vocabulary (rapidfuzz).

Only words the knowledge base uses are correction targets: a typo of a word it never uses
could not change the answer anyway, and an English dictionary would turn deliberate domain
words into common ones.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.core.config import MatchConfig

_VOWELS = frozenset("aeiouy")
# Questions are user input: the cache of corrections is bounded, then started afresh.
_CACHE_LIMIT = 50_000
# Pools of words by initial (or all) and by a token's length: a few hundred, made once each.
_POOL_CACHE = 2_048


def vowel_swap(a: str, b: str) -> bool:
    """Whether two words of one length differ in a single vowel only."""
    if len(a) != len(b):
        return False
    differ = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    return len(differ) == 1 and differ[0][0] in _VOWELS and differ[0][1] in _VOWELS


class Speller:
    """Corrects a token to the vocabulary word it most likely meant."""

    def __init__(self, targets: Iterable[str], frequency: Mapping[str, int], config: MatchConfig) -> None:
        self._config = config
        self._frequency = frequency
        # Among equals the more common word wins: the list is ordered by frequency.
        self._targets = sorted((t for t in set(targets) if len(t) >= 3 and t.isalpha()),
                               key=lambda t: (-frequency.get(t, 0), t))
        self._by_initial: dict[str, list[str]] = defaultdict(list)
        for term in self._targets:
            self._by_initial[term[0]].append(term)
        # Each pool's words' lengths, in its order, and the longest: a pool of near length is
        # taken by a table of the lengths that may reach the floor (`_of_near_length`).
        self._lengths = {initial: [len(word) for word in words] for initial, words in self._by_initial.items()}
        self._lengths[""] = [len(word) for word in self._targets]
        self._longest = max(self._lengths[""], default=0)
        self._cache: dict[str, str | None] = {}
        # Plain dicts, emptied when full: a cache holding a bound method of the speller would
        # make a reference cycle, which keeps a replaced engine alive once it is frozen.
        self._pools: dict[tuple[str, int, float], list[str]] = {}

    def _near_length(self, initial: str, length: int, floor: float) -> list[str]:
        key = (initial, length, floor)
        pool = self._pools.get(key)
        if pool is None:
            if len(self._pools) >= _POOL_CACHE:
                self._pools.clear()
            pool = self._pools[key] = self._of_near_length(initial, length, floor)
        return pool

    def correct(self, token: str) -> str | None:
        """The vocabulary word a misspelt token most likely meant, or None."""
        if token in self._cache:
            return self._cache[token]
        result = self._correct(token)
        if len(self._cache) > _CACHE_LIMIT:
            self._cache.clear()
        self._cache[token] = result
        return result

    def _correct(self, token: str) -> str | None:
        if len(token) < 4 or not token.isalpha() or not token.isascii():
            return None
        config = self._config
        cutoff = (config.typo_cutoff_short if len(token) == 4
                  else config.typo_cutoff_medium if len(token) == 5
                  else config.typo_cutoff_long)
        # Optimal string alignment counts a swap of two letters as one edit; a typo seldom
        # changes the first letter, so words with the same initial are tried first, and all
        # words only at a stricter cutoff. InDel ratio forgives a wrong vowel pair ("medicle")
        # that OSA counts twice.
        for initial, floor in ((token[0], cutoff), ("", cutoff + 10)):
            pool = self._near_length(initial, len(token), floor)
            hits = [process.extractOne(token, pool, scorer=scorer, processor=None,
                                       score_cutoff=floor / scale - 1e-9)
                    for scorer, scale in ((OSA.normalized_similarity, 100), (fuzz.ratio, 1))]
            scored = [(hit[1] * (100 if i == 0 else 1), -i, hit[0])
                      for i, hit in enumerate(hits) if hit is not None]
            if scored:
                candidate = max(scored)[2]
                # A ratio forgives length: "capital" is not "capitalism". At most one edit for
                # a short word, two for a longer one.
                cap = 1 if len(token) <= 5 else 2
                if OSA.distance(token, candidate) <= cap:
                    return self._likeliest(token, candidate, pool)
                return None
        return None

    def _of_near_length(self, initial: str, length: int, floor: float) -> list[str]:
        """The words (of `initial`, or all for "") that a token of `length` letters may reach
        `floor` with, in their order. Each letter of difference in length is an edit, so both
        scores are at most 200 × the shorter length / the two lengths (OSA's is lower still):
        most words are too long or too short to be tried at all. The test depends on a word's
        length alone, so it is made once for each length and the pool taken by the words'
        lengths in C (a pool of all the words is made for most new tokens of a new length)."""
        pool = self._by_initial.get(initial, []) if initial else self._targets
        lengths = self._lengths.get(initial, []) if initial else self._lengths[""]
        near = [200.0 * min(size, length) / (size + length) >= floor - 1e-6
                for size in range(self._longest + 1)]
        return list(itertools.compress(pool, map(near.__getitem__, lengths)))

    def _likeliest(self, token: str, candidate: str, pool: list[str]) -> str:
        """Among equally near words, one with a wrong vowel ("seet": seat, not set) beats one
        with a letter more or less, people spelling vowels by ear, unless the knowledge base
        uses it less ("fonded": founded, not funded)."""
        if len(candidate) == len(token):
            return candidate
        usual = self._frequency.get(candidate, 0)
        size = len(token)
        for word in pool:
            # `vowel_swap` holds between words of one length only: the others need no call.
            if len(word) == size and vowel_swap(token, word) and self._frequency.get(word, 0) >= usual:
                return word
        return candidate
