"""What the cogs share: answers in flight counted for shutdown, misses kept after the reply,
and a failing store that costs the asker nothing."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.core.context import ConversationStore
from bot.core.engine import Engine
from bot.core.misses import Feedback, Miss, Vote
from bot.core.misses_sqlite import SqliteMissStore
from bot.discord_app.ratelimit import RateLimiter
from bot.discord_app.runtime import InFlight, InOrder, Runtime, runtime_of
from bot.discord_app.settings import Secret, Settings

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def make(engine: Engine, store: SqliteMissStore | None) -> Runtime:
    return Runtime(settings=Settings(token=Secret("x")), engine=engine,
                   limiter=RateLimiter(1, 60.0), conversations=ConversationStore(), store=store)


async def test_in_flight_answers_are_waited_for() -> None:
    inflight = InFlight()
    assert await inflight.idle(0.01)
    release = asyncio.Event()

    async def answer() -> None:
        async with inflight.track():
            await release.wait()

    task = asyncio.create_task(answer())
    await asyncio.sleep(0)
    assert len(inflight) == 1 and not await inflight.idle(0.01), "gives up at its deadline"
    release.set()
    assert await inflight.idle(5) and inflight.finished == 1
    await task


async def test_an_answer_that_fails_is_still_counted_as_finished() -> None:
    inflight = InFlight()
    with pytest.raises(RuntimeError):
        async with inflight.track():
            raise RuntimeError("the reply could not be sent")
    assert len(inflight) == 0 and inflight.finished == 1 and await inflight.idle(0.01)


async def test_one_users_questions_take_their_turns_in_the_order_they_came() -> None:
    order = InOrder()
    went: list[str] = []
    first_in = asyncio.Event()
    release = asyncio.Event()

    async def ask(name: str, user: int) -> None:
        async with order.turn(user):
            went.append(name)
            if name == "first":
                first_in.set()
                await release.wait()

    first = asyncio.create_task(ask("first", 1))
    await first_in.wait()
    rest = [asyncio.create_task(ask(name, 1)) for name in ("second", "third")]
    other = asyncio.create_task(ask("another user's", 2))
    await other
    assert went == ["first", "another user's"], "another user does not wait"
    release.set()
    await asyncio.gather(first, *rest)
    assert went == ["first", "another user's", "second", "third"]
    assert len(order) == 0, "a user with nothing in flight holds no lock"


async def test_a_question_cancelled_while_waiting_gives_up_its_place() -> None:
    order = InOrder()
    release = asyncio.Event()
    inside = asyncio.Event()

    async def hold() -> None:
        async with order.turn(1):
            inside.set()
            await release.wait()

    async def wait_turn() -> None:
        async with order.turn(1):
            raise AssertionError("never reached")

    holder = asyncio.create_task(hold())
    await inside.wait()
    waiter = asyncio.create_task(wait_turn())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    release.set()
    await holder
    assert len(order) == 0
    async with order.turn(1):  # and the user's next question goes in at once
        pass


async def test_misses_and_feedback_are_kept(engine: Engine, tmp_path: Path) -> None:
    store = SqliteMissStore(tmp_path / "misses.sqlite3")
    runtime = make(engine, store)
    await runtime.keep(Miss(NOW, "a question", "unknown", 0.1, (), server=5, id=3))
    assert await runtime.keep_feedback(Feedback(NOW, Vote.CLICKED, 5, 3, suggestion="Q?"))
    assert [m.id for m in store.misses(5)] == [3] and len(store.feedback(5)) == 1
    store.close()
    metric = runtime.metrics.registry.get_sample_value
    assert metric("cnrp_misses_total") == 1
    assert metric("cnrp_feedback_total", {"vote": "clicked"}) == 1
    assert metric("cnrp_feedback_total", {"vote": "up"}) == 0


class BrokenStore(SqliteMissStore):
    def add(self, miss: Miss) -> None:
        raise OSError("disk full")

    def add_feedback(self, feedback: Feedback) -> None:
        raise OSError("disk full")


async def test_a_failing_store_costs_a_log_line_not_the_reply(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = BrokenStore(tmp_path / "misses.sqlite3")
    runtime = make(engine, store)
    try:
        with caplog.at_level(logging.WARNING):
            await runtime.keep(Miss(NOW, "q", "unknown", 0.1, ()))
            assert not await runtime.keep_feedback(Feedback(NOW, Vote.UP, intent="x"))
    finally:
        store.close()
    assert "could not keep a miss" in caplog.text and "could not keep feedback" in caplog.text
    assert runtime.metrics.registry.get_sample_value("cnrp_store_errors_total") == 2, (
        "each failure is counted")


async def test_a_held_reply_is_logged(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    runtime = make(engine, None)
    await runtime.wait_turn(1)
    held = asyncio.create_task(runtime.wait_turn(1))
    while not runtime.limiter.waiting():
        await asyncio.sleep(0)
    runtime.limiter.open()
    with caplog.at_level(logging.INFO):
        await held
    assert "held a reply" in caplog.text


def test_runtime_of_names_a_client_without_one(engine: Engine) -> None:
    runtime = make(engine, None)
    assert runtime_of(SimpleNamespace(runtime=runtime)) is runtime  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="no cnrp-bot runtime"):
        runtime_of(SimpleNamespace())  # type: ignore[arg-type]
