"""A word-level intent classifier: which intent (or none) a question's words point to.

Word overlap weighs a word by how rare it is; this classifier learns how much each word and
pair of words says about each intent from every phrasing and labelled question (a softmax
regression over sparse features, fitted by `cnrp-bot fit` and stored in
knowledge/classifier.npz). Its probability for an intent is one feature of the scoring model;
"none" is a class of its own, learnt from out-of-scope questions.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.core import enginecache
from bot.core.config import FEATURE_ROW_CACHE_SIZE
from bot.core.records import record
from bot.core.wordvectors import SortedWords

if TYPE_CHECKING:  # annotations only: numpy.typing is not imported at run time
    from numpy.typing import NDArray

NONE = "(none)"  # the class of questions no intent answers
FORMAT_VERSION = 1
# Features seen fewer times than this in the training data are too rare to learn from.
MIN_COUNT = 2
L2 = 1e-4  # per example: keeps weights of words seen with one intent only from growing unbounded
ITERATIONS = 150
# Weights smaller than this are stored as zero: together they move a probability by less than
# a rounding error (a question has a few dozen features), and zeros compress, which keeps the
# shipped file (some 70% of its weights) well inside the knowledge folder's size limits.
PRUNE_BELOW = 0.005
LEARNING_RATE = 0.1
NO_ROW = -1  # kept for a word or pair the vocabulary lacks: None is what a memo lacks
_Words = str | tuple[str, str]  # what a feature row is kept under: a word or a pair of words


def features(terms: Sequence[str], filler: frozenset[str], background: frozenset[str] = frozenset(),
             asked: Iterable[str] = (), kinds: Iterable[str] = ()) -> list[str]:
    """Words, pairs of neighbouring words, what the question asks for, and the kinds of rows it
    names. Words of the sentences around the question are left out."""
    words = [t for t in terms if t not in background] if background else terms
    found = [f"w:{t}" for t in words]
    found += [f"b:{a} {b}" for a, b in itertools.pairwise(words) if a not in filler or b not in filler]
    found += [f"a:{kind}" for kind in asked]
    found += [f"e:{kind}" for kind in kinds]
    return list(dict.fromkeys(found))


class QuestionFeatures:
    """`features(terms, filler, background, asked, kinds)` kept as what they are made of: a
    classifier finds their rows from the words themselves (see `IntentClassifier.shares`),
    without spelling out a string for each feature (each new string costs its allocation and its
    hash, a dozen a question); `spelt` gives the features themselves (training reads those)."""

    __slots__ = ("asked", "background", "filler", "kinds", "terms")

    def __init__(self, terms: Sequence[str], filler: frozenset[str], background: frozenset[str],
                 asked: Sequence[str], kinds: Sequence[str]) -> None:
        self.terms = terms
        self.filler = filler
        self.background = background
        self.asked = asked
        self.kinds = kinds

    def spelt(self) -> list[str]:
        return features(self.terms, self.filler, self.background, self.asked, self.kinds)


class FeatureRows(Mapping[str, int]):
    """Each feature's row of the weights, as the features' `SortedWords` and, unless each row is
    its feature's place in sorted order (as `fit` and the shipped file number them), the rows in
    that order: 0.3 MB of the engine cache's mapped file, looked up for a feature the classifier's
    memo lacks, where a dict of 7,900 features was 0.9 MB of a running bot's memory."""

    __slots__ = ("_count", "_rows", "_words")

    def __init__(self, rows: Mapping[str, int]) -> None:
        self._words = SortedWords(rows)
        ordered = np.array([rows[feature] for feature in self._words], dtype=np.int64)
        self._count = len(ordered)
        self._rows: NDArray[np.int64] | None = None
        if not np.array_equal(ordered, np.arange(len(ordered))):
            self._rows = ordered
            self._rows.flags.writeable = False

    def read_in_place(self, region: Callable[[np.ndarray], tuple[int, int] | None]) -> None:
        """Search the features' array with `os.pread` from now on (`SortedWords.read_in_place`):
        a few thousand questions' binary searches would map all of it (0.24 MiB)."""
        self._words.read_in_place(region)

    def get(self, feature: str, default: int | None = None) -> int | None:  # type: ignore[override]
        at = self._words.position(feature) if type(feature) is str else None
        if at is None:
            return default
        return at if self._rows is None else int(self._rows[at])

    def __getitem__(self, feature: str) -> int:
        row = self.get(feature)
        if row is None:
            raise KeyError(feature)
        return row

    def __contains__(self, feature: object) -> bool:
        return feature in self._words

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[str]:
        return iter(self._words)


@record
class IntentClassifier:
    """A linear model from a question's words to each intent's logit."""

    vocabulary: Mapping[str, int]
    classes: tuple[str, ...]
    # The weights (features × classes) with the bias as one more row, each weight as its place
    # in `values`, the distinct float32 weights in order: one gather of a question's rows, one
    # of their values and one reduction make its logits. The shipped weights are float16
    # values (`save`), 13,540 distinct ones: two bytes a weight instead of four (1.6 MiB less
    # of the engine file that questions read, and so of a running bot's memory), the same
    # float32 numbers in the same sums.
    codes: NDArray[np.unsignedinteger[Any]]
    values: NDArray[np.float32]

    @classmethod
    def of(cls, vocabulary: Mapping[str, int], classes: tuple[str, ...], weights: NDArray[np.float32],
           bias: NDArray[np.float32]) -> IntentClassifier:
        # Told apart by their bits, as -0.0 is from 0.0.
        stacked = np.vstack([weights, bias]).astype(np.float32)
        bits, codes = np.unique(stacked.view(np.uint32), return_inverse=True)
        # More distinct values than two bytes can number (a fresh fit's, never the shipped
        # file's) take four.
        kind: type[np.unsignedinteger[Any]] = np.uint16 if len(bits) <= 1 << 16 else np.uint32
        places: NDArray[np.unsignedinteger[Any]] = np.asarray(codes, dtype=kind).reshape(stacked.shape)
        return cls(FeatureRows(vocabulary), classes, places, bits.view(np.float32))

    @property
    def weights_and_bias(self) -> NDArray[np.float32]:
        """The weights with the bias as the last row, as float32 (made on each call)."""
        found: NDArray[np.float32] = self.values[self.codes]
        return found

    @property
    def weights(self) -> NDArray[np.float32]:
        return self.weights_and_bias[:-1]

    @property
    def bias(self) -> NDArray[np.float32]:
        row: NDArray[np.float32] = self.weights_and_bias[-1]  # an integer index types as Any
        return row

    def probabilities(self, found: Sequence[str]) -> dict[str, float]:
        # Filling a copy of a dict of every class already sized costs less than growing one.
        out = self._every_class.copy()
        out.update(zip(self.classes, self.shares(found).tolist(), strict=True))
        return out

    def shares(self, found: Sequence[str] | QuestionFeatures) -> NDArray[np.float32]:
        """`probabilities` as an array in the order of `classes`, without a dict of every class:
        for a caller that reads only a few of them."""
        vocabulary = self.vocabulary
        if isinstance(found, QuestionFeatures):
            rows = self._rows_of(found)
        else:
            rows = [row for feature in found if (row := vocabulary.get(feature)) is not None]
        rows.append(len(vocabulary))  # the bias, added last: the same float32 sums as before
        # The ufuncs' own reductions: what .sum() and .max() call, minus their Python wrappers.
        # In place: on a hundred classes each step costs the call, not the arithmetic.
        # Every code is a place in `values`, so "wrap" never wraps: it only skips the bounds
        # check (some 4,500 of the 23,000 instructions the values' gather adds to a question).
        logits: NDArray[np.float32] = np.add.reduce(self.values.take(self.codes.take(rows, axis=0), mode="wrap"),
                                                    axis=0)
        logits -= np.maximum.reduce(logits, axis=None)
        np.exp(logits, out=logits)
        logits /= np.add.reduce(logits, axis=None)
        return logits

    def _rows_of(self, found: QuestionFeatures) -> list[int]:
        """The rows of `found.spelt()`'s features in the vocabulary, in their order, each once:
        the same list, read from the words. The vocabulary gives each feature its own row, so a
        row met again is a feature met again, and keeping each row's first place keeps each
        feature's."""
        terms, background, filler = found.terms, found.background, found.filler
        words = [t for t in terms if t not in background] if background else terms
        # A word's row and a pair's are properties of the words, kept for those met: the memo's
        # keys are the very strings the reader hands out again question after question, so a
        # look-up matches its key by identity; looking a feature up in the vocabulary costs a
        # string spelt for the call and a comparison with a key out of the cache.
        memo = self._row_of_words
        # Rows as the keys of a dict: a row met again keeps its first place.
        rows: dict[int, None] = {}
        for word in words:
            row = memo.get(word)
            if row is None:
                row = self._remember(memo, word, f"w:{word}")
            if row != NO_ROW:
                rows[row] = None
        for pair in itertools.pairwise(words):
            row = memo.get(pair)
            if row is None:
                row = self._remember(memo, pair, f"b:{pair[0]} {pair[1]}")
            # Only pairs the vocabulary has are tested for filler: the same pairs kept.
            if row != NO_ROW and (pair[0] not in filler or pair[1] not in filler):
                rows[row] = None
        # The kinds asked for, then the kinds of rows named, as `features` lists them.
        for kinds, kind_memo, prefix in ((found.asked, self._row_of_asked, "a:"),
                                         (found.kinds, self._row_of_named, "e:")):
            for kind in kinds:
                if (row := kind_memo.get(kind)) is None:
                    row = self._remember(kind_memo, kind, prefix + kind)
                if row != NO_ROW:
                    rows[row] = None
        return list(rows)

    def _remember(self, memo: dict[_Words, int], words: _Words, feature: str) -> int:
        if len(memo) >= FEATURE_ROW_CACHE_SIZE:
            memo.clear()  # a bound on what a stream of new words can make it hold
        vocabulary = self.vocabulary
        if isinstance(vocabulary, FeatureRows):
            # Searched a block at a time with pread where the engine cache maps it (asked once).
            vocabulary.read_in_place(enginecache.file_region)
        row = memo[words] = vocabulary.get(feature, NO_ROW)
        return row

    @functools.cached_property
    def _row_of_words(self) -> dict[_Words, int]:
        """`_rows_of`'s memo: a word's or a pair's row, or NO_ROW."""
        return {}

    # The same for the kinds a question asks for and the kinds of rows it names (a few dozen
    # kinds in all): small tables of their own, where the words' would put them out of the cache.
    @functools.cached_property
    def _row_of_asked(self) -> dict[_Words, int]:
        return {}

    @functools.cached_property
    def _row_of_named(self) -> dict[_Words, int]:
        return {}

    @functools.cached_property
    def class_index(self) -> dict[str, int]:
        """Each class's place in `classes` (and in the array `shares` returns)."""
        return {name: i for i, name in enumerate(self.classes)}

    @functools.cached_property
    def _every_class(self) -> dict[str, float]:
        return dict.fromkeys(self.classes, 0.0)

    def save(self, path: Path) -> None:
        names = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        with path.open("wb") as handle:
            np.savez_compressed(handle, format=np.array([FORMAT_VERSION]), vocabulary=np.array(names),
                                classes=np.array(self.classes),
                                weights=np.where(np.abs(self.weights) < PRUNE_BELOW, 0.0, self.weights
                                                 ).astype(np.float16),
                                bias=self.bias.astype(np.float32))

    @classmethod
    def load(cls, path: Path) -> IntentClassifier:
        with np.load(path, allow_pickle=False) as data:
            if int(data["format"][0]) != FORMAT_VERSION:
                raise ValueError(f"format {int(data['format'][0])}, this code reads {FORMAT_VERSION}")
            names = [str(n) for n in data["vocabulary"]]
            classes = tuple(str(c) for c in data["classes"])
            weights = data["weights"].astype(np.float32)
            bias = data["bias"].astype(np.float32)
        if weights.shape != (len(names), len(classes)) or bias.shape != (len(classes),):
            raise ValueError("the weights do not fit the vocabulary and classes")
        return cls.of({name: i for i, name in enumerate(names)}, classes, weights, bias)


def fit(examples: Sequence[tuple[Sequence[str], str]], classes: Sequence[str],
        iterations: int = ITERATIONS) -> IntentClassifier:
    """Softmax regression by full-batch Adam on sparse binary features; deterministic."""
    counts: dict[str, int] = {}
    for found, _ in examples:
        for feature in found:
            counts[feature] = counts.get(feature, 0) + 1
    names = sorted(f for f, n in counts.items() if n >= MIN_COUNT)
    vocabulary = {name: i for i, name in enumerate(names)}
    class_index = {name: i for i, name in enumerate(classes)}
    rows: list[int] = []
    cols: list[int] = []
    labels = np.array([class_index[label] for _, label in examples])
    for row, (found, _) in enumerate(examples):
        for feature in found:
            column = vocabulary.get(feature)
            if column is not None:
                rows.append(row)
                cols.append(column)
    n, f, c = len(examples), len(names), len(classes)
    row_idx, col_idx = np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)
    by_row = np.argsort(row_idx, kind="stable")
    by_col = np.argsort(col_idx, kind="stable")
    row_sorted, col_of_row_sorted = row_idx[by_row], col_idx[by_row]
    col_sorted, row_of_col_sorted = col_idx[by_col], row_idx[by_col]
    row_starts = np.searchsorted(row_sorted, np.arange(n))
    col_starts = np.searchsorted(col_sorted, np.arange(f))
    has_row = np.bincount(row_idx, minlength=n) > 0
    has_col = np.bincount(col_idx, minlength=f) > 0
    target = np.zeros((n, c), dtype=np.float32)
    target[np.arange(n), labels] = 1.0
    weights = np.zeros((f, c), dtype=np.float32)
    bias = np.zeros(c, dtype=np.float32)
    moments = [np.zeros_like(weights), np.zeros_like(weights), np.zeros_like(bias), np.zeros_like(bias)]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    # Declared, not inferred from the pairs below: numpy's stubs for Python 3.12+ type the
    # in-place update's result as float64, which the float32 arrays' exact types refuse.
    param: NDArray[np.floating]
    for step in range(1, iterations + 1):
        logits = np.tile(bias, (n, 1))
        if len(row_sorted):
            summed = np.add.reduceat(weights[col_of_row_sorted], row_starts[has_row], axis=0)
            logits[has_row] += summed
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        error = (probs - target) / n
        grad_w = np.zeros_like(weights)
        if len(col_sorted):
            grad_w[has_col] = np.add.reduceat(error[row_of_col_sorted], col_starts[has_col], axis=0)
        grad_w += L2 * weights
        grad_b = error.sum(axis=0)
        for param, grad, m, v in ((weights, grad_w, moments[0], moments[1]), (bias, grad_b, moments[2], moments[3])):
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            param -= LEARNING_RATE * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + eps)
    return IntentClassifier.of(vocabulary, tuple(classes), weights, bias)
