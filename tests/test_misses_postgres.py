"""What only the PostgreSQL store does: its schema is created, versioned and migrated when it
opens, by one process at a time; a newer schema is refused; a dropped connection is made
again. What every store does is tested against both backends in test_misses_store.py."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime

import pytest

psycopg = pytest.importorskip("psycopg", reason="psycopg is installed with the dev extra")

from bot.core.misses import Miss  # noqa: E402  (after the importorskip above)
from bot.core.misses_postgres import SCHEMA_VERSION, PostgresMissStore, SchemaTooNew  # noqa: E402
from bot.core.misses_store import StoreUnavailable, open_store  # noqa: E402

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
OPENERS = 4


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as db:
        rows = db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {row[0] for row in rows}


def test_the_schema_is_created_at_start_up_with_its_version(postgres_url: str) -> None:
    assert tables(postgres_url) == set()
    store = PostgresMissStore(postgres_url)
    try:
        assert store.schema_version() == SCHEMA_VERSION
    finally:
        store.close()
    assert tables(postgres_url) == {"cnrp_schema", "cnrp_misses", "cnrp_feedback"}, (
        "prefixed tables, so the database can be shared with other programs")


def test_an_older_schema_is_migrated(postgres_url: str) -> None:
    # A database an earlier version left at version 0: the version table, nothing else.
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute("CREATE TABLE cnrp_schema (version INTEGER NOT NULL)")
        db.execute("INSERT INTO cnrp_schema VALUES (0)")
    store = PostgresMissStore(postgres_url)
    try:
        assert store.schema_version() == SCHEMA_VERSION
        store.add(Miss(NOW, "after the migration", "unknown", 0.2, (), server=1))
        assert [m.text for m in store.misses(1)] == ["after the migration"]
    finally:
        store.close()


def test_a_schema_from_a_newer_version_is_refused(postgres_url: str) -> None:
    PostgresMissStore(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute("UPDATE cnrp_schema SET version = %s", (SCHEMA_VERSION + 1,))
    with pytest.raises(SchemaTooNew, match="upgrade cnrp-bot"):
        PostgresMissStore(postgres_url)
    with pytest.raises(StoreUnavailable, match="upgrade cnrp-bot"):
        open_store(postgres_url)


def _open(url: str, start: multiprocessing.synchronize.Event) -> None:
    start.wait()
    PostgresMissStore(url).close()


def test_processes_starting_together_migrate_once(postgres_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    openers = [context.Process(target=_open, args=(postgres_url, start)) for _ in range(OPENERS)]
    for opener in openers:
        opener.start()
    start.set()  # as close to the same moment as processes get
    for opener in openers:
        opener.join(120)
    assert [o.exitcode for o in openers] == [0] * OPENERS
    with psycopg.connect(postgres_url) as db:
        assert db.execute("SELECT version FROM cnrp_schema").fetchall() == [(SCHEMA_VERSION,)]


def test_a_dropped_connection_is_made_again(postgres_url: str) -> None:
    store = PostgresMissStore(postgres_url)
    try:
        store.add(Miss(NOW, "before", "unknown", 0.2, (), server=1))
        # The server ends this store's session, as a restart or a failover would.
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE application_name = 'cnrp-bot'")
        store.add(Miss(NOW, "after", "unknown", 0.2, (), server=1))
        assert sorted(m.text for m in store.misses(1)) == ["after", "before"]
    finally:
        store.close()
