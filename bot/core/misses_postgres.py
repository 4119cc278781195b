"""The misses store in PostgreSQL (psycopg 3): one database for every shard process, on any
number of machines (`DATABASE_URL=postgresql://…`).

It behaves as the SQLite store does (`bot.core.misses_sqlite`), and the same tests run against
both. Each process keeps one connection in autocommit mode, so every write is a transaction of
its own: rows from many writers never interleave, and none waits for another's. The schema is
created, or migrated to this version, when the store opens, under an advisory lock, so shard
processes starting together migrate once. Tables are prefixed `cnrp_`, so the bot can share a
database with other programs.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.json import Jsonb

from bot.core.misses import Feedback, Miss, Scope, Vote, new_miss_id, scope_filter

T = TypeVar("T")
Connection = psycopg.Connection[tuple[Any, ...]]

# Each migration takes the schema from its index to the next version; append, never edit.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE cnrp_misses (
            id          BIGINT PRIMARY KEY,          -- chosen by the bot (53 random bits)
            at          TIMESTAMPTZ NOT NULL,
            server      BIGINT,                      -- NULL: a direct message or the console
            text        TEXT NOT NULL,               -- the normalised question
            kind        TEXT NOT NULL,
            confidence  DOUBLE PRECISION NOT NULL,
            candidates  JSONB NOT NULL,              -- [[intent, score], …]
            user_id     TEXT                         -- only with MISSES_LOG_USERS=1
        )""",
        "CREATE INDEX cnrp_misses_by_server ON cnrp_misses (server, at)",
        "CREATE INDEX cnrp_misses_by_time ON cnrp_misses (at)",
        """CREATE TABLE cnrp_feedback (
            id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at          TIMESTAMPTZ NOT NULL,
            server      BIGINT,
            miss_id     BIGINT REFERENCES cnrp_misses (id) ON DELETE CASCADE,
            intent      TEXT,
            vote        TEXT NOT NULL,               -- up, down, clicked
            suggestion  TEXT
        )""",
        "CREATE INDEX cnrp_feedback_by_server ON cnrp_feedback (server, at)",
        "CREATE INDEX cnrp_feedback_by_miss ON cnrp_feedback (miss_id)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
# pg_advisory_xact_lock's key for migrations: any fixed number no other program is likely to use.
MIGRATION_LOCK = 0x636E_7270_6D69_7373  # "cnrpmiss"
# Defaults a URL may override: a server that does not answer fails start-up within seconds,
# and the connection names itself in pg_stat_activity.
CONNECTION_DEFAULTS = {"connect_timeout": "10", "application_name": "cnrp-bot"}


class SchemaTooNew(psycopg.Error):
    """The database was migrated by a newer cnrp-bot than this one."""


def _utc(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _where(scope: Scope, since: datetime | None) -> tuple[str, list[Any]]:
    return scope_filter(scope, since, "%s", _utc)


class PostgresMissStore:
    """A `MissStore` in PostgreSQL; one connection per process, shared by threads under a lock."""

    def __init__(self, url: str) -> None:
        self._conninfo = make_conninfo("", **{**CONNECTION_DEFAULTS, **conninfo_to_dict(url)})
        self._lock = threading.Lock()
        self._db = self._connect()
        try:
            self._migrate()
        except BaseException:
            self._db.close()
            raise

    def _connect(self) -> Connection:
        # autocommit: each statement commits on its own; prepare_threshold=None: no server-side
        # prepared statements, so a pooler such as PgBouncer in transaction mode works too.
        return psycopg.connect(self._conninfo, autocommit=True, prepare_threshold=None)

    def _migrate(self) -> None:
        with self._db.transaction():
            # Held until the transaction ends: a second process starting now waits here, then
            # finds the schema already at this version.
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            self._db.execute("CREATE TABLE IF NOT EXISTS cnrp_schema (version INTEGER NOT NULL)")
            row = self._db.execute("SELECT max(version) FROM cnrp_schema").fetchone()
            current = int(row[0]) if row and row[0] is not None else 0
            if current > SCHEMA_VERSION:
                raise SchemaTooNew(f"the database's schema is version {current}, newer than this "
                                   f"cnrp-bot knows ({SCHEMA_VERSION}): upgrade cnrp-bot")
            for statements in MIGRATIONS[current:]:
                for statement in statements:
                    self._db.execute(statement)
            if current < SCHEMA_VERSION:
                self._db.execute("DELETE FROM cnrp_schema")
                self._db.execute("INSERT INTO cnrp_schema (version) VALUES (%s)", (SCHEMA_VERSION,))

    def schema_version(self) -> int:
        row = self._run(lambda db: db.execute("SELECT max(version) FROM cnrp_schema").fetchone())
        return int(row[0]) if row and row[0] is not None else 0

    def _run(self, work: Callable[[Connection], T]) -> T:
        with self._lock:
            try:
                return work(self._db)
            except psycopg.OperationalError:
                if not self._db.broken:
                    raise
            # The server restarted or the network dropped the connection: reconnect and try
            # once more (a miss written twice is kept once; its id is the primary key).
            self._db = self._connect()
            return work(self._db)

    def add(self, miss: Miss) -> None:
        self._run(lambda db: db.execute(
            "INSERT INTO cnrp_misses (id, at, server, text, kind, confidence, candidates, user_id) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
            (miss.id or new_miss_id(), _utc(miss.at), miss.server, miss.text, miss.kind,
             miss.confidence, Jsonb([list(c) for c in miss.candidates]), miss.user),
        ))  # fmt: skip

    def add_feedback(self, feedback: Feedback) -> None:
        def insert(db: Connection) -> None:
            # A ForeignKeyViolation means its miss was purged between the check and the insert:
            # the feedback is dropped, as feedback about a miss that is gone always is.
            with contextlib.suppress(psycopg.errors.ForeignKeyViolation):
                db.execute(
                    "INSERT INTO cnrp_feedback (at, server, miss_id, intent, vote, suggestion) "
                    "SELECT %(at)s, %(server)s, %(miss)s, %(intent)s, %(vote)s, %(suggestion)s "
                    "WHERE %(miss)s::BIGINT IS NULL "
                    "OR EXISTS (SELECT 1 FROM cnrp_misses WHERE id = %(miss)s)",
                    {"at": _utc(feedback.at), "server": feedback.server, "miss": feedback.miss_id,
                     "intent": feedback.intent, "vote": feedback.vote.value,
                     "suggestion": feedback.suggestion},
                )  # fmt: skip

        self._run(insert)

    def misses(self, scope: Scope = "all", since: datetime | None = None) -> list[Miss]:
        where, args = _where(scope, since)
        rows = self._run(lambda db: db.execute(
            "SELECT id, at, server, text, kind, confidence, candidates, user_id FROM cnrp_misses"
            f"{where} ORDER BY at, id", args,
        ).fetchall())  # fmt: skip
        return [
            Miss(at.astimezone(UTC), text, kind, float(confidence),
                 tuple((str(i), float(s)) for i, s in candidates), user, server, id_)
            for id_, at, server, text, kind, confidence, candidates, user in rows
        ]  # fmt: skip

    def feedback(self, scope: Scope = "all", since: datetime | None = None) -> list[Feedback]:
        where, args = _where(scope, since)
        rows = self._run(lambda db: db.execute(
            f"SELECT at, vote, server, miss_id, intent, suggestion FROM cnrp_feedback{where} "
            "ORDER BY at, id", args,
        ).fetchall())  # fmt: skip
        return [Feedback(at.astimezone(UTC), Vote(vote), server, miss_id, intent, suggestion)
                for at, vote, server, miss_id, intent, suggestion in rows]

    def purge(self, before: datetime) -> int:
        cutoff = _utc(before)

        def delete(db: Connection) -> int:
            with db.transaction():
                db.execute("DELETE FROM cnrp_feedback WHERE at < %s", (cutoff,))
                return db.execute("DELETE FROM cnrp_misses WHERE at < %s", (cutoff,)).rowcount

        return self._run(delete)

    def close(self) -> None:
        with self._lock:
            self._db.close()
