"""What only the SQLite store does: a file in WAL mode, made where it is asked for. What every
store does (scopes, retention, several writers at once) is tested against SQLite and PostgreSQL
alike in test_misses_store.py."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from bot.core.misses_sqlite import SCHEMA_VERSION, SqliteMissStore


def test_the_file_is_in_wal_mode_with_its_schema_version(tmp_path: Path) -> None:
    SqliteMissStore(tmp_path / "misses.sqlite3").close()
    # closing(): a connection's own context manager commits but does not close.
    with contextlib.closing(sqlite3.connect(tmp_path / "misses.sqlite3")) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_the_folder_is_made_when_missing(tmp_path: Path) -> None:
    path = tmp_path / "state" / "cnrp-bot" / "misses.sqlite3"
    SqliteMissStore(path).close()
    assert path.is_file()
