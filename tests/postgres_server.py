"""A real PostgreSQL server for the tests: initdb and pg_ctl on a temporary folder, listening on
a free loopback port, stopped and removed when the session ends.

Found on the PATH or where Debian and Ubuntu put the server (/usr/lib/postgresql/<ver>/bin);
`.ci/run` installs it where it is missing. Only when the binaries truly are not installed do
the PostgreSQL tests skip, saying so. PostgreSQL refuses to run as root, so as root the server
runs as the `postgres` user (or `nobody`), which owns its folder.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SERVER_DIRS = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin", "/opt/homebrew/opt/postgresql*/bin",
               "/usr/pgsql-*/bin")
NOT_INSTALLED = ("PostgreSQL server binaries (initdb, pg_ctl) are not installed: apt-get install "
                 "postgresql (.ci/run does) to run the PostgreSQL store tests")
# Durability is not what these tests measure; without fsync the server starts and writes faster.
SERVER_OPTIONS = ("-c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off "
                  "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50")


def server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, the newest version first, or None."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).resolve().parent
    candidates = [Path(p) for pattern in SERVER_DIRS for p in sorted(Path("/").glob(pattern.lstrip("/")))]

    def version(folder: Path) -> tuple[int, ...]:
        digits = "".join(ch if ch.isdigit() else " " for ch in str(folder))
        return tuple(int(n) for n in digits.split())

    for folder in sorted(candidates, key=version, reverse=True):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    binaries: Path
    folder: Path
    port: int
    user: pwd.struct_passwd | None  # whom the server runs as, when the tests run as root
    _databases: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def _run(self, *argv: str) -> None:
        kwargs = {} if self.user is None else {"user": self.user.pw_uid, "group": self.user.pw_gid,
                                               "extra_groups": []}
        done = subprocess.run(argv, capture_output=True, text=True, check=False,
                              cwd=self.folder, **kwargs)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")

    @classmethod
    def start(cls) -> PostgresServer:
        binaries = server_binaries()
        if binaries is None:
            pytest.skip(NOT_INSTALLED)
        user = None
        if os.geteuid() == 0:
            names = ("postgres", "nobody")
            user = next((pwd.getpwnam(n) for n in names if _user_exists(n)), None)
            if user is None:
                pytest.skip("running as root, with no postgres or nobody user to run PostgreSQL as")
        folder = Path(tempfile.mkdtemp(prefix="cnrp-postgres-"))
        if user is not None:
            os.chown(folder, user.pw_uid, user.pw_gid)
        server = cls(binaries, folder, free_port(), user)
        data = folder / "data"
        server._run(str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                    "-E", "UTF8", "--locale=C")
        server._run(str(binaries / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"),
                    "-o", f"-p {server.port} {SERVER_OPTIONS}", "-w", "-t", "60", "start")
        return server

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._run(str(self.binaries / "pg_ctl"), "-D", str(self.folder / "data"), "-m",
                      "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        name = f"cnrp_test_{next(self._databases)}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        return self.url(name)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    pytest.importorskip("psycopg", reason="psycopg is installed with the dev extra")
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of an empty database of the test's own."""
    return postgres_server.new_database()
