"""What the cogs and buttons share while the bot runs, in one object the bot carries.

The cogs and the persistent buttons reach it through `runtime_of(client)`, so neither imports
app.py (which loads the cogs by name) and app.py imports no cog.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import discord

from bot.core.context import ConversationStore
from bot.core.engine import Engine
from bot.core.misses import Feedback, Miss, MissStore
from bot.core.misspolicy import MissPolicy
from bot.core.models import Answer
from bot.discord_app.monitoring import KnowledgeInfo, Metrics
from bot.discord_app.ratelimit import RateLimiter
from bot.discord_app.settings import Settings
from bot.discord_app.worker import EngineWorker

log = logging.getLogger(__name__)

class Asker(Protocol):
    """Asks the engine in the asker's conversation and logs one line; the Ask cog provides it."""

    async def __call__(self, question: str, *, user_id: int, channel_id: int, via: str,
                       server_id: int | None = None) -> Answer: ...


class InFlight:
    """Counts the questions being answered, so shutdown can wait for them to finish.

    `track()` is itself the context manager (it keeps nothing per question): a generator-based
    one (contextlib.asynccontextmanager) made an async generator and its wrapper a question."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.finished = 0

    def track(self) -> InFlight:
        return self

    async def __aenter__(self) -> None:
        self._count += 1
        self._idle.clear()

    async def __aexit__(self, *exc_info: object) -> None:
        self._count -= 1
        self.finished += 1
        if not self._count:
            self._idle.set()

    def __len__(self) -> int:
        return self._count

    async def idle(self, timeout: float) -> bool:
        """Wait until nothing is in flight; False when `timeout` passed first."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True


class InOrder:
    """One user's questions go to the engine one at a time, in the order they came. In worker
    threads two of them could otherwise finish out of order: their replies would then take
    their places in the rate limit out of order too, and a follow-up could be read before the
    answer it follows. A user with nothing in flight holds no lock."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._queued: dict[int, int] = {}

    def turn(self, user_id: int) -> _Turn:
        return _Turn(self, user_id)

    def _leave(self, user_id: int) -> None:
        self._queued[user_id] -= 1
        if not self._queued[user_id]:
            del self._queued[user_id], self._locks[user_id]

    def __len__(self) -> int:
        return len(self._locks)


class _Turn:
    """One question's turn in `InOrder` (a class, not a generator-based context manager: see
    `InFlight`)."""

    __slots__ = ("_lock", "_order", "_user_id")

    def __init__(self, order: InOrder, user_id: int) -> None:
        self._order = order
        self._user_id = user_id
        self._lock: asyncio.Lock | None = None

    async def __aenter__(self) -> None:
        order, user_id = self._order, self._user_id
        lock = self._lock = order._locks.setdefault(user_id, asyncio.Lock())
        order._queued[user_id] = order._queued.get(user_id, 0) + 1
        try:
            await lock.acquire()  # asyncio.Lock wakes its waiters first come, first served
        except BaseException:  # cancelled while waiting: the place in the queue goes too
            order._leave(user_id)
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._lock is not None
        self._lock.release()
        self._order._leave(self._user_id)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    limiter: RateLimiter
    conversations: ConversationStore
    store: MissStore | None = None
    ask: Asker | None = None  # set by the Ask cog when it loads
    # Every message the bot sees goes here (the Ask cog's handler, set when it loads).
    on_message: Callable[[discord.Message], Awaitable[None]] | None = None
    inflight: InFlight = field(default_factory=InFlight)
    # Views whose state lives only in this process (see views.LocalView): disabled at shutdown.
    local_views: set[Any] = field(default_factory=set)
    # Each user's questions reach the engine in the order they came.
    in_order: InOrder = field(default_factory=InOrder)
    metrics: Metrics = field(default_factory=Metrics)
    knowledge: KnowledgeInfo | None = None  # the knowledge base being served, for /healthz
    # The engine answers in these threads, never on the event loop, within ANSWER_BUDGET_SECONDS.
    worker: EngineWorker = field(init=False)

    def __post_init__(self) -> None:
        self.worker = EngineWorker(self.settings.answer_budget_seconds)

    def serve(self, engine: Engine, knowledge: KnowledgeInfo) -> None:
        """Answer from now on with `engine`, loaded as `knowledge` says (a /reload)."""
        self.engine = engine
        self.knowledge = knowledge

    @property
    def policy(self) -> MissPolicy:
        return self.settings.misses

    async def keep(self, miss: Miss) -> None:
        """Keep a miss (after its reply is sent: the asker never waits for the disk). A store
        that fails costs the asker nothing but a log line."""
        if self.store is None:
            return
        try:
            await asyncio.to_thread(self.store.add, miss)
        except Exception:
            self.metrics.store_errors.inc()
            log.warning("could not keep a miss", exc_info=True)
            return
        self.metrics.misses.inc()

    async def wait_turn(self, user_id: int) -> None:
        """Hold a reply until the asker's rate limit lets it go (at once, within the burst)."""
        waited = await self.limiter.wait_turn(user_id)
        if waited:
            log.info("held a reply %.1f s: the asker is past RATE_LIMIT_BURST", waited)

    async def keep_feedback(self, feedback: Feedback) -> bool:
        if self.store is None or not self.policy.keeps_anything:
            return False
        try:
            await asyncio.to_thread(self.store.add_feedback, feedback)
        except Exception:
            self.metrics.store_errors.inc()
            log.warning("could not keep feedback", exc_info=True)
            return False
        self.metrics.feedback.labels(feedback.vote.value).inc()
        return True


def runtime_of(client: discord.Client) -> Runtime:
    runtime = getattr(client, "runtime", None)
    if not isinstance(runtime, Runtime):
        raise RuntimeError("this client carries no cnrp-bot runtime")
    return runtime
