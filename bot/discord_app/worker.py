"""The engine runs in worker threads, never on the event loop, and within a time budget.

On the loop, one slow question held up heartbeats and every other user's interactions and
messages (five /ask commands missed Discord's 3-second deadline behind one message of spaces).
Here a question past the budget gets a polite reply at once; its thread finishes on its own.

An answer takes about a millisecond, so the loop's thread first waits for it blocked, for at
most ENGINE_WAIT_SECONDS: the worker then has the GIL to itself. Awaited from the start, the
loop went on with its sockets meanwhile and each socket call handed the GIL to the worker and
back (some 20 to 28 thread switches an answer instead of about 7). Past that wait the answer is
awaited, so a slow question holds the loop no longer than it.

The hand-off is a queue and one lock a question, not an executor's futures: a future's
condition variable, its waiter lock and its callbacks cost the loop and the worker some tens of
microseconds an answer, and the loop needs an asyncio future only for a question past the wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time

from bot.core.config import ENGINE_WAIT_SECONDS
from bot.core.context import Conversation
from bot.core.engine import Engine
from bot.core.guard import FAILED_TEXT, SLOW_TEXT, unanswered
from bot.core.models import Answer

log = logging.getLogger(__name__)

# Answering is CPU-bound and holds the GIL, so more threads add no speed; a few let quick
# questions pass one that is stuck, and cap what stuck ones can hold.
WORKERS = 4


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():  # not timed out or cancelled meanwhile
        future.set_result(None)


class _Job:
    """One question on its way through a worker thread. `done` is held until it is answered;
    `waiter` is set by the loop only once it stops waiting blocked."""

    __slots__ = ("answer", "conversation", "done", "engine", "error", "question", "waiter")

    def __init__(self, engine: Engine, question: str, conversation: Conversation | None) -> None:
        self.engine = engine
        self.question = question
        self.conversation = conversation
        self.answer: Answer | None = None
        self.error: BaseException | None = None
        self.done = threading.Lock()
        self.done.acquire()
        self.waiter: tuple[asyncio.AbstractEventLoop, asyncio.Future[None]] | None = None

    def run(self) -> None:
        try:
            self.answer = self.engine.ask(self.question, self.conversation)
        except BaseException as error:  # reported on the loop, as a reply that says so
            self.error = error
        self.done.release()
        # Read after the release: a loop that set it before sees `done` free or is woken here.
        waiter = self.waiter
        if waiter is not None:
            loop, future = waiter
            with contextlib.suppress(RuntimeError):  # the loop closed at shutdown
                loop.call_soon_threadsafe(_settle, future)


def _serve(jobs: queue.SimpleQueue[_Job | None]) -> None:
    while (job := jobs.get()) is not None:
        job.run()


class EngineWorker:
    def __init__(self, budget_seconds: float, workers: int = WORKERS,
                 wait_seconds: float = ENGINE_WAIT_SECONDS) -> None:
        self.budget_seconds = budget_seconds
        self.wait_seconds = min(wait_seconds, budget_seconds)
        self.workers = workers
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._closed = False

    def _start(self) -> None:
        # Daemon threads: a question still running at exit has no one left to answer to.
        for n in range(self.workers):
            thread = threading.Thread(target=_serve, args=(self._jobs,), name=f"engine_{n}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)

    async def ask(self, engine: Engine, question: str, conversation: Conversation | None) -> Answer:
        """The engine's answer; past the budget or on an error, a reply that says so."""
        started = time.monotonic()
        if not self._threads:
            if self._closed:
                raise RuntimeError("the engine worker was shut down")
            self._start()
        job = _Job(engine, question, conversation)
        self._jobs.put(job)
        if not job.done.acquire(timeout=self.wait_seconds):
            loop = asyncio.get_running_loop()
            future = loop.create_future()
            job.waiter = (loop, future)
            if not job.done.acquire(blocking=False):  # else it finished before `waiter` was set
                remaining = self.budget_seconds - (time.monotonic() - started)
                try:
                    await asyncio.wait_for(future, max(0.0, remaining))
                except TimeoutError:
                    log.warning("a question took longer than the %.1f s budget; replied that it "
                                "was slow", self.budget_seconds)
                    return unanswered(SLOW_TEXT)
        if job.error is None and job.answer is not None:
            return job.answer
        if job.error is not None and not isinstance(job.error, Exception):
            raise job.error
        log.error("answering a question failed", exc_info=job.error)
        return unanswered(FAILED_TEXT)

    def shutdown(self) -> None:
        # Queued questions have no one left to answer to; one already running finishes, and
        # the engine is linear in its capped input, so that takes milliseconds.
        with contextlib.suppress(queue.Empty):
            while True:
                self._jobs.get_nowait()
        self._closed = True
        for _ in self._threads:
            self._jobs.put(None)
        self._threads.clear()
