"""The misses store's behaviour, the same on both backends: SQLite (one machine) and a real
PostgreSQL server (several machines). Scopes keep servers apart, retention forgets, feedback
follows its miss, and writers in several processes at once lose and mix no row."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.misses import Feedback, Miss, MissStore, Vote
from bot.core.misses_store import StoreUnavailable, describe_url, is_database_url, open_store

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
WRITERS, EACH = 4, 150
BACKENDS = ("sqlite", "postgresql")


def miss(text: str, server: int | None, *, at: datetime = NOW, id_: int | None = None,
         user: str | None = None) -> Miss:
    return Miss(at, text, "unknown", 0.5, (("party.founders", 0.5), ("party.logo", 0.25)),
                user=user, server=server, id=id_)


@pytest.fixture(params=BACKENDS)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a store lives: a SQLite file, or an empty database on the test PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "misses.sqlite3")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture()
def store(target: str) -> Iterator[MissStore]:
    opened = open_store(target)
    try:
        yield opened
    finally:
        opened.close()


def test_a_server_reads_only_its_own_misses_and_dms_belong_to_none(store: MissStore) -> None:
    store.add(miss("in a", 1))
    store.add(miss("in b", 2))
    store.add(miss("in a dm", None))
    assert [m.text for m in store.misses(1)] == ["in a"]
    assert [m.text for m in store.misses(2)] == ["in b"]
    assert [m.text for m in store.misses("private")] == ["in a dm"]
    assert len(store.misses("all")) == 3
    assert store.misses(1)[0].candidates == (("party.founders", 0.5), ("party.logo", 0.25))


def test_what_is_kept_comes_back_as_it_was(store: MissStore) -> None:
    big = 1 << 62  # Discord ids are 64-bit; server and user ids must survive whole
    kept = miss("who made the cnrp", big, id_=(1 << 53) - 1, user=str(big + 1))
    store.add(kept)
    (back,) = store.misses()
    assert back == kept and back.at.tzinfo is not None


def test_feedback_is_kept_with_its_miss_and_scoped_like_it(store: MissStore) -> None:
    store.add(miss("who made the cnrp", 1, id_=7))
    store.add_feedback(Feedback(NOW, Vote.CLICKED, 1, 7, suggestion="Who founded the CNRP?"))
    store.add_feedback(Feedback(NOW + timedelta(seconds=1), Vote.UP, 1, None, intent="party.founders"))
    store.add_feedback(Feedback(NOW, Vote.DOWN, 2, None, intent="party.logo"))
    store.add_feedback(Feedback(NOW, Vote.CLICKED, 1, 12345, suggestion="gone"))  # no such miss
    assert [(f.vote, f.miss_id, f.suggestion) for f in store.feedback(1)] == [
        (Vote.CLICKED, 7, "Who founded the CNRP?"), (Vote.UP, None, None)]
    assert [f.intent for f in store.feedback(2)] == ["party.logo"]


def test_since_and_retention(store: MissStore) -> None:
    store.add(miss("old", 1, at=NOW - timedelta(days=120), id_=1))
    store.add(miss("recent", 1, at=NOW - timedelta(days=3), id_=2))
    store.add_feedback(Feedback(NOW - timedelta(days=120), Vote.CLICKED, 1, 1, suggestion="q"))
    assert [m.text for m in store.misses(1, since=NOW - timedelta(days=7))] == ["recent"]
    assert store.purge(NOW - timedelta(days=90)) == 1
    assert [m.text for m in store.misses()] == ["recent"] and store.feedback() == []


def test_oldest_first(store: MissStore) -> None:
    for days, text in ((2, "middle"), (3, "oldest"), (1, "newest")):
        store.add(miss(text, 1, at=NOW - timedelta(days=days)))
    assert [m.text for m in store.misses()] == ["oldest", "middle", "newest"]


def test_the_same_miss_added_twice_is_kept_once(store: MissStore) -> None:
    store.add(miss("again", 1, id_=5))
    store.add(miss("again", 1, id_=5))
    assert len(store.misses()) == 1


def test_a_store_opened_again_keeps_what_it_had(target: str) -> None:
    first = open_store(target)
    try:
        first.add(miss("kept", 3, id_=9))
    finally:
        first.close()
    second = open_store(target)  # the schema is there already: nothing is created twice
    try:
        assert [m.text for m in second.misses(3)] == ["kept"]
    finally:
        second.close()


def _write(target: str, writer: int) -> None:
    store = open_store(target)
    try:
        for n in range(EACH):
            store.add(miss(f"writer {writer} question {n}", writer))
    finally:
        store.close()


def run_writers(target: str, writers: int) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write, args=(target, w)) for w in range(writers)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0] * writers


def test_several_processes_write_at_once_without_losing_a_row(target: str) -> None:
    if not is_database_url(target):
        # SQLite's file is made before the writers start: switching a new file to WAL mode
        # takes a lock that concurrent openers may not wait for. PostgreSQL's writers start
        # on an empty database, so they create the schema at the same moment too.
        open_store(target).close()
    run_writers(target, WRITERS)
    store = open_store(target)
    try:
        for writer in range(WRITERS):
            texts = [m.text for m in store.misses(writer)]
            assert sorted(texts) == sorted(f"writer {writer} question {n}" for n in range(EACH))
    finally:
        store.close()


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://bot:pa55word@db.internal:5433/cnrp?sslmode=require",
     "postgresql://bot@db.internal:5433/cnrp"),
    ("postgres://db/cnrp", "postgres://db/cnrp"),
    ("postgresql://:secret@/cnrp", "postgresql:///cnrp"),
])  # fmt: skip
def test_a_database_url_is_shown_without_its_password(url: str, shown: str) -> None:
    assert describe_url(url) == shown and is_database_url(url)


@pytest.mark.parametrize("opener", [
    lambda tmp: open_store(tmp / "a-file" / "misses.sqlite3"),
    lambda tmp: open_store("postgresql://bot:pa55word@127.0.0.1:1/cnrp?connect_timeout=5"),
])  # fmt: skip
def test_a_store_that_cannot_open_says_which_and_why_in_one_line(
    tmp_path: Path, opener: Callable[[Path], MissStore]
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(StoreUnavailable) as caught:
        opener(tmp_path)
    message = str(caught.value)
    assert message.startswith("cannot ") and "\n" not in message and "pa55word" not in message
