"""Run the real bot as a separate process against a FakeDiscord, and stop it cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.fake_discord.server import FakeDiscord

REPO_ROOT = Path(__file__).resolve().parents[2]


class BotProcess:
    """`python -m tests.fake_discord.launch` in a scratch directory (so no stray .env is read)."""

    def __init__(
        self,
        fake: FakeDiscord,
        workdir: Path,
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
    ) -> None:
        self.fake = fake
        self.workdir = workdir
        self.log_path = workdir / "bot.log"
        self.misses_db = workdir / "misses.sqlite3"
        self.args = args
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(REPO_ROOT),
            "PYTHONUNBUFFERED": "1",
            "MPLBACKEND": "Agg",
            "MPLCONFIGDIR": str(workdir / "mpl"),
            "HOME": str(workdir),
            "FAKE_DISCORD_URL": fake.base_url,
            "DISCORD_TOKEN": fake.token,
            "DEV_GUILD_ID": str(fake.guild_id),
            "LOG_LEVEL": "INFO",
            "CNRP_MISSES_DB": str(workdir / "misses.sqlite3"),
            **(env or {}),
        }
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")  # a restarted bot adds to the same log
        try:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.fake_discord.launch",
                *self.args,
                cwd=self.workdir,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        finally:
            log.close()

    async def wait_ready(self, timeout: float = 30.0) -> None:
        """Until the first session has received READY and the guild (GUILD_CREATE)."""

        def ready() -> bool:
            self._check_alive()
            return any(
                any(f["t"] == "GUILD_CREATE" for f in s.sent) for s in self.fake.sessions.values()
            )

        await self.fake.wait_for(ready, timeout, "the bot to identify")

    def _check_alive(self) -> None:
        if self.proc is not None and self.proc.returncode is not None:
            raise AssertionError(f"bot exited with {self.proc.returncode}:\n{self.log()}")

    async def stop(self, timeout: float = 15.0) -> int:
        proc = self.proc
        if proc is None:
            return 0
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        assert proc.returncode is not None
        return proc.returncode

    async def wait_exit(self, timeout: float = 30.0) -> int:
        assert self.proc is not None
        return await asyncio.wait_for(self.proc.wait(), timeout)

    def log(self) -> str:
        return (
            self.log_path.read_text(encoding="utf-8", errors="replace")
            if self.log_path.exists()
            else ""
        )
