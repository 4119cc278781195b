"""Replies that are sent again when Discord fails after discord.py's own retries.

discord.py retries a 500, 502 or 504 five times and then raises; a 503 it raises at once. An
answer lost that way never reached the asker. Here such a send is tried again a few times;
a message carries one nonce over every attempt, which Discord enforces, so a send that did
land but whose answer was lost is not posted twice. Whatever still fails is logged as one line.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import aiohttp
import discord

log = logging.getLogger(__name__)

T = TypeVar("T")

# A reply to a message may come a few seconds late rather than never.
MESSAGE_RETRY_DELAYS = (1.0, 2.0, 4.0)
# A first response to an interaction must reach Discord within 3 s of the command.
INTERACTION_RETRY_DELAYS = (0.3, 0.6)
# Discord's "Interaction has already been acknowledged": an earlier attempt did land.
ALREADY_ACKNOWLEDGED = 40060

SEND_FAILURES = (discord.DiscordServerError, aiohttp.ClientConnectionError, TimeoutError)

Sleep = Callable[[float], Awaitable[object]]


def new_nonce() -> int:
    """The nonce for every attempt at one message (discord.py draws 64 random bits per send)."""
    return secrets.randbits(64)


async def deliver(send: Callable[[], Awaitable[T]], what: str, delays: Sequence[float],
                  sleep: Sleep = asyncio.sleep) -> T | None:
    """send(), tried again after each delay while it fails in a way that may pass; None when
    every attempt failed (logged), or when an earlier attempt turns out to have landed."""
    attempts = len(delays) + 1
    for attempt in range(1, attempts + 1):
        try:
            return await send()
        except discord.HTTPException as error:
            if error.code == ALREADY_ACKNOWLEDGED and attempt > 1:
                return None
            if not isinstance(error, SEND_FAILURES):
                raise
            failure: Exception = error
        except SEND_FAILURES as error:
            failure = error
        if attempt == attempts:
            log.error("could not send %s after %d attempts: %s", what, attempts, failure)
            return None
        delay = delays[attempt - 1]
        log.warning("sending %s failed (%s); trying again in %.1f s", what, failure, delay)
        await sleep(delay)
    return None
