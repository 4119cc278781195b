"""Burst, then delay: a per-user rate limit that slows a flood down and never drops a question.

Each user may have `burst` answers sent within `per` seconds; past that, the next answer
waits for the window to turn, and the ones after it queue behind it in the order they came.
A flood from one user is spread out over time, while everyone else is answered at once.

The buckets are discord.py's own (`commands.CooldownMapping` of `app_commands.Cooldown`),
which also forgets users who have been quiet for a whole window. What discord.py does with a
spent bucket (raise CommandOnCooldown, i.e. drop the command) is what this module replaces.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from discord.ext import commands

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
# discord.py's buckets report a retry-after of 0 at the very end of a window, and a window
# only turns strictly after it; waiting at least this long always makes progress.
MIN_STEP = 0.01


def _user_key(user_id: int) -> int:
    return user_id


class RateLimiter:
    def __init__(self, burst: int, per: float, *, clock: Clock = time.time,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.burst = burst
        self.per = per
        self._clock = clock
        self._sleep = sleep
        self._buckets: commands.CooldownMapping[int] = commands.CooldownMapping.from_cooldown(
            burst, per, _user_key)
        # Users with answers waiting: later answers queue behind the lock, in order.
        self._queues: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self._open = asyncio.Event()  # set at shutdown: nobody waits any more

    @property
    def enabled(self) -> bool:
        return self.burst > 0 and not self._open.is_set()

    def _now(self) -> float:
        # discord.py treats a falsy time as "now by time.time()", so a clock at 0 is nudged.
        return self._clock() or MIN_STEP

    def would_wait(self, user_id: int) -> bool:
        """Whether `wait_turn` would sleep now (slash commands defer first when it would)."""
        if not self.enabled:
            return False
        if user_id in self._queues:
            return True
        bucket = self._buckets.get_bucket(user_id, self._now())
        return bucket is not None and bucket.get_tokens(self._now()) <= 0

    def waiting(self) -> int:
        """Answers held back right now, all users together."""
        return sum(self._waiting.values())

    async def wait_turn(self, user_id: int) -> float:
        """Return when this user's next answer may be sent; the seconds it waited."""
        if not self.enabled:
            return 0.0
        if user_id not in self._queues and self._take(user_id):
            return 0.0
        entered = self._now()
        lock = self._queues.setdefault(user_id, asyncio.Lock())
        self._waiting[user_id] = self._waiting.get(user_id, 0) + 1
        try:
            async with lock:  # behind this user's earlier answers, in the order they came
                while self.enabled and not self._take(user_id):
                    bucket = self._buckets.get_bucket(user_id, self._now())
                    retry = bucket.get_retry_after(self._now()) if bucket else 0.0
                    await self._pause(max(MIN_STEP, retry))
        finally:
            self._waiting[user_id] -= 1
            if not self._waiting[user_id]:
                del self._waiting[user_id]
                del self._queues[user_id]
        return max(self._now() - entered, MIN_STEP)

    def _take(self, user_id: int) -> bool:
        """Spend one of the user's tokens if one is left."""
        return self._buckets.update_rate_limit(user_id, self._now()) is None

    async def _pause(self, delay: float) -> None:
        """Sleep `delay` seconds, or less if the limiter opens meanwhile (shutdown)."""
        sleeper = asyncio.ensure_future(self._sleep(delay))
        opened = asyncio.ensure_future(self._open.wait())
        try:
            await asyncio.wait({sleeper, opened}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, opened):
                task.cancel()

    def open(self) -> None:
        """Let every waiting answer go now, and stop limiting: the bot is shutting down."""
        self._open.set()
