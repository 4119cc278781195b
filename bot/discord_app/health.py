"""`/healthz` and `/metrics` over HTTP, on METRICS_HOST:METRICS_PORT (loopback by default).

Served by aiohttp, which discord.py already depends on, in the bot's own event loop. The
server starts before the bot connects, so an orchestrator sees "starting" (503) until every
shard is connected and the knowledge base is loaded, then "ready" (200).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable
from typing import Any, Protocol

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.core.resources import program_version
from bot.discord_app.monitoring import Metrics, ShardStatus, Status
from bot.discord_app.runtime import Runtime

log = logging.getLogger(__name__)


class HealthServerError(Exception):
    """The endpoint cannot listen where the settings say (a port in use, an unknown host)."""


class _Shard(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def latency(self) -> float: ...

    def is_closed(self) -> bool: ...


class Gateway(Protocol):
    """What a health check reads of the bot: discord.AutoShardedClient provides it."""

    @property
    def shards(self) -> dict[int, Any]: ...

    @property
    def shard_count(self) -> int | None: ...

    def is_ready(self) -> bool: ...

    def is_closed(self) -> bool: ...


def _seconds(value: float) -> float | None:
    # discord.py reports inf (or nan) until a heartbeat has been acknowledged.
    return value if math.isfinite(value) else None


def status_of(bot: Gateway, runtime: Runtime) -> Status:
    shards: Iterable[_Shard] = bot.shards.values()
    return Status(
        logged_in=bot.is_ready() and not bot.is_closed(),
        shards=tuple(sorted((ShardStatus(s.id, not s.is_closed(), _seconds(s.latency)) for s in shards),
                            key=lambda s: s.id)),
        knowledge=runtime.knowledge,
    )


def health_json(status: Status, *, shard_count: int | None, uptime_seconds: float) -> dict[str, Any]:
    """The body of /healthz: enough for an operator to see which shard is down, and whether
    every process serves the same knowledge (the version is a digest of its files)."""
    latencies = [s.latency for s in status.shards if s.latency is not None]
    knowledge = status.knowledge
    return {
        "status": "ready" if status.ready else ("disconnected" if status.logged_in else "starting"),
        "ready": status.ready,
        "version": program_version(),
        "uptime_seconds": round(uptime_seconds, 1),
        "shard_count": shard_count,
        "latency_ms": round(1000 * sum(latencies) / len(latencies), 1) if latencies else None,
        "shards": [{"id": s.id, "connected": s.connected,
                    "latency_ms": None if s.latency is None else round(1000 * s.latency, 1)}
                   for s in status.shards],
        "knowledge": None if knowledge is None else {
            "version": knowledge.version,
            "loaded_at": knowledge.loaded_at.isoformat(timespec="seconds"),
            "load_seconds": round(knowledge.load_seconds, 3),
            "intents": knowledge.intents,
        },
    }  # fmt: skip


class HealthServer:
    """The HTTP endpoint; `start()` before the bot connects, `stop()` after it closes."""

    def __init__(self, bot: Gateway, runtime: Runtime, host: str, port: int) -> None:
        self.bot = bot
        self.runtime = runtime
        self.host = host
        self.port = port
        self.started = time.monotonic()
        self._runner: web.AppRunner | None = None
        runtime.metrics.watch(self.status)

    @property
    def metrics(self) -> Metrics:
        return self.runtime.metrics

    def status(self) -> Status:
        return status_of(self.bot, self.runtime)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        # No access log: a scrape every few seconds would drown the answers' log lines.
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except OSError as error:
            await runner.cleanup()
            raise HealthServerError(f"METRICS_PORT: cannot listen on {self.host}:{self.port}: "
                                    f"{error.strerror or error}") from error
        self._runner = runner
        log.info("health and metrics on http://%s:%d/healthz and /metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        status = self.status()
        body = health_json(status, shard_count=self.bot.shard_count,
                           uptime_seconds=time.monotonic() - self.started)
        return web.json_response(body, status=200 if status.ready else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        # CONTENT_TYPE_LATEST carries a charset, which aiohttp's content_type= refuses.
        return web.Response(body=generate_latest(self.metrics.registry),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})
