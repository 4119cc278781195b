"""Static word vectors: a whole-word table read with numpy alone.

`bot/data/wordvectors.npz` holds one int8 vector per English word (and a few two-word phrases
such as "set up" or "locked up"), distilled from all-MiniLM-L6-v2 by `make vectors`; see
`bot/data/WORDVECTORS.md`. Keys are folded the way `normalize.fold` folds a question: lower
case, no accents, no apostrophes. Every vector is unit length, so a dot product is a cosine.

No tokenizer and no model at run time: a word the table lacks has no vector (`None`), and
`similarity` treats it as unrelated (0.0).
"""

from __future__ import annotations

import bisect
import functools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # annotations only: numpy.typing is not imported at run time
    from numpy.typing import NDArray

    Vector = NDArray[np.float32]

FORMAT_VERSION = 1
RESOURCE = "wordvectors.npz"


def _position(words: NDArray[np.bytes_], word: str) -> int | None:
    """Where `word` is in `words`, a sorted array of distinct UTF-8 strings, or None."""
    key = word.encode("utf-8", "surrogatepass")
    if len(key) > words.itemsize:
        return None  # longer than every word (the search would compare its first bytes only)
    at = int(words.searchsorted(key))
    # An array's item drops its trailing NULs, a key keeps them: "a\0" is not "a".
    return at if at < len(words) and words[at] == key else None


# A sorted array read in place keeps every this-many-th word in memory, and a look-up reads the
# one block of words between two of them (1 KiB or so) with os.pread: see `read_in_place`.
_BLOCK = 64
_UNPLACED = (-1, -1)  # `read_in_place` not asked yet


class SortedWords:
    """A frozen set of words held as one sorted array of UTF-8 strings: a look-up is a binary
    search (about 3 us) where a frozenset of 25,000 words holds a str object each and
    a table of twice as many slots (2 MiB). Pickled into the engine cache, the array is read in
    place from the mapped file (`enginecache`). `position` is a word's place in sorted (code
    point) order."""

    __slots__ = ("_file", "_firsts", "_words")

    def __init__(self, words: Iterable[str]) -> None:
        encoded = sorted({word.encode("utf-8", "surrogatepass") for word in words})
        if any(key.endswith(b"\0") for key in encoded):
            raise ValueError("a word ends in NUL, which an array of strings cannot hold")
        self._set(np.array(encoded, dtype=np.bytes_ if encoded else "S1"))

    @classmethod
    def of_sorted(cls, words: NDArray[np.bytes_]) -> SortedWords:
        """Words already sorted and distinct, with no trailing NUL (as `__init__` makes them)."""
        made = cls.__new__(cls)
        made._set(words)
        return made

    def _set(self, words: NDArray[np.bytes_]) -> None:
        self._words = words
        self._words.flags.writeable = False
        # The first word of each block, as bytes: a block's first word sorts as its bytes do.
        self._firsts: tuple[bytes, ...] = tuple(words[::_BLOCK].tolist())
        self._file: tuple[int, int] | None = _UNPLACED

    def __getstate__(self) -> dict[str, object]:
        return {"words": self._words, "firsts": self._firsts}  # where it is read from: the process's own

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._words, self._firsts, self._file = state["words"], state["firsts"], _UNPLACED

    def read_in_place(self, region: Callable[[np.ndarray], tuple[int, int] | None]) -> None:
        """From now on, search a block of words read with `os.pread` where `region`
        (`enginecache.file_region`) places the array in a file, instead of searching the
        mapping: a binary search touches pages all over the array, and each touched page maps
        the cached pages around it, 64 KiB or a whole 2 MiB folio at a time, all of which count
        towards the process's memory (the whole array after a few thousand look-ups). Asked again,
        it does nothing."""
        if self._file is _UNPLACED:
            self._file = region(self._words) if len(self._words) else None

    def position(self, word: str) -> int | None:
        found = self._file
        if found is None or found is _UNPLACED:
            return _position(self._words, word)
        key = word.encode("utf-8", "surrogatepass")
        words = self._words
        size = words.itemsize
        if len(key) > size:
            return None
        # The block whose first word is the last at or before the key. Python's bytes and the
        # array's strings sort alike, but for a key ending in NUL, which is never found anyway.
        start = (bisect.bisect_right(self._firsts, key) - 1) * _BLOCK
        if start < 0:
            return None
        count = min(_BLOCK, len(words) - start)
        block: NDArray[np.bytes_] = np.frombuffer(os.pread(found[0], count * size, found[1] + start * size),
                                                  dtype=words.dtype)
        at = int(block.searchsorted(key))
        return start + at if at < count and block[at] == key else None

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.position(word) is not None

    def __len__(self) -> int:
        return len(self._words)

    def __iter__(self) -> Iterator[str]:
        """The words in sorted order."""
        return (key.decode("utf-8", "surrogatepass") for key in self._words.tolist())


class WordVectors:
    """An immutable table of unit word vectors, stored as int8 rows with per-row scales."""

    # Where the rows and the scales are in the engine cache's file, when this table is read in
    # place from it and `read_in_place` was told so: a descriptor of the file and the offsets of
    # both arrays. Belongs to the process, so it is never pickled.
    _file: tuple[int, int, int] | None = None

    def __init__(self, vocab: Sequence[str], vectors: NDArray[np.int8], scale: NDArray[np.float32]) -> None:
        if vectors.ndim != 2 or vectors.dtype != np.int8:
            raise ValueError(f"vectors must be a 2-d int8 array, not {vectors.dtype} {vectors.shape}")
        if len(vocab) != vectors.shape[0] or scale.shape != (vectors.shape[0],):
            raise ValueError(f"{len(vocab)} words, {vectors.shape[0]} vectors and {scale.shape[0]} scales")
        # The words as one sorted array of UTF-8 strings, the rows in their order: a look-up is a
        # binary search (half a microsecond, a few thousand a pass over the labelled questions,
        # as the semantic index keeps each word's row) where a dict of 33,000 str and int
        # objects held 3.7 MB; an array is kept in the engine cache's mapped file instead.
        encoded = np.array([word.encode("utf-8", "surrogatepass") for word in vocab], dtype=np.bytes_)
        order = np.argsort(encoded, kind="stable")
        words = encoded[order]
        if len(words) > 1 and bool((words[1:] == words[:-1]).any()):
            raise ValueError("the vocabulary repeats a word")
        self._words = SortedWords.of_sorted(words)
        self._vectors = vectors[order]
        self._vectors.flags.writeable = False
        self._scale = scale.astype(np.float32, copy=False)[order]
        self._scale.flags.writeable = False

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        state.pop("_file", None)
        return state

    def read_in_place(self, region: Callable[[np.ndarray], tuple[int, int] | None]) -> None:
        """Read rows with `os.pread` from now on where `region` (`enginecache.file_region`) places
        the table's arrays in a file, instead of through the mapping. A process reads the rows
        of the words it meets alone (1,444 of the 33,016 for the mixed questions), and touching
        a mapped row maps the cached pages around it too, 64 KiB or a whole 2 MiB folio at a
        time, all of which count towards the process's memory (the whole 3 MiB table for the
        mixed questions). The same values: the same int8 rows and float32 scales."""
        vectors, scales = region(self._vectors), region(self._scale)
        if vectors is not None and scales is not None and vectors[0] == scales[0]:
            self._file = (vectors[0], vectors[1], scales[1])
        self._words.read_in_place(region)

    def rows_and_scales(self, rows: Sequence[int]) -> tuple[NDArray[np.int8], NDArray[np.float32]]:
        """The int8 rows and their scales, in the order given."""
        found = self._file
        if found is None:
            index = np.array(rows, dtype=np.intp)
            return self._vectors.take(index, axis=0), self._scale.take(index)
        descriptor, vectors_at, scales_at = found
        dims, pread = int(self._vectors.shape[1]), os.pread
        ints = np.frombuffer(b"".join([pread(descriptor, dims, vectors_at + row * dims) for row in rows]),
                             dtype=np.int8).reshape(len(rows), dims)
        scales = np.frombuffer(b"".join([pread(descriptor, 4, scales_at + row * 4) for row in rows]), dtype=np.float32)
        return ints, scales

    @classmethod
    def from_file(cls, path: str | Path) -> WordVectors:
        with np.load(path, allow_pickle=False) as data:
            version, dims = (int(x) for x in data["format"])
            if version != FORMAT_VERSION:
                raise ValueError(f"{path}: word-vector format {version}, this code reads {FORMAT_VERSION}")
            vocab: NDArray[np.str_] = data["vocab"]
            vectors: NDArray[np.int8] = data["vectors"]
            scale: NDArray[np.float32] = data["scale"]
        if vectors.shape[1] != dims:
            raise ValueError(f"{path}: vectors have {vectors.shape[1]} dimensions, the header says {dims}")
        return cls(vocab.tolist(), vectors, scale)

    @property
    def dims(self) -> int:
        return int(self._vectors.shape[1])

    @property
    def words(self) -> tuple[str, ...]:
        """Every word, in row order (made on each call: a build reads it, questions never do)."""
        return tuple(self._words)

    def __len__(self) -> int:
        return len(self._words)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.index(word) is not None

    def index(self, word: str) -> int | None:
        """Row of `word`, trying it as given and then folded ("Outlawed " -> "outlawed")."""
        found = self._row(word)
        if found is None:
            found = self._row(" ".join(word.casefold().split()))
        return found

    def _row(self, word: str) -> int | None:
        return self._words.position(word)

    def vector(self, word: str) -> Vector | None:
        """The unit vector of `word` (a fresh float32 array), or None if the table lacks it."""
        i = self.index(word)
        if i is None:
            return None
        ints, scales = self.rows_and_scales([i])
        out: Vector = ints[0].astype(np.float32)
        out *= scales[0]
        return out

    def similarity(self, a: str, b: str) -> float:
        """Cosine of two words' vectors, in [-1, 1]; 0.0 when either word is not in the table."""
        i, j = self.index(a), self.index(b)
        if i is None or j is None:
            return 0.0
        if i == j:
            return 1.0
        ints, scales = self.rows_and_scales([i, j])
        dot = int(np.dot(ints[0].astype(np.int32), ints[1].astype(np.int32)))
        return min(1.0, max(-1.0, dot * float(scales[0]) * float(scales[1])))

    def matrix(self, words: Sequence[str]) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
        """Vectors of `words` as rows (len(words) x dims) and which rows were found.

        A word the table lacks gets a row of zeros, so its dot product with anything is 0.
        """
        rows = [self.index(word) for word in words]
        found = np.array([r is not None for r in rows], dtype=np.bool_)
        index = np.array([r if r is not None else 0 for r in rows], dtype=np.intp)
        out = self._vectors[index].astype(np.float32) * self._scale[index, None]
        out[~found] = 0.0
        return out, found

    def found(self, words: Sequence[str]) -> tuple[tuple[str, ...], NDArray[np.float32]]:
        """The words the table has, and their vectors (one row each): `matrix` without the rows
        of zeros, computed for the found rows alone (the same values)."""
        hits = [(word, row) for word in words if (row := self.index(word)) is not None]
        return tuple(word for word, _ in hits), self.at([row for _, row in hits])

    def at(self, rows: Sequence[int]) -> NDArray[np.float32]:
        """The vectors of rows that `index` gave, one row each: each value the same whoever
        else is asked with it (a product of one int8 and one float32)."""
        # int8 times float32 is a float32 product of the int8 values: no separate conversion,
        # and `take` rather than fancy indexing, each a call fewer or cheaper.
        ints, scales = self.rows_and_scales(rows)
        vectors: NDArray[np.float32] = ints * scales[:, None]
        return vectors

    def mean_vector(self, words: Iterable[str]) -> Vector | None:
        """The unit-length mean of the known words' vectors (None if none is known)."""
        known = [w for w in words if self.index(w) is not None]
        if not known:
            return None
        total: Vector = self.matrix(known)[0].sum(axis=0)
        norm = float(np.linalg.norm(total))
        if norm == 0.0:
            return None
        total /= np.float32(norm)
        return total

    def most_similar(self, word: str, candidates: Sequence[str], k: int = 5) -> list[tuple[str, float]]:
        """Up to `k` of `candidates` nearest `word`, best first, as (candidate, cosine).

        Candidates the table lacks, and `word` itself, are left out; ties keep candidate order.
        """
        target = self.vector(word)
        if target is None or k <= 0 or not candidates:
            return []
        rows, found = self.matrix(candidates)
        scores = rows @ target
        me = self.index(word)
        keep = [i for i in range(len(candidates)) if found[i] and self.index(candidates[i]) != me]
        keep.sort(key=lambda i: -float(scores[i]))
        return [(candidates[i], float(scores[i])) for i in keep[:k]]


@functools.cache
def load() -> WordVectors:
    """The table shipped in the `bot.data` package, loaded once per process."""
    from importlib import resources  # brings in zipfile and tempfile: only a build reads the table

    with resources.as_file(resources.files("bot.data").joinpath(RESOURCE)) as path:
        return WordVectors.from_file(path)


def vector(word: str) -> Vector | None:
    return load().vector(word)


def similarity(a: str, b: str) -> float:
    return load().similarity(a, b)


def matrix(words: Sequence[str]) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    return load().matrix(words)


def most_similar(word: str, candidates: Sequence[str], k: int = 5) -> list[tuple[str, float]]:
    return load().most_similar(word, candidates, k)
