"""Word-vector evidence: how near the question's unmatched words come to an intent's words.

Word overlap cannot know that "outlawed" is near "banned" or "pensioners" near "pension"; the
static word vectors (`wordvectors`) can. For each intent the vectors of its words are kept as
one matrix; a question word no intent word matches exactly counts, towards the `semantic`
feature, by its best cosine to that intent's words, when the cosine is high enough to mean
something. Curated synonyms stay for the domain's own words.
"""

from __future__ import annotations

import functools
import struct
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.core import enginecache
from bot.core.config import NEARNESS_CACHE_SIZE, WORD_CACHE_SIZE
from bot.core.index import IntentProfile
from bot.core.language import Lexicon
from bot.core.normalize import SLOT_PREFIX
from bot.core.wordvectors import WordVectors

if TYPE_CHECKING:  # annotations only: numpy.typing is not imported at run time
    from numpy.typing import NDArray

_F32 = struct.Struct("<f")  # a Python float rounded to float32 and back: pack, then unpack


@functools.lru_cache(maxsize=64)  # a question's words are a few dozen at most
def _float32s(count: int) -> struct.Struct:
    """The packing of `count` float32 values, little-endian."""
    return struct.Struct(f"<{count}f")
# The indexes whose table was told where it is read in place (`WordVectors.read_in_place`), on
# the first word they look up: it belongs to the process, not in the pickle.
_PLACED: weakref.WeakSet[SemanticIndex] = weakref.WeakSet()


class SemanticIndex:
    def __init__(self, profiles: Sequence[IntentProfile], vectors: WordVectors, lexicon: Lexicon,
                 floor: float) -> None:
        self.vectors = vectors
        # The floor and the span above it as float32 values (held by Python floats), as the
        # rescaling of the products' float32 maxima reads them (see `nearness`).
        self._floor = float(np.float32(floor))
        self._span = float(np.float32(1.0 - floor))
        # Each word vector the intents use, once (a row each), and each intent's words as their
        # rows in it: `nearness` gathers an intent's matrix when a product needs it. The 5,825
        # columns of the intents' own matrices held 2,098 distinct words' vectors (2.2 MiB of
        # the engine file, all of it read by a few thousand questions), and the product is
        # asked for only when its value is not kept (`nearness_of`). Kept as the word-vector
        # table keeps them, int8 rows and a float32 scale each (0.2 MiB, where their float32
        # products took 0.8), and multiplied out as an intent's matrix is gathered.
        word_rows: dict[str, int] = {}
        table: list[int] = []  # each distinct word's row in `vectors`
        self._intent_rows: list[NDArray[np.intp]] = []
        # Each word's `query` row: a matrix of one row, or `_no_vector` for a word without one.
        self._rows: dict[str, NDArray[np.float32]] = {}
        self._no_vector = np.zeros((0, vectors.dims), dtype=np.float32)
        # Each word's row in the table (-1 for none), as `has_vector` found it.
        self._table_rows: dict[str, int] = {}
        # `nearness_of`'s values, one table an intent (by its position): a word's value kept
        # under the word itself (over a third of the entries), as a float, and several words'
        # values under the tuple of them, as a tuple. One flat table of (position, *words)
        # keys held a key tuple and a value tuple a word besides (0.6 MiB of the 16,000 entries
        # the labelled questions leave).
        self._near: list[dict[str | tuple[str, ...], Any]] = [{} for _ in profiles]
        self._nothing_near: dict[int, tuple[float, ...]] = {}  # a row of zeros of each length
        # The words of the last several-word look-up, as the key its table keeps: the candidates
        # of a question that leave the same words uncovered keep their values under one tuple.
        self._last_words: tuple[str, ...] = ()
        for profile in profiles:
            words = sorted(w for w in profile.bag | profile.said
                           if w not in lexicon.filler and not w.startswith(SLOT_PREFIX) and w.isalpha())
            rows: list[int] = []
            for word in words:
                at = vectors.index(word)
                if at is not None:
                    rows.append(word_rows.setdefault(word, len(table)))
                    if rows[-1] == len(table):
                        table.append(at)  # a word's vector is the same in every intent's matrix
            self._intent_rows.append(np.array(rows, dtype=np.intp))
        self._table, self._scales = vectors.rows_and_scales(table)

    def intent_words(self, position: int) -> NDArray[np.float32]:
        """The vectors of an intent's words that have them, as columns (dims x words), in the
        words' sorted order: the matrix `nearness` multiplies by."""
        # Gathered as rows (C order) and transposed: the layout, and so the BLAS call, of the
        # matrix the index once kept for each intent. Each value is its int8 times its row's
        # scale, in float32, as `WordVectors.matrix` makes it.
        rows = self._intent_rows[position]
        products: NDArray[np.float32] = self._table.take(rows, axis=0) * self._scales.take(rows)[:, None]
        return products.T

    def query(self, words: Sequence[str]) -> dict[str, NDArray[np.float32]]:
        """The words that have vectors, in the order given, each with its vector as a matrix of
        one row (the values `WordVectors.found` gives it among any other words)."""
        # A word's row is a property of the word, kept for the words asked most: most questions
        # cost a dictionary look-up a word, and the rest the one gather they cost before.
        # A plain loop: a comprehension is a function made and called each time (Python 3.11).
        # A word without a vector is told by its row's identity, not its length: the row's shape
        # is another object to read.
        rows, no_vector = self._rows, self._no_vector
        known: dict[str, NDArray[np.float32]] = {}
        try:
            for word in words:
                row = rows[word]
                if row is not no_vector:
                    known[word] = row
            return known
        except KeyError:
            pass  # a word not seen yet
        # Only the words the memo lacks are gathered, at once, each by its row in the table as
        # `has_vector` found it when the word was read (or now). A word's vector is a product of
        # its own int8 row and scale (`WordVectors.at`), the same values whoever it is gathered
        # with; gathering the question's other words again kept a second copy of their rows
        # alive in the new words' array (1.3 MiB instead of 0.6 for the mixed questions).
        self._place()
        if len(rows) >= WORD_CACHE_SIZE:
            rows.clear()  # a bound on what a stream of new words can make it hold
        table_rows, index = self._table_rows, self.vectors.index
        missing: dict[str, int] = {}
        for word in words:
            if word in rows or word in missing:
                continue
            table_row = table_rows.get(word)
            if table_row is None:
                found_at = index(word)
                table_row = -1 if found_at is None else found_at
            missing[word] = table_row
        new = [word for word, table_row in missing.items() if table_row >= 0]
        if new:
            vectors = self.vectors.at([missing[word] for word in new])
            vectors.flags.writeable = False  # its rows are shared by every question asking their words
            rows.update({word: vectors[i:i + 1] for i, word in enumerate(new)})
        rows.update({word: no_vector for word, table_row in missing.items() if table_row < 0})
        known = {}
        for word in words:
            row = rows[word]
            if row is not no_vector:
                known[word] = row
        return known

    def has_vector(self, word: str) -> bool:
        """Whether `word` has a vector (`word in self.vectors`), its row in the table kept: a new
        word's reading asks, and the question's `query` then gathers the rows without looking
        the word up a second time. Only the row's number: its vector is read from the table
        only when a question needs it (reading it maps in the table's pages around it)."""
        kept = self._rows.get(word)
        if kept is not None:
            return kept is not self._no_vector
        row = self._table_rows.get(word)
        if row is None:
            self._place()
            found_at = self.vectors.index(word)
            row = -1 if found_at is None else found_at
            if len(self._table_rows) >= WORD_CACHE_SIZE:
                self._table_rows.clear()  # a bound on what a stream of new words can make it hold
            self._table_rows[word] = row
        return row >= 0

    def _place(self) -> None:
        """Tells the table, once, where it is read in place (`WordVectors.read_in_place`)."""
        if self not in _PLACED:
            self.vectors.read_in_place(enginecache.file_region)
            _PLACED.add(self)

    def nearness(self, position: int, query: NDArray[np.float32]) -> list[float]:
        """For each query row, its best cosine to the intent's words, rescaled so that the
        floor counts 0 and identity 1; nothing below the floor counts. As Python floats (the
        float32 values): the feature row's arithmetic reads them one at a time."""
        if not len(query) or not len(self._intent_rows[position]):
            return [0.0] * len(query)
        words = self.intent_words(position)
        # ndarray.dot: the same product as `@` (the same BLAS call) for less dispatch. Each row's
        # maximum is read as a Python float (the float32 value) and rescaled in Python, each step
        # rounded to float32: the values float32 arrays' arithmetic gives (a float32 subtraction
        # or division done in float64 and rounded to float32 is the float32 operation's result,
        # as 53 >= 2 * 24 + 2 bits), for two numpy calls a product where that took five (most
        # products are new ones for a new question's words). Nothing at or below the floor counts.
        floor, span = self._floor, self._span
        pack, unpack = _F32.pack, _F32.unpack
        near: list[float] = np.maximum.reduce(query.dot(words), axis=1).tolist()
        for i, best in enumerate(near):
            if best > floor:
                value = unpack(pack(unpack(pack(best - floor))[0] / span))[0]
                near[i] = value if value < 1.0 else 1.0
            else:
                near[i] = 0.0
        return near

    def nearness_of(self, position: int, words: Sequence[str],
                    vectors_of: Callable[[Sequence[str]], NDArray[np.float32]]) -> tuple[float, ...]:
        """`nearness` of the words' vectors (`vectors_of(words)`, gathered only when needed): a
        property of the intent and the words, kept for the pairs met most (the same word left
        uncovered by the same intent, question after question)."""
        kept = self._near[position]
        # Over a third of the kept values are 0.0 (a word below the floor for that intent):
        # `nearness` gives one 0.0 for all of them (its constant), and a row of nothing else
        # is kept as one tuple for each length, instead of a float or a tuple each (0.45 MB
        # of a full memo). A value above the floor is never 0.0.
        if len(words) == 1:
            word = words[0]
            value: Any = kept.get(word)  # a float, or () for a word without a vector (no value)
            if value is None:
                near = self.nearness(position, vectors_of(words))
                value = near[0] if near else ()
                self._keep(kept, word, value)
            return () if type(value) is tuple else (value,)
        key = tuple(words)
        # Read once: worker threads answer at the same time, and a second read could see another
        # thread's words, under which this look-up would then keep its values.
        last = self._last_words
        if key == last:
            key = last
        else:
            self._last_words = key
        known: tuple[float, ...] | bytes | None = kept.get(key)
        if known is None:
            near = self.nearness(position, vectors_of(words))
            if any(near):
                # Kept as their float32 values packed (4 bytes a value, which the Python floats
                # hold exactly), where a tuple of floats took 32 bytes a value: 0.5 MiB of the
                # labelled questions' table. Unpacked when asked again.
                self._keep(kept, key, _float32s(len(near)).pack(*near))
                return tuple(near)
            known = self._nothing_near.setdefault(len(near), tuple(near))
            self._keep(kept, key, known)
            return known
        if isinstance(known, tuple):
            return known
        return _float32s(len(words)).unpack(known)

    def _keep(self, kept: dict[str | tuple[str, ...], Any], key: str | tuple[str, ...],
              value: float | tuple[float, ...] | bytes) -> None:
        # Each intent's table holds its share of NEARNESS_CACHE_SIZE: a bound on what a stream
        # of new words can make them hold, which a new word for one intent empties alone.
        if len(kept) >= max(1, NEARNESS_CACHE_SIZE // len(self._near)):
            kept.clear()
        kept[key] = value
