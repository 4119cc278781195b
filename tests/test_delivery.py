"""Sending again what failed past discord.py's retries: which failures, how often, and what
is logged when it never lands (the e2e suite covers a 503 on a reply and on /ask)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import aiohttp
import discord
import pytest

from bot.discord_app.delivery import ALREADY_ACKNOWLEDGED, MESSAGE_RETRY_DELAYS, deliver


def http_error(cls: type[discord.HTTPException], status: int, code: int = 0) -> discord.HTTPException:
    response = SimpleNamespace(status=status, reason="failure")
    return cls(response, {"message": "failure", "code": code})  # type: ignore[arg-type]


class Sends:
    """A send that fails with the given errors, in order, then succeeds."""

    def __init__(self, *failures: BaseException) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "sent"


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


async def test_five_500s_then_success_is_delivered() -> None:
    # What discord.py raises after its own five attempts at a 500 (or at once for a 503).
    send, sleep = Sends(http_error(discord.DiscordServerError, 500)), Sleeps()
    assert await deliver(send, "a reply", MESSAGE_RETRY_DELAYS, sleep) == "sent"
    assert send.calls == 2 and sleep.delays == [MESSAGE_RETRY_DELAYS[0]]


async def test_a_dropped_connection_is_retried_too() -> None:
    send = Sends(aiohttp.ServerDisconnectedError(), TimeoutError())
    assert await deliver(send, "a reply", (0.1, 0.1, 0.1), Sleeps()) == "sent"
    assert send.calls == 3


async def test_a_send_that_never_lands_is_logged_once_without_a_traceback(
        caplog: pytest.LogCaptureFixture) -> None:
    send = Sends(*[http_error(discord.DiscordServerError, 503)] * 10)
    sleep = Sleeps()
    assert await deliver(send, "a reply", MESSAGE_RETRY_DELAYS, sleep) is None
    assert send.calls == len(MESSAGE_RETRY_DELAYS) + 1 and sleep.delays == list(MESSAGE_RETRY_DELAYS)
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and errors[0].exc_info is None
    assert "could not send a reply after 4 attempts: 503" in errors[0].getMessage()


async def test_an_interaction_already_acknowledged_on_a_retry_had_landed() -> None:
    send = Sends(http_error(discord.DiscordServerError, 503),
                 http_error(discord.HTTPException, 400, ALREADY_ACKNOWLEDGED))
    assert await deliver(send, "an /ask answer", (0.3, 0.6), Sleeps()) is None
    assert send.calls == 2


@pytest.mark.parametrize("error", [http_error(discord.Forbidden, 403), http_error(discord.NotFound, 404),
                                   http_error(discord.HTTPException, 400, ALREADY_ACKNOWLEDGED)])
async def test_a_refusal_is_not_retried(error: Any) -> None:
    send = Sends(error)
    with pytest.raises(type(error)):
        await deliver(send, "a reply", MESSAGE_RETRY_DELAYS, Sleeps())
    assert send.calls == 1
