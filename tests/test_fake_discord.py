"""The fake's own behaviour where the bot's tests and benchmarks lean on it being like Discord."""

from __future__ import annotations

import aiohttp
import pytest

from bot.core.context import Conversation
from bot.core.engine import Engine
from bot.core.models import Answer
from tests.fake_discord import FakeDiscord
from tests.fake_discord.launch import replay_answers
from tests.fake_discord.server import API_PREFIX, RouteLimit


async def send(session: aiohttp.ClientSession, fake: FakeDiscord, channel: int) -> aiohttp.ClientResponse:
    async with session.post(f"{fake.base_url}{API_PREFIX}/channels/{channel}/messages",
                            json={"content": "hi"},
                            headers={"Authorization": f"Bot {fake.token}"}) as response:
        await response.read()
        return response


async def test_route_limit_sends_discords_headers_and_refuses_past_the_limit() -> None:
    fake = FakeDiscord(route_limit=RouteLimit(2, 60.0), extra_channels=1, echo_own_messages=False)
    await fake.start()
    try:
        async with aiohttp.ClientSession() as session:
            first, second, third = [await send(session, fake, fake.channel_id) for _ in range(3)]
            elsewhere = await send(session, fake, fake.extra_channel_ids[0])
    finally:
        await fake.stop()
    assert (first.status, second.status, third.status) == (200, 200, 429)
    assert [r.headers["X-RateLimit-Remaining"] for r in (first, second, third)] == ["1", "0", "0"]
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert 0 < float(first.headers["X-RateLimit-Reset-After"]) <= 60
    # discord.py takes a 429 without Via for a Cloudflare ban, and a scope says whose limit it is.
    assert third.headers["Via"] and third.headers["X-RateLimit-Scope"] == "user"
    assert fake.rate_limited == 1
    # Each channel has a bucket of its own; the route's bucket id is the same in every one.
    assert (elsewhere.status, elsewhere.headers["X-RateLimit-Remaining"]) == (200, "1")
    assert elsewhere.headers["X-RateLimit-Bucket"] == first.headers["X-RateLimit-Bucket"]


async def test_without_a_route_limit_there_are_no_rate_limit_headers() -> None:
    fake = FakeDiscord(echo_own_messages=False)
    await fake.start()
    try:
        async with aiohttp.ClientSession() as session:
            response = await send(session, fake, fake.channel_id)
    finally:
        await fake.stop()
    assert response.status == 200 and "X-RateLimit-Remaining" not in response.headers


def test_replayed_answers_are_the_engines_first_answers(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    # `tests.bench_e2e --replay` leans on this: a question asked again costs no engine work.
    calls: list[str] = []
    real_ask = Engine.ask

    def counted(self: Engine, question: str, conversation: Conversation | None = None) -> Answer:
        calls.append(question)
        return real_ask(self, question, conversation)

    monkeypatch.setattr(Engine, "ask", counted)
    replay_answers()
    first = engine.ask("who founded the cnrp")
    again = engine.ask("who founded the cnrp", Conversation())
    other = engine.ask("when was the cnrp dissolved")
    assert again is first and other is not first
    assert calls == ["who founded the cnrp", "when was the cnrp dissolved"]
    assert first == real_ask(engine, "who founded the cnrp")
