"""Test-only entry point: aim the real, unmodified discord.py at the fake, then start the bot.

    FAKE_DISCORD_URL=http://127.0.0.1:PORT python -m tests.fake_discord.launch [--sync-global]

discord.py builds every REST URL from `Route.BASE` when a Route is created, takes the gateway
URL from GET /gateway/bot (AutoShardedBot without SHARD_COUNT) and falls back to
`DiscordWebSocket.DEFAULT_GATEWAY` when it must identify afresh (SHARD_COUNT set, or after an
INVALID_SESSION), so both are pointed at the fake. Nothing else is patched, but for one
benchmark: with REPLAY_ANSWERS=1 (`tests.bench_e2e --replay`) the engine answers each distinct
question once and replays that answer when it is asked again, to measure what the bot costs
around the engine.
"""

from __future__ import annotations

import os
import sys

import discord.gateway
import discord.http
import yarl

from bot.core.context import Conversation
from bot.core.engine import Engine
from bot.core.models import Answer
from bot.discord_app import app


def replay_answers() -> None:
    """Engine.ask answers a question it answered before from memory, whatever the conversation:
    the real answer, embed, buttons and request, for a dictionary look-up's cost. A benchmark
    of the bot around the engine, not a way to run it."""
    ask = Engine.ask
    answers: dict[str, Answer] = {}

    def replayed(engine: Engine, question: str, conversation: Conversation | None = None) -> Answer:
        answer = answers.get(question)
        if answer is None:
            answer = answers[question] = ask(engine, question, conversation)
        return answer

    Engine.ask = replayed  # type: ignore[method-assign]


def main(argv: list[str]) -> int:
    base = os.environ["FAKE_DISCORD_URL"].rstrip("/")
    discord.http.Route.BASE = f"{base}/api/v10"
    gateway = base.replace("http://", "ws://", 1) + "/gateway/"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    if os.environ.get("REPLAY_ANSWERS") == "1":
        replay_answers()
    return app.run(sync_global="--sync-global" in argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
