"""The engine runs in worker threads, never on the event loop, and within a time budget.

On the loop, one slow question held up heartbeats and every other user's interactions and
messages (five /ask commands missed Discord's 3-second deadline behind one message of spaces).
Here a question past the budget gets a polite reply at once; its thread finishes on its own.

An answer takes about a millisecond, so the loop's thread first waits for it blocked, for at
most ENGINE_WAIT_SECONDS: the worker then has the GIL to itself. Awaited from the start, the
loop went on with its sockets meanwhile and each socket call handed the GIL to the worker and
back (some 20 to 28 thread switches an answer instead of about 7). Past that wait the answer is
awaited, so a slow question holds the loop no longer than it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import CancelledError as FutureCancelled
from concurrent.futures import ThreadPoolExecutor

from bot.core.config import ENGINE_WAIT_SECONDS
from bot.core.context import Conversation
from bot.core.engine import Engine
from bot.core.guard import FAILED_TEXT, SLOW_TEXT, unanswered
from bot.core.models import Answer

log = logging.getLogger(__name__)

# Answering is CPU-bound and holds the GIL, so more threads add no speed; a few let quick
# questions pass one that is stuck, and cap what stuck ones can hold.
WORKERS = 4


class EngineWorker:
    def __init__(self, budget_seconds: float, workers: int = WORKERS,
                 wait_seconds: float = ENGINE_WAIT_SECONDS) -> None:
        self.budget_seconds = budget_seconds
        self.wait_seconds = min(wait_seconds, budget_seconds)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="engine")

    async def ask(self, engine: Engine, question: str, conversation: Conversation | None) -> Answer:
        """The engine's answer; past the budget or on an error, a reply that says so."""
        started = time.monotonic()
        job = self._pool.submit(engine.ask, question, conversation)
        try:
            failed = job.exception(timeout=self.wait_seconds)
        except (TimeoutError, FutureCancelled):
            pass  # still running (or cancelled at shutdown): awaited below, as any other
        else:
            if failed is None:
                return job.result()
        try:
            remaining = self.budget_seconds - (time.monotonic() - started)
            return await asyncio.wait_for(asyncio.wrap_future(job), max(0.0, remaining))
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
