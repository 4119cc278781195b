"""One normalisation for phrasings (at load) and questions (per ask).

rapidfuzz 3 does no preprocessing of its own, so everything that should not matter — case,
accents, Discord markup, punctuation, emoji, stretched letters, plural endings, synonyms —
is removed here, once, the same way on both sides of every comparison.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence

from bot.core.config import FOLDED_TEXT_CACHE_SIZE


def lazy_pattern(pattern: str, flags: int = 0) -> Callable[[], re.Pattern[str]]:
    """`re.compile(pattern, flags)`, made the first time it is called and kept. Most patterns
    serve rarer text (markup, accents, several questions in one): compiled at import they cost
    a start about 10 ms that a plain question's first answer never needs."""

    @functools.cache
    def compiled() -> re.Pattern[str]:
        return re.compile(pattern, flags)

    return compiled


# Discord's own markup: user, role and channel mentions, custom emoji, and mass pings.
_DISCORD_MARKUP = lazy_pattern(r"<(?:@[!&]?|#)\d+>|<a?:\w+:\d+>|@(?:everyone|here)\b", re.I)
# Each pattern below opens with the characters it can start at (a lookbehind, if any, comes
# after them), so the regex engine skips to those characters instead of trying every position:
# four times faster on a question. "https?://…|www\.…" case-insensitively: only "s" has a third
# case form (the long s), kept by the scoped flag.
_URL = lazy_pattern(r"[hHwW](?:(?i:ttps?://)|(?i:ww\.))\S+")
_THOUSANDS = lazy_pattern(r"[,\u202f\u00a0](?<=\d[,\u202f\u00a0])(?=\d{3}\b)")
_DECIMAL_POINT = lazy_pattern(r"\.(?<=\d\.)(?=\d)")
_APOSTROPHE = lazy_pattern(r"['\u2019\u2018`\u00b4](?<=\w['\u2019\u2018`\u00b4])(?=\w)")
# Word characters plus the combining marks that scripts such as Khmer, Thai or Devanagari
# need inside a word (Python's \w leaves them out and would cut those words apart).
_NOT_WORD = lazy_pattern(
    r"[^\w\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u064b-\u065f\u0670\u06d6-\u06ed"
    r"\u0900-\u0dff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u19e0-\u19ff\u0001]+"
)
# "%" is a word ("lowest cnrp % anywhere"), spelt the way the synonyms know it. A match starts
# only where a run of spaces does: tried from inside the run, \s* rescanned the rest of it at
# every position (quadratic: 64 ms for 4,000 spaces). The same matches, the leftmost first.
_PERCENT_SIGN = lazy_pattern(r"(?<!\s)\s*[%\uff05\u066a]")
_PERCENT_SIGNS = ("%", "\uff05", "\u066a")
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")  # letters only: "10000" is a number, not a stretch
_CONTROL = lazy_pattern(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_SLOT = lazy_pattern(r"\{(\w+)\}")  # phrasings only: an engine read from its cache never needs it

SLOT_PREFIX = "zz"  # `{constituency}` in a phrasing becomes the single token `zzconstituency`


@functools.lru_cache(maxsize=256)  # a handful of kinds, each asked for by every question that names one
def slot_token(kind: str) -> str:
    # One letters-only word, so tokenising cannot split it (underscores become spaces).
    return SLOT_PREFIX + "".join(ch for ch in kind if ch.isalnum())


def _fold_char_marks(text: str) -> str:
    """Drop accents from Latin letters only; other scripts keep their marks."""
    decomposed = unicodedata.normalize("NFKD", text)
    if any(map(unicodedata.combining, decomposed)):
        # Only then is there a mark to drop: without one (an emoji, a dash, a script without
        # marks) the walk would keep every character, one Python step each.
        decomposed = _latin_marks_dropped(decomposed)
    return unicodedata.normalize("NFC", decomposed)


def _latin_marks_dropped(decomposed: str) -> str:
    kept: list[str] = []
    base_is_latin = False
    for char in decomposed:
        if unicodedata.combining(char):
            if base_is_latin:
                continue
        else:
            base_is_latin = char.isascii()
        kept.append(char)
    return "".join(kept)


# Marks that end a word typed in ASCII ("party?", "2013.", "cnrp,"): after letters and digits
# they are punctuation alone, which `fold` makes one space.
_TRAILING_MARKS = "?!.,;:"


def fold(text: str) -> str:
    """Case, width, accents and markup folded; punctuation turned into spaces."""
    if text.isascii():
        # Most runs of a question are ASCII letters and digits, maybe with a mark after them:
        # no markup, link, accent, number separator, apostrophe or percent sign for the steps
        # below to find, so only the case and stretched letters are folded (one pattern where
        # `_fold_all` tries eight), and the marks are the one space they become there.
        word = text.rstrip(_TRAILING_MARKS)
        if word.isalnum():
            folded = _STRETCHED.sub(r"\1\1", word.lower())
            return folded if len(word) == len(text) else folded + " "
    return _fold_all(text)


def _fold_all(text: str) -> str:
    """`fold`, every step."""
    text = _CONTROL().sub(" ", text)  # also frees \x01 for the decimal-point placeholder below
    text = _DISCORD_MARKUP().sub(" ", text)
    text = _URL().sub(" ", text)
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        text = _fold_char_marks(text)
    text = _THOUSANDS().sub("", text)
    text = _DECIMAL_POINT().sub("\u0001", text)  # keep 44.46 whole through the punctuation pass
    text = _APOSTROPHE().sub("", text)
    if any(sign in text for sign in _PERCENT_SIGNS):  # the pattern opens with spaces: it scans slowly
        text = _PERCENT_SIGN().sub(" percent ", text)
    text = _NOT_WORD().sub(" ", text).replace("_", " ")
    if not text.isascii() and any(map(unicodedata.combining, text)):
        # A mark whose base that pass made a space is dropped, as a second fold would drop it
        # after that space (an ASCII base), so that folding twice is folding once.
        text = _latin_marks_dropped(text)
    text = _STRETCHED.sub(r"\1\1", text)
    return text.replace("\u0001", ".")


# Questions are user input: the per-word caches below are bounded (least recently used go).
_WORD_CACHE = 8_192
# Longer runs of text are folded as they come, so no hostile input fills the cache with them.
LONGEST_CACHED_RUN = 64


def tokenize(text: str) -> list[str]:
    """The words of `fold(text)`."""
    if text.isascii():
        # In ASCII text no step of fold reaches across a space (no pattern matches one but the
        # percent sign's, which only joins spaces to the word it makes, and there are no accents
        # to fold), so each run of non-space characters folds alone: the same words, and the
        # runs a question repeats ("the", "when", "party?") are folded once.
        words: list[str] = []
        known = _RUN_FORMS
        for run in text.split():
            words += (known.get(run) or _remembered_forms(run))[0]
        return words
    return list(_folded_words(text))


@functools.lru_cache(maxsize=FOLDED_TEXT_CACHE_SIZE)
def _folded_words(text: str) -> tuple[str, ...]:
    """The words of `fold(text)` for text outside ASCII, folded whole: a message's reading asks
    for the same sentence's words, stems and answer types in turn."""
    return tuple(fold(text).split())


def words_and_stems(text: str) -> tuple[list[str], list[str]]:
    """`tokenize(text)`, and the `stem` of each of its words: in ASCII text each run of non-space
    characters is folded alone (see `tokenize`), so a run's words and stems are remembered
    together, one lookup for both."""
    if text.isascii():
        words: list[str] = []
        stems: list[str] = []
        known = _RUN_FORMS
        for run in text.split():
            run_words, run_stems, _ = known.get(run) or _remembered_forms(run)
            words += run_words
            stems += run_stems
        return words, stems
    words = list(_folded_words(text))
    return words, [stem(t) for t in words]


def stemmed_words(text: str) -> list[str]:
    """`stem` of each word of `tokenize(text)`: in ASCII text each run of non-space characters
    is folded alone (see `tokenize`), so a run's stems are remembered with it."""
    if text.isascii():
        stems: list[str] = []
        known = _RUN_FORMS
        for run in text.split():
            stems += (known.get(run) or _remembered_forms(run))[1]
        return stems
    return [stem(t) for t in _folded_words(text)]


# A run's words and stems, up to _WORD_CACHE runs, emptied when full: a plain dict, read with
# one get a run, where an lru_cache's call costs twice that. The one memo of a run's forms for
# `tokenize`, `stemmed_words` and `words_and_stems`: an lru_cache of its words and another of its
# stems held the same tuples again, under some 110 bytes of their own a run (0.8 MiB for the
# 3,855 runs of the labelled questions). Third, the run itself, the key's own string (`kept_run`).
_RUN_FORMS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {}


def kept_run(run: str) -> str:
    """The string the memo of runs' forms keeps an ASCII run under (equal to `run`), its forms
    read now if they were not: the other memos of runs (a run's clauses, whether it marks another
    language) keep it under the same string, where each split of a question made one of its own
    (some 0.4 MiB of equal strings for the labelled questions). A third element costs a tuple of
    two strings nothing: both take one 64-byte block."""
    return (_RUN_FORMS.get(run) or _remembered_forms(run))[2]


def run_stems(run: str) -> tuple[str, ...]:
    """`stemmed_words(run)` for an ASCII run of non-space characters, as the memo's own tuple:
    a memo of something else about the run can hold the same tuple instead of a copy."""
    return (_RUN_FORMS.get(run) or _remembered_forms(run))[1]


def _remembered_forms(run: str) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    run_words = tuple(fold(run).split())
    # Stemmed as they come (`stem` itself, not its memo): this memo keeps the run's stems, and
    # a word's stem costs less than a few hundred nanoseconds, where the memo of stems kept
    # some 70 bytes of its own a word (0.2 MiB for the labelled questions' words).
    run_stems = tuple(map(stem.__wrapped__, run_words))
    if run_stems == run_words:
        run_stems = run_words  # one tuple for both, as most words are their own stems
    if len(run) > LONGEST_CACHED_RUN:
        return run_words, run_stems, run  # folded as it comes: no input fills the memo with long runs
    if len(_RUN_FORMS) >= _WORD_CACHE:
        _RUN_FORMS.clear()
    forms = _RUN_FORMS[run] = run_words, run_stems, run
    return forms


@functools.lru_cache(maxsize=_WORD_CACHE)
def stem(token: str) -> str:
    """A light plural stemmer: enough that 'votes' meets 'vote' and 'policies' 'policy'; and an
    adverb of an adjective in -al is that adjective ('internationally' meets 'international',
    'officially' 'official', 'illegally' 'illegal')."""
    if len(token) <= 3 or not token.isascii() or not token.isalpha():
        return token
    if token.endswith("ally") and len(token) >= 7:
        return token[:-2]
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith(("sses", "xes", "ches", "shes")):
        return token[:-2]
    if token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def word_forms(term: str) -> set[str]:
    """A word and what it may be with an ending dropped: "mandated" and "mandate" meet."""
    forms = {term}
    for suffix in ("ing", "ed", "d", "s", "e"):
        if term.endswith(suffix) and len(term) - len(suffix) >= 4:
            forms.add(term[: -len(suffix)])
    return forms


def phrase_tokens(text: str) -> list[str]:
    """Tokens of a curated phrase, with `{slot}` markers kept as slot tokens."""
    return [stem(t) for t in tokenize(_SLOT().sub(lambda m: f" {slot_token(m.group(1))} ", text))]


class SynonymMap:
    """Maps variant phrases (one or more tokens) to a canonical phrase, longest first."""

    def __init__(self, variants: Mapping[str, str]) -> None:
        self._map: dict[tuple[str, ...], tuple[str, ...]] = {}
        for variant, canonical in variants.items():
            key = tuple(stem(t) for t in tokenize(variant))
            value = tuple(stem(t) for t in tokenize(canonical))
            if key and key != value:
                self._map[key] = value
        # The lengths of the variants each word starts, longest first: most words start none.
        sizes: dict[str, set[int]] = {}
        for key in self._map:
            sizes.setdefault(key[0], set()).add(len(key))
        self._sizes_by_first = {first: sorted(lengths, reverse=True) for first, lengths in sizes.items()}

    def canonical_tokens(self) -> set[str]:
        return {t for value in self._map.values() for t in value}

    def variant_tokens(self) -> set[str]:
        return {t for key in self._map for t in key}

    def apply(self, tokens: Sequence[str]) -> list[str]:
        # A tuple once, so that each span is a slice looked up as it is.
        words, count = tuple(tokens), len(tokens)
        sizes_by_first, variants = self._sizes_by_first, self._map
        out: list[str] = []
        i = 0
        while i < count:
            for size in sizes_by_first.get(words[i], ()):
                if size > count - i:
                    continue
                replacement = variants.get(words[i : i + size])
                if replacement is not None:
                    out.extend(replacement)
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        return out
