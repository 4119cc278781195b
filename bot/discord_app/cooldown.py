"""A per-user cooldown shared by every way of asking (slash, mention, DM, listen channel)."""

from __future__ import annotations

import time
from collections.abc import Callable

# Forget users who have been quiet this long once the table grows past PRUNE_AT entries,
# so a long-running bot does not keep every user it ever saw.
PRUNE_AT = 10_000


class Cooldown:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._last: dict[int, float] = {}

    def retry_after(self, user_id: int) -> float:
        """0 if the user may ask now (and start their cooldown), else the seconds left."""
        if self.seconds <= 0:
            return 0.0
        now = self._clock()
        last = self._last.get(user_id)
        if last is not None and now - last < self.seconds:
            return self.seconds - (now - last)
        if len(self._last) >= PRUNE_AT:
            self._last = {uid: t for uid, t in self._last.items() if now - t < self.seconds}
        self._last[user_id] = now
        return 0.0
