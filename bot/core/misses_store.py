"""Opening the misses store the settings name: SQLite on one machine (the default), or one
PostgreSQL database that every shard process, on any machine, writes to.

Callers catch one exception, `StoreUnavailable`, whichever backend failed, and its message is
fit to print: a database URL is shown without its password.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from bot.core.misses import MissStore

POSTGRES_SCHEMES = ("postgresql", "postgres")


class StoreUnavailable(Exception):
    """The store cannot be opened; the message says which one and why, with no password."""


def is_database_url(target: str) -> bool:
    return "://" in target and urlsplit(target).scheme.lower() in POSTGRES_SCHEMES


def describe_url(url: str) -> str:
    """A database URL without its password or query, e.g. postgresql://bot@db.internal:5432/cnrp."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a malformed port: shown as nothing rather than failing a message
        port = ""
    return f"{parts.scheme}://{user}{parts.hostname or ''}{port}{parts.path}"


def open_store(target: str | Path) -> MissStore:
    """The store at `target`: a postgresql:// URL, or the path of a SQLite file."""
    if isinstance(target, str) and is_database_url(target):
        return _open_postgres(target)
    # Imported when a store is opened: the settings use this module, and a process that only
    # answers (the command line's `ask`) never opens one.
    import sqlite3

    from bot.core.misses_sqlite import SqliteMissStore

    path = Path(target)
    try:
        return SqliteMissStore(path)
    except (OSError, sqlite3.Error) as exc:
        raise StoreUnavailable(f"cannot open {path}: {exc}") from exc


def _open_postgres(url: str) -> MissStore:
    try:
        import psycopg

        from bot.core.misses_postgres import PostgresMissStore
    except ImportError as exc:  # the driver is an extra: pip install 'cnrp-bot[postgres]'
        raise StoreUnavailable(f"{describe_url(url)} needs the PostgreSQL driver: "
                               "pip install 'cnrp-bot[postgres]'") from exc
    try:
        return PostgresMissStore(url)
    except psycopg.Error as exc:
        # libpq's messages never carry the password; they may span lines, so they are joined.
        reason = " ".join(str(exc).split())
        raise StoreUnavailable(f"cannot use {describe_url(url)}: {reason}") from exc
