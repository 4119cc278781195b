"""The engine runs in worker threads within a time budget: the event loop waits on it only briefly."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace
from typing import Any

import pytest

from bot.core.context import ConversationStore
from bot.core.guard import FAILED_TEXT, SLOW_TEXT
from bot.core.models import Answer, ReplyKind
from bot.discord_app.cogs.ask import AskCog
from bot.discord_app.ratelimit import RateLimiter
from bot.discord_app.runtime import Runtime
from bot.discord_app.settings import Secret, Settings
from bot.discord_app.worker import EngineWorker, _Job


class StandInEngine:
    """Answers at once, except a question naming "stuck", which waits until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.threads: list[int] = []

    def ask(self, question: str, context: Any = None) -> Answer:
        self.threads.append(threading.get_ident())
        if "boom" in question:
            raise RuntimeError("a bug")
        if "stuck" in question:
            self.release.wait(30)
        return Answer(matched=True, intent="party.founders", confidence=0.9, text=question,
                      kind=ReplyKind.ANSWER)


@pytest.fixture()
def stand_in() -> Any:
    stand_in = StandInEngine()
    yield stand_in
    stand_in.release.set()


class _Ticker:
    """Counts the event loop's turns, one every 10 ms while it is free to run (heartbeats and
    other users' interactions would run the same way)."""

    def __init__(self) -> None:
        self.ticks = 0
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            self.ticks += 1
            await asyncio.sleep(0.01)

    def stop(self) -> None:
        self._task.cancel()


async def test_the_engine_never_runs_on_the_event_loop(stand_in: StandInEngine) -> None:
    worker = EngineWorker(budget_seconds=5)
    answer = await worker.ask(stand_in, "who founded the cnrp", None)  # type: ignore[arg-type]
    assert answer.text == "who founded the cnrp"
    assert stand_in.threads and threading.get_ident() not in stand_in.threads
    worker.shutdown()


async def test_a_stuck_question_gets_a_polite_reply_and_others_are_answered(stand_in: StandInEngine) -> None:
    worker = EngineWorker(budget_seconds=0.2)
    beat = _Ticker()
    stuck = asyncio.create_task(worker.ask(stand_in, "stuck", None))  # type: ignore[arg-type]
    quick = await worker.ask(stand_in, "who founded the cnrp", None)  # type: ignore[arg-type]
    assert quick.matched, "another user's question does not wait for the stuck one"
    slow = await stuck
    assert (slow.text, slow.matched, slow.kind) == (SLOW_TEXT, False, ReplyKind.UNKNOWN)
    assert beat.ticks > 1, "the loop kept running (heartbeats, other interactions) meanwhile"
    beat.stop()
    stand_in.release.set()
    worker.shutdown()


async def test_a_quick_answer_waited_for_is_the_answer_awaited(stand_in: StandInEngine) -> None:
    # The loop's thread first waits for the answer blocked; with no such wait it is awaited.
    waits, awaits = EngineWorker(budget_seconds=5, wait_seconds=5), EngineWorker(budget_seconds=5, wait_seconds=0)
    assert waits.wait_seconds == 5 and awaits.wait_seconds == 0
    for question in ("who founded the cnrp", "boom"):
        assert await waits.ask(stand_in, question, None) == await awaits.ask(stand_in, question, None)  # type: ignore[arg-type]
    assert threading.get_ident() not in stand_in.threads
    waits.shutdown()
    awaits.shutdown()


async def test_the_loop_waits_blocked_no_longer_than_the_wait(stand_in: StandInEngine) -> None:
    worker = EngineWorker(budget_seconds=5, wait_seconds=0.01)
    assert EngineWorker(budget_seconds=0.2, wait_seconds=1).wait_seconds == 0.2, "never past the budget"
    beat = _Ticker()
    slow = asyncio.create_task(worker.ask(stand_in, "stuck for a while", None))  # type: ignore[arg-type]
    await asyncio.sleep(0.2)
    assert not slow.done() and beat.ticks > 5, "past the wait, the loop runs while the answer is awaited"
    stand_in.release.set()
    answer = await slow
    assert (answer.text, answer.matched) == ("stuck for a while", True), "then answered, within the budget"
    beat.stop()
    worker.shutdown()


async def test_an_answer_past_the_wait_arrives_whichever_side_of_the_hand_over_it_lands_on(
        stand_in: StandInEngine) -> None:
    loop = asyncio.get_running_loop()
    # Finished before the loop stopped waiting blocked: the lock is free, nothing is scheduled.
    early = _Job(stand_in, "who founded the cnrp", None)  # type: ignore[arg-type]
    early.run()
    early.waiter = (loop, loop.create_future())
    assert early.done.acquire(blocking=False) and early.answer is not None
    # Finished after: the worker wakes the loop through the future, once.
    late = _Job(stand_in, "who founded the cnrp", None)  # type: ignore[arg-type]
    future: asyncio.Future[None] = loop.create_future()
    late.waiter = (loop, future)
    assert not late.done.acquire(blocking=False)
    await asyncio.to_thread(late.run)
    await asyncio.wait_for(future, 5)
    assert late.answer is not None and late.answer.text == "who founded the cnrp"
    # With no blocked wait at all, every answer still comes back, each to its own question.
    worker = EngineWorker(budget_seconds=5, wait_seconds=0)
    questions = [f"question {n}" for n in range(200)]
    answers = await asyncio.gather(*(worker.ask(stand_in, q, None) for q in questions))  # type: ignore[arg-type]
    assert [a.text for a in answers] == questions
    worker.shutdown()
    with pytest.raises(RuntimeError):
        await worker.ask(stand_in, "after shutdown", None)  # type: ignore[arg-type]


async def test_an_engine_error_is_a_reply_not_silence(stand_in: StandInEngine,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    worker = EngineWorker(budget_seconds=5)
    answer = await worker.ask(stand_in, "boom", None)  # type: ignore[arg-type]
    assert answer.text == FAILED_TEXT and not answer.matched
    assert "answering a question failed" in caplog.text
    worker.shutdown()


def test_the_budget_is_a_setting_well_under_discords_deadline(tmp_path: Any) -> None:
    env = {"DISCORD_TOKEN": "t"}
    assert Settings.from_env(env, dotenv_path=tmp_path / ".env").answer_budget_seconds == 1.5
    custom = Settings.from_env({**env, "ANSWER_BUDGET_SECONDS": "0.8"}, dotenv_path=tmp_path / ".env")
    assert custom.answer_budget_seconds == 0.8
    with pytest.raises(ValueError, match="ANSWER_BUDGET_SECONDS"):
        Settings.from_env({**env, "ANSWER_BUDGET_SECONDS": "0"}, dotenv_path=tmp_path / ".env")


async def test_every_way_of_asking_goes_through_the_worker(stand_in: StandInEngine) -> None:
    settings = Settings(token=Secret("x"), answer_budget_seconds=0.2)
    runtime = Runtime(settings=settings, engine=stand_in, limiter=RateLimiter(0, 1.0),  # type: ignore[arg-type]
                      conversations=ConversationStore())
    assert runtime.worker.budget_seconds == 0.2, "the runtime's worker keeps ANSWER_BUDGET_SECONDS"
    cog = AskCog(SimpleNamespace(shard_count=None), runtime)  # type: ignore[arg-type]
    answer = await cog.answer("stuck", user_id=1, channel_id=2, via="mention")
    assert answer.text == SLOW_TEXT
    assert threading.get_ident() not in stand_in.threads
    stand_in.release.set()
    runtime.worker.shutdown()


async def test_one_users_questions_are_answered_in_the_order_they_came(stand_in: StandInEngine) -> None:
    # In threads a quick question could overtake a slow one from the same user; its reply would
    # then take the earlier place in the rate limit, and a follow-up be read too early.
    settings = Settings(token=Secret("x"), answer_budget_seconds=30)
    runtime = Runtime(settings=settings, engine=stand_in, limiter=RateLimiter(0, 1.0),  # type: ignore[arg-type]
                      conversations=ConversationStore())
    cog = AskCog(SimpleNamespace(shard_count=None), runtime)  # type: ignore[arg-type]
    done: list[str] = []

    async def ask(question: str, user_id: int) -> None:
        done.append((await cog.answer(question, user_id=user_id, channel_id=2, via="dm")).text)

    first = asyncio.create_task(ask("stuck, asked first", 1))
    second = asyncio.create_task(ask("asked second", 1))
    await ask("another user's", 3)  # not held behind someone else's questions
    assert done == ["another user's"]
    stand_in.release.set()
    await asyncio.gather(first, second)
    assert done == ["another user's", "stuck, asked first", "asked second"]
    assert len(runtime.in_order) == 0, "nothing kept for users with nothing in flight"
    runtime.worker.shutdown()
