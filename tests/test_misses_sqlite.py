"""The SQLite misses store: scopes keep servers apart, retention forgets, WAL lets several
processes write at once without losing or mixing a row."""

from __future__ import annotations

import contextlib
import multiprocessing
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.misses import Feedback, Miss, Vote
from bot.core.misses_sqlite import SqliteMissStore

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
WRITERS, EACH = 4, 150


def miss(text: str, server: int | None, *, at: datetime = NOW, id_: int | None = None) -> Miss:
    return Miss(at, text, "unknown", 0.5, (("party.founders", 0.5), ("party.logo", 0.25)),
                server=server, id=id_)


def test_a_server_reads_only_its_own_misses_and_dms_belong_to_none(tmp_path: Path) -> None:
    store = SqliteMissStore(tmp_path / "misses.sqlite3")
    try:
        store.add(miss("in a", 1))
        store.add(miss("in b", 2))
        store.add(miss("in a dm", None))
        assert [m.text for m in store.misses(1)] == ["in a"]
        assert [m.text for m in store.misses(2)] == ["in b"]
        assert [m.text for m in store.misses("private")] == ["in a dm"]
        assert len(store.misses("all")) == 3
        assert store.misses(1)[0].candidates == (("party.founders", 0.5), ("party.logo", 0.25))
    finally:
        store.close()


def test_feedback_is_kept_with_its_miss_and_scoped_like_it(tmp_path: Path) -> None:
    store = SqliteMissStore(tmp_path / "misses.sqlite3")
    try:
        store.add(miss("who made the cnrp", 1, id_=7))
        store.add_feedback(Feedback(NOW, Vote.CLICKED, 1, 7, suggestion="Who founded the CNRP?"))
        store.add_feedback(Feedback(NOW, Vote.UP, 1, None, intent="party.founders"))
        store.add_feedback(Feedback(NOW, Vote.DOWN, 2, None, intent="party.logo"))
        store.add_feedback(Feedback(NOW, Vote.CLICKED, 1, 12345, suggestion="gone"))  # no such miss
        assert [(f.vote, f.miss_id, f.suggestion) for f in store.feedback(1)] == [
            (Vote.CLICKED, 7, "Who founded the CNRP?"), (Vote.UP, None, None)]
        assert [f.intent for f in store.feedback(2)] == ["party.logo"]
    finally:
        store.close()


def test_since_and_retention(tmp_path: Path) -> None:
    store = SqliteMissStore(tmp_path / "misses.sqlite3")
    try:
        store.add(miss("old", 1, at=NOW - timedelta(days=120), id_=1))
        store.add(miss("recent", 1, at=NOW - timedelta(days=3), id_=2))
        store.add_feedback(Feedback(NOW - timedelta(days=120), Vote.CLICKED, 1, 1, suggestion="q"))
        assert [m.text for m in store.misses(1, since=NOW - timedelta(days=7))] == ["recent"]
        assert store.purge(NOW - timedelta(days=90)) == 1
        assert [m.text for m in store.misses()] == ["recent"] and store.feedback() == []
    finally:
        store.close()


def test_the_same_miss_added_twice_is_kept_once(tmp_path: Path) -> None:
    store = SqliteMissStore(tmp_path / "misses.sqlite3")
    try:
        store.add(miss("again", 1, id_=5))
        store.add(miss("again", 1, id_=5))
        assert len(store.misses()) == 1
    finally:
        store.close()


def test_the_file_is_in_wal_mode(tmp_path: Path) -> None:
    SqliteMissStore(tmp_path / "misses.sqlite3").close()
    # closing(): a connection's own context manager commits but does not close (and Python
    # 3.13 warns about a connection left to the garbage collector).
    with contextlib.closing(sqlite3.connect(tmp_path / "misses.sqlite3")) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def _write(path: str, writer: int) -> None:
    store = SqliteMissStore(Path(path))
    try:
        for n in range(EACH):
            store.add(miss(f"writer {writer} question {n}", writer))
    finally:
        store.close()


def test_several_processes_write_at_once_without_losing_a_row(tmp_path: Path) -> None:
    path = tmp_path / "misses.sqlite3"
    SqliteMissStore(path).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write, args=(str(path), w)) for w in range(WRITERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0] * WRITERS
    store = SqliteMissStore(path)
    try:
        for writer in range(WRITERS):
            texts = [m.text for m in store.misses(writer)]
            assert sorted(texts) == sorted(f"writer {writer} question {n}" for n in range(EACH))
    finally:
        store.close()
