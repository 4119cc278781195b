"""Boosted decision trees over the scoring features: the interactions a weighted sum misses.

A logistic regression adds each feature's evidence on its own; whether a classifier vote of
0.6 means much depends on how far the words agree, and a wrong near-miss and a right lay
paraphrase can share every single feature's value while differing in how they combine. This
module fits shallow regression trees to the logistic model's residuals (gradient boosting with
the logistic loss, Newton leaf values), numpy only, deterministic, and adds their output to the
linear logit. Each tree is complete to a fixed depth and stored in heap order, so a batch of
candidates walks every tree at once in `depth` array steps; a node that found no useful split
sends everything left and its children keep its value.

Scoring a question's handful of candidates is a few microseconds of numpy calls per step, so
`logits` does not walk: it makes each distinct comparison once, packs a tree's comparisons into
one number per row and looks its leaf up in a table (`_Lookup`). The walk remains for
`contributions` and for trees too deep for a table.

`contributions` splits the trees' output among the features that decided each split (each
step down a path moves the value by the child's minus the parent's, credited to the split's
feature), so a score can still be read feature by feature.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.core.records import record

if TYPE_CHECKING:  # annotations only: numpy.typing is not imported at run time
    from numpy.typing import NDArray

FORMAT_VERSION = 1
# A tree of this depth has 15 comparisons: with a padding bit that is never set they index a
# table of 2**15 leaves. A deeper tree would need 2**31, so those are walked; shallower ones are
# padded.
LOOKUP_DEPTH = 4
SLOTS = 16  # a tree's comparisons in a table's code: two bytes
# Rows are looked up in blocks of up to this many words of eight rows (see `_Lookup`), which
# bounds the memory a large batch (training's) takes and the thresholds kept per block size.
BLOCK_WORDS = 4
# A slot's bit within its byte of a code: a comparison's 0/1 for a row, times 2**slot, is that bit.
_SLOT_BITS = np.uint8(1) << np.arange(8, dtype=np.uint8)
# For a block of `count` rows (1 … 8 × BLOCK_WORDS), the row each place of its whole words of
# eight reads: its own, and past the last row the last row again (a padding row's codes are
# never read).
_PADDED_ROWS = tuple(np.minimum(np.arange(8 * -(-count // 8)), count - 1) for count in range(1, 8 * BLOCK_WORDS + 1))


@record
class BoostingSettings:
    """How `fit` grows the trees: their number and depth, and how far each leaf may learn."""

    trees: int = 300
    depth: int = 4
    learning_rate: float = 0.05
    bins: int = 64  # candidate thresholds per feature (quantiles of its training values)
    min_leaf: int = 20  # rows a side of a split must keep, so no leaf learns from a handful
    l2: float = 1.0  # shrinks leaf values towards zero where little evidence falls


@record
class _Lookup:
    """The trees compiled for `TreeEnsemble.logits`.

    Trees share most of their comparisons (a few hundred distinct (feature, threshold) pairs
    for thousands of nodes), so each is made once per row. Rows go in words of eight: a
    comparison's results for eight rows are the eight bytes of one uint64, so gathering a
    tree's node comparisons moves one word per eight rows, and with each comparison's bytes
    weighted by its node's bit, ORing the words of eight nodes makes one byte per row holding
    those nodes as bits. A tree's bytes
    read as one number (its `code`) index the table of the leaf that path reaches.
    """

    features: NDArray[np.intp]  # the feature of each distinct comparison
    # Its threshold, repeated for a block of 8, 16, … rows: a comparison of arrays of the same
    # shape, where broadcasting over a short last axis costs more than the comparisons.
    thresholds: tuple[NDArray[np.float64], ...]
    # Per slot of a byte, the distinct comparison it makes in each tree and byte of its code
    # (2 × trees columns; nodes, then padding), as a row of the comparisons weighted by each
    # slot's bit (slot s of comparison c is row s × comparisons + c): gathered so, the words of
    # a byte's eight slots hold disjoint bits, and one reduction over the slots ORs them into
    # every byte.
    slots: NDArray[np.intp]
    # Each slot's bit, repeated for a block of 8, 16, … rows and for every comparison: the
    # comparisons (0/1 bytes) times it, by one product of arrays of the same shape (an integer
    # vector product of the words cost three times as much).
    bits: tuple[NDArray[np.uint8], ...]
    # A tree's packed comparisons → the leaf (0 …) they lead to. The padding compares false, so
    # the codes stay below 2**15: 64 KB that stay in cache between questions, where 2**16 intp
    # took 512 KB. Leaves and offsets share one small integer type: adding them is then a plain
    # loop, where mixing types made it cast.
    leaf_of_code: NDArray[np.unsignedinteger]
    leaf_values: NDArray[np.float64]  # trees × leaves, flat
    leaf_offsets: NDArray[np.unsignedinteger]  # each tree's first leaf in `leaf_values`

    def __setstate__(self, state: dict[str, object]) -> None:
        """As read back: the two arrays `_looked_up` gathers by made this process's own. The
        engine cache hands its arrays out read-only, and numpy's `take` copies an index array
        it cannot write to at every call (some 40 k instructions a question for the slots'
        4,800 indices, 40 KB once here)."""
        self.__dict__.update(state)
        for name in ("features", "slots"):
            self.__dict__[name] = np.array(state[name])

    @classmethod
    def of(cls, features: NDArray[np.int16], thresholds: NDArray[np.float64], values: NDArray[np.float64],
           depth: int) -> _Lookup:
        trees, inner = features.shape
        # Appended: a comparison no value passes (x > inf is false, NaN too) for the padding, so
        # a padding bit is never set. It is the one a node with no split already makes.
        pairs, distinct = np.unique(np.stack([np.append(features.ravel().astype(np.float64), 0.0),
                                              np.append(thresholds.ravel(), np.inf)]),
                                    axis=1, return_inverse=True)
        slots = np.full((trees, SLOTS), distinct[-1], dtype=np.intp)
        slots[:, :inner] = distinct[:-1].reshape(trees, inner)
        # Every code's slots as bits, in the order `_looked_up` packs them: byte b, bit s is slot
        # 8b + s (reading the code's bytes in memory order makes this independent of endianness).
        codes = np.arange(2**(SLOTS - 1), dtype=np.uint16)
        bits = np.unpackbits(codes.view(np.uint8).reshape(len(codes), -1), axis=1, bitorder="little")
        node = np.zeros(len(codes), dtype=np.intp)
        every = np.arange(len(codes))
        for _ in range(depth):
            node = 2 * node + 1 + bits[every, node]
        # The smallest type every leaf's index fits in (a leaf plus its offset must not wrap).
        index_type = np.uint16 if trees * (inner + 1) <= 2**16 else np.uint32
        comparisons = pairs.shape[1]
        return cls(features=pairs[0].astype(np.intp),
                   thresholds=tuple(np.repeat(pairs[1][:, None], 8 * words, axis=1)
                                    for words in range(1, BLOCK_WORDS + 1)),
                   slots=np.ascontiguousarray(slots.reshape(2 * trees, 8).T
                                              + np.arange(8, dtype=np.intp)[:, None] * comparisons),
                   bits=tuple(np.ascontiguousarray(np.broadcast_to(_SLOT_BITS[:, None, None],
                                                                   (8, comparisons, 8 * words)))
                              for words in range(1, BLOCK_WORDS + 1)),
                   leaf_of_code=(node - inner).astype(index_type),
                   leaf_values=np.ascontiguousarray(values[:, inner:]).ravel(),
                   leaf_offsets=np.arange(trees, dtype=index_type) * (inner + 1))


@record
class TreeEnsemble:
    """Boosted trees over the features, stored as arrays: each adds its leaf's value."""

    features: NDArray[np.int16]  # trees × internal nodes: the feature each node splits on
    thresholds: NDArray[np.float64]  # trees × internal nodes: a row goes right when above
    values: NDArray[np.float64]  # trees × all nodes: each node's output (leaves and inner nodes)
    _lookup: _Lookup | None = field(init=False, repr=False, compare=False)

    @property
    def depth(self) -> int:
        # 2**depth - 1 inner nodes; integer arithmetic, as np.log2 costs a microsecond a call.
        return (int(self.features.shape[1]) + 1).bit_length() - 1

    @functools.cached_property
    def _flat(self) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.float64],
                             NDArray[np.intp], NDArray[np.intp]]:
        # Flat arrays and each tree's offset into them: one take per level for every (row,
        # tree) pair costs a fraction of indexing the two-dimensional arrays by pairs.
        trees, inner = self.features.shape
        return (self.features.astype(np.intp).ravel(), self.thresholds.ravel(), self.values.ravel(),
                np.arange(trees, dtype=np.intp) * inner, np.arange(trees, dtype=np.intp) * self.values.shape[1])

    def _paths(self, rows: NDArray[np.float64]) -> list[NDArray[np.intp]]:
        """Each level's node per (row, tree), root first."""
        features, thresholds, _, inner_offsets, _ = self._flat
        cells = np.ascontiguousarray(rows, dtype=np.float64).ravel()
        row_starts = (np.arange(rows.shape[0], dtype=np.intp) * rows.shape[1])[:, None]
        node = np.zeros((rows.shape[0], len(inner_offsets)), dtype=np.intp)
        path = [node]
        for _ in range(self.depth):
            at = inner_offsets + node
            right = cells.take(row_starts + features.take(at)) > thresholds.take(at)
            node = 2 * node + 1 + right
            path.append(node)
        return path

    def __post_init__(self) -> None:
        # Made with the trees, not by the first question: a cached engine then carries the
        # table, and a fresh process's first answer no longer pays for it (17 ms here).
        object.__setattr__(self, "_lookup", self._made_lookup())

    def _made_lookup(self) -> _Lookup | None:
        """None for trees `logits` walks: too deep for a table, or without a node."""
        if not 0 < self.depth <= LOOKUP_DEPTH:
            return None
        return _Lookup.of(self.features, self.thresholds, self.values, self.depth)

    def logits(self, rows: NDArray[np.float64]) -> NDArray[np.float64]:
        """The trees' summed output for each row of `rows` (rows × features)."""
        count = rows.shape[0]
        if not count:
            return np.zeros(0)
        lookup = self._lookup
        if lookup is None:
            _, _, values, _, all_offsets = self._flat
            walked: NDArray[np.float64] = values.take(all_offsets + self._paths(rows)[-1]).sum(axis=1)
            return walked
        block = 8 * BLOCK_WORDS
        if count <= block:
            return _looked_up(lookup, rows)
        return np.concatenate([_looked_up(lookup, rows[start:start + block]) for start in range(0, count, block)])

    def contributions(self, row: NDArray[np.float64], width: int) -> NDArray[np.float64]:
        """How much each of `width` features moved this row's output along its paths (the roots'
        values, the same for every row, are not credited to any feature)."""
        path = self._paths(row.reshape(1, -1))
        trees = np.arange(self.values.shape[0])
        out = np.zeros(width)
        for parent, child in itertools.pairwise(path):
            moved = self.values[trees, child[0]] - self.values[trees, parent[0]]
            np.add.at(out, self.features[trees, parent[0]].astype(np.intp), moved)
        return out

    def base(self) -> float:
        return float(self.values[:, 0].sum())

    def save(self, path: Path) -> None:
        with path.open("wb") as handle:
            np.savez_compressed(handle, format=np.array([FORMAT_VERSION]), features=self.features,
                                thresholds=self.thresholds, values=self.values)

    @classmethod
    def load(cls, path: Path, width: int) -> TreeEnsemble:
        with np.load(path, allow_pickle=False) as data:
            if int(data["format"][0]) != FORMAT_VERSION:
                raise ValueError(f"format {int(data['format'][0])}, this code reads {FORMAT_VERSION}")
            features = data["features"].astype(np.int16)
            thresholds = data["thresholds"].astype(np.float64)
            values = data["values"].astype(np.float64)
        inner = features.shape[1] if features.ndim == 2 else 0
        if (features.ndim != 2 or thresholds.shape != features.shape or values.ndim != 2
                or values.shape != (features.shape[0], 2 * inner + 1) or (inner + 1) & inner):
            raise ValueError("the trees' arrays do not fit together")
        if features.size and (features.min() < 0 or features.max() >= width):
            raise ValueError(f"a tree splits on a feature the model does not have ({width} features)")
        return cls(features, thresholds, values)


def _looked_up(lookup: _Lookup, rows: NDArray[np.float64]) -> NDArray[np.float64]:
    """`logits` of at most 8 × BLOCK_WORDS rows, by `_Lookup`: the same leaves as the walk, and
    their values summed in the same order, so the same floats."""
    count = rows.shape[0]
    trees = len(lookup.leaf_offsets)
    words = -(-count // 8)
    if count % 8:
        # Padded to whole words by one take: zeros and a copy into them is one call more, and
        # comparing into part of a padded result a slow strided loop.
        rows = rows.take(_PADDED_ROWS[count - 1], axis=0)
    # The rows as columns: `take` copies the transposed rows itself.
    above = rows.T.take(lookup.features, axis=0) > lookup.thresholds[words - 1]
    # Every comparison's 0/1 bytes as the bit of each slot (slots × comparisons × rows).
    weighted = np.multiply(above.view(np.uint8), lookup.bits[words - 1])
    # Row s holds, per tree and byte of its code, the word of its slot s with its bit set where
    # the comparison holds; their OR is, per tree and byte, one word whose bytes are that code
    # byte for each of eight rows. The slots' bits are disjoint, so no byte carries and their
    # sum is that OR: numpy's sum of integers runs in a third of the instructions of its OR.
    packed = np.add.reduce(weighted.view(np.uint64).reshape(-1, words).take(lookup.slots, axis=0), axis=0)
    # Byte (tree, b, row) of `packed` is at (2 * tree + b) * 8 * words + row, so one strided
    # view reads them row by row, the padding rows left out, and one copy lays each tree's two
    # bytes side by side: one code per row and tree.
    codes = np.ndarray((count, 2 * trees), np.uint8, packed, 0, (1, 8 * words)).copy().view(np.uint16)
    # Every index is in range by construction: `clip` skips take's bounds error path. The
    # offsets are added in place, in the leaves' own type (a plain loop, no cast).
    leaves = lookup.leaf_of_code.take(codes, mode="clip")
    leaves += lookup.leaf_offsets
    # np.add.reduce is what .sum calls, less its Python wrapper: the same pairwise sums.
    out: NDArray[np.float64] = np.add.reduce(lookup.leaf_values.take(leaves, mode="clip"), axis=1)
    return out


def _edges(column: NDArray[np.float64], bins: int) -> NDArray[np.float64]:
    """Candidate thresholds: the column's distinct values, or its quantiles when there are many."""
    distinct = np.unique(column)
    if len(distinct) <= bins:
        return distinct[:-1]
    return np.unique(np.quantile(distinct, np.linspace(0, 1, bins + 1)[1:-1]))


def fit(rows: NDArray[np.float64], labels: NDArray[np.float64], start: NDArray[np.float64],
        settings: BoostingSettings = BoostingSettings()) -> TreeEnsemble:
    """Trees fitted to the residuals of the logits `start` (one per row) for 0/1 `labels`."""
    n, width = rows.shape
    depth, inner = settings.depth, 2**settings.depth - 1
    edges = [_edges(rows[:, f], settings.bins) for f in range(width)]
    most = max((len(e) for e in edges), default=0) + 1
    binned = np.stack([np.searchsorted(e, rows[:, f], side="left") for f, e in enumerate(edges)], axis=1)
    offsets = np.arange(width) * most
    # A split after the last of a feature's own edges would put every row on one side.
    past_edges = np.arange(most)[None, :] >= np.array([len(e) for e in edges])[:, None]
    features = np.zeros((settings.trees, inner), dtype=np.int16)
    thresholds = np.full((settings.trees, inner), np.inf)
    values = np.zeros((settings.trees, 2 * inner + 1))
    logit = start.astype(np.float64).copy()
    for tree in range(settings.trees):
        p = 1.0 / (1.0 + np.exp(-logit))
        grad, hess = p - labels, np.maximum(p * (1.0 - p), 1e-6)
        node = np.zeros(n, dtype=np.intp)
        values[tree, 0] = -settings.learning_rate * grad.sum() / (hess.sum() + settings.l2)
        for level in range(depth):
            first = 2**level - 1
            count = 2**level
            local = node - first
            key = (local[:, None] * (width * most) + offsets + binned).ravel()
            size = count * width * most
            g = np.bincount(key, np.repeat(grad, width), minlength=size).reshape(count, width, most)
            h = np.bincount(key, np.repeat(hess, width), minlength=size).reshape(count, width, most)
            c = np.bincount(key, minlength=size).reshape(count, width, most)
            gl, hl, cl = g.cumsum(axis=2), h.cumsum(axis=2), c.cumsum(axis=2)
            gt, ht, ct = gl[:, :, -1:], hl[:, :, -1:], cl[:, :, -1:]
            lam = settings.l2
            gain = gl**2 / (hl + lam) + (gt - gl) ** 2 / (ht - hl + lam) - gt**2 / (ht + lam)
            valid = (cl >= settings.min_leaf) & (ct - cl >= settings.min_leaf) & ~past_edges
            gain = np.where(valid, gain, 0.0)
            flat = gain.reshape(count, -1)
            best = flat.argmax(axis=1)
            best_gain = flat[np.arange(count), best]
            for k in range(count):
                here = first + k
                left, right = 2 * here + 1, 2 * here + 2
                f, b = divmod(int(best[k]), most)
                if best_gain[k] > 1e-9:
                    features[tree, here] = f
                    thresholds[tree, here] = edges[f][b]
                    gsum_l, hsum_l = gl[k, f, b], hl[k, f, b]
                    gsum_r, hsum_r = gt[k, f, 0] - gsum_l, ht[k, f, 0] - hsum_l
                    values[tree, left] = -settings.learning_rate * gsum_l / (hsum_l + lam)
                    values[tree, right] = -settings.learning_rate * gsum_r / (hsum_r + lam)
                else:  # no split worth making: everything goes left, keeping the node's value
                    values[tree, left] = values[tree, right] = values[tree, here]
            split_features = features[tree, node]
            right_side = rows[np.arange(n), split_features] > thresholds[tree, node]
            node = 2 * node + 1 + right_side
        logit += values[tree, node]
    return TreeEnsemble(features, thresholds, values)
