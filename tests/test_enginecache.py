"""The engine kept on disk: read back only when nothing it depends on changed, the same
engine as a fresh build, and never a reason to fail (an unwritable or corrupt cache builds)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core import boosting, enginecache, features
from bot.core.engine import Engine
from tests.answers import record

QUESTIONS = ["who founded the cnrp", "how many seats did the cnrp win in kandal", "when was it dissolved?",
             "hello", "what is the capital of france"]


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("engine-*.pickle"))


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(enginecache.ENV, str(folder))
    return folder


def _no_build(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> Engine:
        raise AssertionError("built, though the cache holds this engine")

    monkeypatch.setattr(Engine, "_build", classmethod(refuse))


def test_the_second_load_reads_the_first_and_answers_alike(cache: Path, engine: Engine,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    built = Engine.load(cache=True)
    assert len(_files(cache)) == 1
    _no_build(monkeypatch)
    read = Engine.load(cache=True)
    assert read is not built
    for question in QUESTIONS:
        assert record(read.ask(question)) == record(engine.ask(question)) == record(built.ask(question))
    assert read.warnings == built.warnings
    # What no question changes comes with the engine, not made again by a question: the fixed
    # row sets' blocks, the trees' code table, the features' reading of the intents.
    index = read.matcher.index
    monkeypatch.setattr(index, "_made_row_block", lambda rows: pytest.fail("a fixed set's block made again"))
    for rows in (*index.rows_by_topic_kind.values(), index.numeric_rows):
        index._row_block(rows)
    monkeypatch.setattr(boosting._Lookup, "of", lambda *_: pytest.fail("the trees' table made again"))
    monkeypatch.setattr(features.MatcherReading, "__init__", lambda *_: pytest.fail("the reading made again"))
    again = Engine.load(cache=True)
    assert record(again.ask(QUESTIONS[0])) == record(engine.ask(QUESTIONS[0]))


def test_changed_knowledge_is_built_again(cache: Path, knowledge_copy: Path) -> None:
    Engine.load(knowledge_copy, cache=True)
    topic = sorted((knowledge_copy / "topics").glob("*.yaml"))[0]
    topic.write_text(topic.read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")
    Engine.load(knowledge_copy, cache=True)
    assert len(_files(cache)) == 2


def test_only_the_newest_few_are_kept(cache: Path) -> None:
    cache.mkdir()
    for number in range(10):
        (cache / f"engine-{number:032x}.pickle").write_bytes(b"old")
    Engine.load(cache=True)
    assert len(_files(cache)) == enginecache.ENGINE_CACHE_KEEP


def test_a_corrupt_file_is_built_over(cache: Path) -> None:
    Engine.load(cache=True)
    (stored,) = _files(cache)
    stored.write_bytes(b"not a pickle")
    assert Engine.load(cache=True).ask("who founded the cnrp").matched
    assert stored.read_bytes() != b"not a pickle"


def test_an_unwritable_cache_is_no_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("")
    monkeypatch.setenv(enginecache.ENV, str(blocker / "cache"))
    assert Engine.load(cache=True).ask("who founded the cnrp").matched


def test_an_empty_setting_turns_the_cache_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(enginecache.ENV, "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert enginecache.cache_dir() is None
    Engine.load(cache=True)
    assert not list(tmp_path.rglob("*.pickle"))


def test_the_default_folder_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(enginecache.ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert enginecache.cache_dir() == tmp_path / "cnrp-bot"


def test_tests_and_reference_engines_never_use_the_cache(cache: Path) -> None:
    Engine.load()
    Engine.load(reference=True, cache=True)
    assert not cache.exists()


@pytest.mark.parametrize("read", [True, False], ids=["read", "built"])
def test_a_replaced_engine_is_freed_without_the_collector(cache: Path, read: bool) -> None:
    # An engine's objects are frozen out of the collector's sight, whether it was read or built
    # (and stored); one that /reload replaces must then be freed by reference counting alone,
    # so it must hold no cycles.
    import gc
    import weakref

    if read:
        Engine.load(cache=True)
    engine = Engine.load(cache=True)
    assert gc.get_freeze_count() > 0
    engine.ask("who founded the cnrp")
    parts = [weakref.ref(part) for part in (engine, engine.kb, engine.matcher, engine.matcher.index,
                                            engine.matcher.entities, engine.matcher.speller,
                                            engine.matcher.semantic, engine.matcher.model, engine.programs,
                                            engine.facts)]
    collecting = gc.isenabled()
    gc.disable()
    try:
        del engine
        assert all(part() is None for part in parts)
    finally:
        if collecting:
            gc.enable()
        gc.unfreeze()


def test_equal_frozensets_come_back_as_one_with_a_table_no_larger(cache: Path) -> None:
    import sys

    words = frozenset(f"word{i}" for i in range(500))
    stored = {"a": words, "b": frozenset(sorted(words)), "c": (frozenset(), frozenset()),
              "nested": frozenset({frozenset({1, 2}), frozenset({3})}), "kept": {1, 2}}
    assert stored["b"] is not words
    enginecache.write("key", stored)
    read = enginecache.read("key")
    assert read == stored
    assert read["a"] is read["b"] and read["c"][0] is read["c"][1]
    assert sys.getsizeof(read["a"]) <= sys.getsizeof(words)


def test_equal_strings_floats_and_word_tuples_come_back_as_one(cache: Path) -> None:
    words = [f"word {i % 3}" for i in range(9)]  # made at run time: nine strings, three values
    weights = [float(i % 2) / 3 for i in range(6)] + [x * 0.0 for x in (1.0, -1.0, 2.0, -2.0)]
    pairs = [tuple(f"{w} {i % 2}".split()) for i, w in enumerate(words)]
    mixed = [(1,), (1.0,), (True,)]  # equal, but of three types: kept apart
    assert len({id(word) for word in words}) == 9 and len({id(weight) for weight in weights}) == 10
    stored = {"words": words, "keys": {word: len(word) for word in words}, "set": frozenset(words[3:]),
              "weights": weights, "pairs": pairs, "mixed": mixed}
    enginecache.write("key", stored)
    read = enginecache.read("key")
    assert read == stored
    assert len({id(word) for word in read["words"]}) == 3
    assert {id(word) for word in (*read["keys"], *read["set"])} <= {id(word) for word in read["words"]}
    # Three values (0.0, 1/3, -0.0: equal zeros of two signs are two values), each read back as
    # the first of its value and one copy shared by the rest, at most.
    assert [math.copysign(1.0, w) for w in read["weights"][-4:]] == [1.0, -1.0, 1.0, -1.0]
    assert len({id(weight) for weight in read["weights"]}) <= 2 * 3
    assert len({id(pair) for pair in read["pairs"]}) <= 2 * len(set(pairs))
    assert [type(item[0]) for item in read["mixed"]] == [int, float, bool]


def test_arrays_come_back_read_only_from_the_mapped_file(cache: Path) -> None:
    import mmap

    import numpy as np

    stored = {"vectors": np.arange(-60, 60, dtype=np.int8).reshape(40, 3),
              "columns": np.asfortranarray(np.linspace(0.0, 1.0, 12, dtype=np.float32).reshape(3, 4)),
              "constant": np.full((), 0.25, dtype=np.float32), "empty": np.zeros((0, 5)),
              "wide": np.arange(5000, dtype=np.float64), "words": ("a", "b")}
    enginecache.write("key", stored)
    read = enginecache.read("key")
    assert read["words"] == stored["words"]
    for name in ("vectors", "columns", "constant", "empty", "wide"):
        array = read[name]
        assert array.dtype == stored[name].dtype and array.shape == stored[name].shape
        assert array.tobytes(order="A") == stored[name].tobytes(order="A")
        assert not array.flags.writeable
        assert array.ctypes.data % 16 == 0
        # One array straight over the mapped file: no array of the whole buffer under it.
        assert isinstance(array.base, mmap.mmap)


def test_arrays_numpy_pickles_itself_come_back_alike(cache: Path) -> None:
    # Only arrays of numbers laid out in C or Fortran order are read in place; any other keeps
    # numpy's own pickle, its bytes in the pickle.
    import numpy as np

    stored = {"objects": np.array([1, "a", None], dtype=object), "strided": np.arange(10.0)[::3],
              "record": np.zeros(3, dtype=[("a", "<i4"), ("b", "<f8")]), "plain": np.arange(7, dtype=np.int16)}
    enginecache.write("key", stored)
    read = enginecache.read("key")
    for name, array in stored.items():
        assert read[name].dtype == array.dtype and read[name].tolist() == array.tolist()
    assert not read["plain"].flags.writeable and read["strided"].flags.writeable


@pytest.mark.parametrize("kept", [0.5, -1])
def test_a_short_file_is_built_over(cache: Path, kept: float) -> None:
    Engine.load(cache=True)
    (stored,) = _files(cache)
    whole = stored.read_bytes()
    stored.write_bytes(whole[:int(len(whole) * kept) if kept > 0 else kept])
    assert Engine.load(cache=True).ask("who founded the cnrp").matched
    assert len(stored.read_bytes()) == len(whole)


def test_answering_loads_no_openssl() -> None:
    """The command line (the engine, its cache's key, the misses store) hashes with CPython's
    own blake2b: OpenSSL, which hashlib, hmac and secrets load, is some 3.6 MiB of its memory."""
    code = "import sys, bot.cli; print(sorted({'_hashlib', 'hashlib', 'hmac', 'secrets'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).parents[1])
    assert done.stdout.strip() == "[]"


def test_the_key_names_every_input(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "a.yaml").write_text("one")
    config = enginecache.MatchConfig()
    key = enginecache.cache_key(folder, config)
    assert key == enginecache.cache_key(folder, config) and len(key) == 32
    (folder / "a.yaml").write_text("two")
    assert enginecache.cache_key(folder, config) != key
    assert enginecache.cache_key(folder, enginecache.MatchConfig(shortlist=9)) != enginecache.cache_key(folder, config)


def _unread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails the test if `cache_key` opens a file to hash it."""
    monkeypatch.setattr(enginecache, "open", lambda *_: pytest.fail("a file hashed again"), raising=False)


@pytest.fixture()
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file counts as older than `_RACY_NS`: those a test writes are seconds old at most."""
    monkeypatch.setattr(enginecache, "_RACY_NS", -10**15)


def test_a_key_is_found_again_without_hashing_untouched_files(tmp_path: Path, cache: Path, settled: None,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "a.yaml").write_text("one")
    config = enginecache.MatchConfig()
    key = enginecache.cache_key(folder, config)
    with monkeypatch.context() as patched:
        _unread(patched)
        assert enginecache.cache_key(folder, config) == key
        # Touched, added or another config: hashed again.
        os.utime(folder / "a.yaml", ns=(10**18, 10**18))
        with pytest.raises(pytest.fail.Exception):
            enginecache.cache_key(folder, config)
    # The same bytes are the same key, however the files were found.
    assert enginecache.cache_key(folder, config) == key
    monkeypatch.setenv(enginecache.ENV, "")
    assert enginecache.cache_key(folder, config) == key
    (folder / "b.yaml").write_text("")
    assert enginecache.cache_key(folder, config) != key


def test_a_key_for_files_too_new_is_not_kept(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A file rewritten at once keeps its size and may keep its times: its key would be stale.
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "a.yaml").write_text("one")
    config = enginecache.MatchConfig()
    key = enginecache.cache_key(folder, config)
    assert not (cache / enginecache._KEYS).exists()
    (folder / "a.yaml").write_text("two")
    assert enginecache.cache_key(folder, config) != key


def test_only_the_newest_few_keys_are_kept(tmp_path: Path, cache: Path, settled: None) -> None:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    keys = [enginecache.cache_key(folder, enginecache.MatchConfig(shortlist=size)) for size in range(1, 8)]
    kept = (cache / enginecache._KEYS).read_text().splitlines()
    assert [line.split()[1] for line in kept] == keys[::-1][:enginecache.ENGINE_CACHE_KEEP]


@pytest.mark.parametrize("stored", [b"", b"\xff\xfe", b"one two\nthree", b"x" * 65 + b"\n"])
def test_an_unreadable_keys_file_is_hashed_over(tmp_path: Path, cache: Path, settled: None, stored: bytes) -> None:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    config = enginecache.MatchConfig()
    cache.mkdir()
    (cache / enginecache._KEYS).write_bytes(stored)
    key = enginecache.cache_key(folder, config)
    assert enginecache.cache_key(folder, config) == key
    assert (cache / enginecache._KEYS).read_text().split()[1] == key


@pytest.mark.skipif(not hasattr(os, "pread"), reason="no os.pread: arrays are read through the mapping")
def test_file_region_places_each_mapped_array_in_the_file(cache: Path) -> None:
    import numpy as np

    stored = {"vectors": np.arange(-60, 60, dtype=np.int8).reshape(40, 3), "wide": np.arange(5000, dtype=np.float64),
              "columns": np.asfortranarray(np.linspace(0.0, 1.0, 12, dtype=np.float32).reshape(3, 4))}
    enginecache.write("key", stored)
    read = enginecache.read("key")
    for name in ("vectors", "wide"):
        found = enginecache.file_region(read[name])
        assert found is not None and os.pread(found[0], read[name].nbytes, found[1]) == stored[name].tobytes()
        row = enginecache.file_region(read[name][7:8])
        assert row is not None and os.pread(row[0], read[name][7:8].nbytes, row[1]) == stored[name][7:8].tobytes()
    # Bytes that are not one run of the array's items in order, and an array built in memory.
    assert enginecache.file_region(read["wide"][::2]) is None and enginecache.file_region(read["columns"]) is None
    assert enginecache.file_region(stored["wide"]) is None
    # The file stays open as long as the mapping, and no longer.
    descriptor = found[0]
    os.fstat(descriptor)
    del read, found, row
    with pytest.raises(OSError):
        os.fstat(descriptor)
