"""The engine runs in worker threads, never on the event loop, and within a time budget.

On the loop, one slow question held up heartbeats and every other user's interactions and
messages (five /ask commands missed Discord's 3-second deadline behind one message of spaces).
Here a question past the budget gets a polite reply at once; its thread finishes on its own.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from concurrent.futures import ThreadPoolExecutor

from bot.core.context import Conversation
from bot.core.engine import Engine
from bot.core.guard import FAILED_TEXT, SLOW_TEXT, unanswered
from bot.core.models import Answer

log = logging.getLogger(__name__)

# Answering is CPU-bound and holds the GIL, so more threads add no speed; a few let quick
# questions pass one that is stuck, and cap what stuck ones can hold.
WORKERS = 4


class EngineWorker:
    def __init__(self, budget_seconds: float, workers: int = WORKERS) -> None:
        self.budget_seconds = budget_seconds
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="engine")

    async def ask(self, engine: Engine, question: str, conversation: Conversation | None) -> Answer:
        """The engine's answer; past the budget or on an error, a reply that says so."""
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(self._pool, functools.partial(engine.ask, question, conversation))
        try:
            return await asyncio.wait_for(work, self.budget_seconds)
        except TimeoutError:
            log.warning("a question took longer than the %.1f s budget; replied that it was slow",
                        self.budget_seconds)
            return unanswered(SLOW_TEXT)
        except Exception:
            log.exception("answering a question failed")
            return unanswered(FAILED_TEXT)

    def shutdown(self) -> None:
        # Queued questions have no one left to answer to; one already running finishes, and
        # the engine is linear in its capped input, so that takes milliseconds.
        self._pool.shutdown(wait=False, cancel_futures=True)
