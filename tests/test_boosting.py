"""Boosted trees over the scoring features: they learn what a weighted sum cannot, the same
way every time, and explain themselves exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.core.boosting import BoostingSettings, TreeEnsemble, fit

SMALL = BoostingSettings(trees=60, depth=3, learning_rate=0.2, min_leaf=5)


def _xor_data(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    rows = rng.random((n, 3))
    labels = ((rows[:, 0] > 0.5) ^ (rows[:, 1] > 0.5)).astype(float)
    return rows, labels


def test_trees_learn_an_interaction_no_weighted_sum_can() -> None:
    rows, labels = _xor_data()
    # Either feature alone says nothing about an exclusive or: a weighted sum stays at chance.
    assert abs(np.corrcoef(rows[:, 0], labels)[0, 1]) < 0.2
    trees = fit(rows, labels, np.zeros(len(labels)), SMALL)
    predicted = trees.logits(rows) > 0
    assert (predicted == labels.astype(bool)).mean() > 0.95
    # The third feature is noise: no split of any consequence is made on it.
    moved = np.abs(np.array([trees.contributions(row, 3) for row in rows])).mean(axis=0)
    assert moved[2] < 0.1 * min(moved[0], moved[1])


def test_the_fit_is_deterministic() -> None:
    rows, labels = _xor_data()
    first = fit(rows, labels, np.zeros(len(labels)), SMALL)
    second = fit(rows, labels, np.zeros(len(labels)), SMALL)
    assert np.array_equal(first.features, second.features)
    assert np.array_equal(first.thresholds, second.thresholds)
    assert np.array_equal(first.values, second.values)


def test_contributions_and_the_roots_add_up_to_the_output() -> None:
    rows, labels = _xor_data()
    trees = fit(rows, labels, np.zeros(len(labels)), SMALL)
    for row in rows[:25]:
        total = trees.base() + trees.contributions(row, 3).sum()
        assert total == pytest.approx(trees.logits(row.reshape(1, -1))[0])


def _walked(trees: TreeEnsemble, row: np.ndarray) -> float:
    """A row's output the plain way: down each tree node by node, the leaves' values summed."""
    leaves = []
    for features, thresholds, values in zip(trees.features, trees.thresholds, trees.values, strict=True):
        node = 0
        while node < len(features):
            node = 2 * node + 1 + int(row[features[node]] > thresholds[node])
        leaves.append(values[node])
    return float(np.array(leaves).sum())


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
def test_the_output_is_exactly_that_of_walking_each_tree(depth: int) -> None:
    rows, labels = _xor_data(300)
    rows[::7, 0] = rows[1, 0]  # rows on a threshold, which go left
    trees = fit(rows, labels, np.zeros(len(labels)),
                BoostingSettings(trees=40, depth=depth, learning_rate=0.2, min_leaf=5))
    # Batches of a word of eight rows, part of one (padded with copies of the last row), several,
    # a whole block and more than one.
    for count in (1, 2, 7, 8, 9, 11, 15, 16, 17, 31, 32, 33, 300):
        assert trees.logits(rows[:count]).tolist() == [_walked(trees, row) for row in rows[:count]]


def test_a_start_already_right_leaves_little_to_learn() -> None:
    rows, labels = _xor_data()
    confident = np.where(labels > 0, 8.0, -8.0)
    trees = fit(rows, labels, confident, SMALL)
    # Residuals of a right, confident start are tiny: the trees only nudge it further its way.
    assert np.abs(trees.logits(rows)).max() < 0.5
    assert (np.sign(confident + trees.logits(rows)) == np.sign(confident)).all()


def test_no_split_worth_making_sends_every_row_left() -> None:
    rows = np.ones((50, 2))  # one value per feature: nothing to split on
    trees = fit(rows, np.r_[np.zeros(25), np.ones(25)], np.zeros(50), SMALL)
    assert np.isinf(trees.thresholds).all()
    assert trees.logits(rows) == pytest.approx(np.zeros(50), abs=1e-9)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    rows, labels = _xor_data()
    trees = fit(rows, labels, np.zeros(len(labels)), SMALL)
    path = tmp_path / "trees.npz"
    trees.save(path)
    loaded = TreeEnsemble.load(path, 3)
    assert np.array_equal(loaded.logits(rows), trees.logits(rows))


def test_load_refuses_trees_that_do_not_fit_the_features(tmp_path: Path) -> None:
    rows, labels = _xor_data()
    path = tmp_path / "trees.npz"
    fit(rows, labels, np.zeros(len(labels)), SMALL).save(path)
    with pytest.raises(ValueError, match="feature"):
        TreeEnsemble.load(path, 2)  # the trees split on a third feature
    broken = tmp_path / "broken.npz"
    np.savez(broken, format=np.array([1]), features=np.zeros((2, 3), dtype=np.int16),
             thresholds=np.zeros((2, 3)), values=np.zeros((2, 5)))
    with pytest.raises(ValueError, match="fit together"):
        TreeEnsemble.load(broken, 3)


def test_more_leaves_than_two_bytes_index_are_still_found() -> None:
    # Past 2**16 leaves the table's indices need four bytes: a forest too big for two is looked
    # up as exactly as one that fits (trees made at random: only the lookup is under test).
    rng = np.random.default_rng(5)
    trees = 2**12 + 1  # 16 leaves each: one tree more than two bytes index
    features = rng.integers(0, 3, (trees, 15)).astype(np.int16)
    thresholds = np.where(rng.random((trees, 15)) < 0.1, np.inf, rng.random((trees, 15)))
    big = TreeEnsemble(features, thresholds, rng.normal(size=(trees, 31)))
    rows = rng.random((9, 3))
    assert big.logits(rows).tolist() == [_walked(big, row) for row in rows]


def test_a_lookup_read_back_gathers_by_arrays_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine cache hands arrays back read-only; the two the lookup gathers by are copied
    (numpy's `take` would copy them at every call), and the output is still the walk's."""
    from bot.core import enginecache

    rows, labels = _xor_data(300)
    trees = fit(rows, labels, np.zeros(len(labels)), SMALL)
    monkeypatch.setenv(enginecache.ENV, str(tmp_path / "cache"))
    enginecache.write("key", trees)
    read = enginecache.read("key")
    assert isinstance(read, TreeEnsemble)
    lookup = read._lookup
    assert lookup is not None and not lookup.leaf_values.flags.writeable
    assert lookup.slots.flags.writeable and lookup.features.flags.writeable
    assert read.logits(rows[:11]).tolist() == [_walked(trees, row) for row in rows[:11]]
