"""The misses store in SQLite (standard library), in WAL mode.

WAL lets several processes (one per group of shards) write to one file: each write is its
own short transaction, so rows never interleave, and readers never block writers. A writer
that finds the file locked waits up to `busy_timeout` instead of failing.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.core.misses import Feedback, Miss, Scope, Vote, new_miss_id, scope_filter

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 10_000
SCHEMA = """
CREATE TABLE IF NOT EXISTS misses (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,          -- Unix seconds, UTC
    server      INTEGER,                   -- NULL: a direct message or the console
    text        TEXT    NOT NULL,          -- the normalised question
    kind        TEXT    NOT NULL,
    confidence  REAL    NOT NULL,
    candidates  TEXT    NOT NULL,          -- JSON [[intent, score], …]
    user        TEXT                       -- only with MISSES_LOG_USERS=1
);
CREATE INDEX IF NOT EXISTS misses_by_server ON misses (server, at);
CREATE INDEX IF NOT EXISTS misses_by_time ON misses (at);
CREATE TABLE IF NOT EXISTS feedback (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    server      INTEGER,
    miss_id     INTEGER REFERENCES misses (id) ON DELETE CASCADE,
    intent      TEXT,
    vote        TEXT    NOT NULL,          -- up, down, clicked
    suggestion  TEXT
);
CREATE INDEX IF NOT EXISTS feedback_by_server ON feedback (server, at);
CREATE INDEX IF NOT EXISTS feedback_by_miss ON feedback (miss_id);
"""


def _seconds(when: datetime) -> int:
    return int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())


def _when(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _where(scope: Scope, since: datetime | None) -> tuple[str, list[Any]]:
    return scope_filter(scope, since, "?", _seconds)


class SqliteMissStore:
    """A `MissStore` in one SQLite file; one connection, shared by threads under a lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: autocommit, with explicit BEGIN IMMEDIATE where it matters,
        # so a write takes the lock up front rather than failing half-way.
        self._db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                   check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._db.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL loses at most the last commits on power loss, never
            # corrupts, and spares a sync per miss.
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("BEGIN IMMEDIATE")
            for statement in filter(str.strip, SCHEMA.split(";")):
                self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._db.execute("COMMIT")

    def add(self, miss: Miss) -> None:
        with self._lock:
            # OR IGNORE: the same miss written twice (a retried import) is kept once.
            self._db.execute(
                "INSERT OR IGNORE INTO misses (id, at, server, text, kind, confidence, candidates, "
                "user) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (miss.id or new_miss_id(), _seconds(miss.at), miss.server, miss.text, miss.kind,
                 miss.confidence, json.dumps([list(c) for c in miss.candidates]), miss.user),
            )

    def add_feedback(self, feedback: Feedback) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO feedback (at, server, miss_id, intent, vote, suggestion) "
                "SELECT ?, ?, ?, ?, ?, ? WHERE ? IS NULL OR EXISTS "
                "(SELECT 1 FROM misses WHERE id = ?)",
                (_seconds(feedback.at), feedback.server, feedback.miss_id, feedback.intent,
                 feedback.vote.value, feedback.suggestion, feedback.miss_id, feedback.miss_id),
            )

    def misses(self, scope: Scope = "all", since: datetime | None = None) -> list[Miss]:
        where, args = _where(scope, since)
        with self._lock:
            rows = self._db.execute(
                "SELECT id, at, server, text, kind, confidence, candidates, user FROM misses"
                f"{where} ORDER BY at, id", args
            ).fetchall()
        return [
            Miss(_when(at), text, kind, confidence,
                 tuple((str(i), float(s)) for i, s in json.loads(candidates)), user, server, id_)
            for id_, at, server, text, kind, confidence, candidates, user in rows
        ]  # fmt: skip

    def feedback(self, scope: Scope = "all", since: datetime | None = None) -> list[Feedback]:
        where, args = _where(scope, since)
        with self._lock:
            rows = self._db.execute(
                f"SELECT at, vote, server, miss_id, intent, suggestion FROM feedback{where} "
                "ORDER BY at, id", args
            ).fetchall()
        return [Feedback(_when(at), Vote(vote), server, miss_id, intent, suggestion)
                for at, vote, server, miss_id, intent, suggestion in rows]

    def purge(self, before: datetime) -> int:
        cutoff = _seconds(before)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM feedback WHERE at < ?", (cutoff,))
                gone = self._db.execute("DELETE FROM misses WHERE at < ?", (cutoff,)).rowcount
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return int(gone)

    def close(self) -> None:
        with self._lock:
            self._db.close()
