"""Test-only entry point: aim the real, unmodified discord.py at the fake, then start the bot.

    FAKE_DISCORD_URL=http://127.0.0.1:PORT python -m tests.fake_discord.launch [--sync-global]

discord.py builds every REST URL from `Route.BASE` when a Route is created, takes the gateway
URL from GET /gateway/bot (AutoShardedBot without SHARD_COUNT) and falls back to
`DiscordWebSocket.DEFAULT_GATEWAY` when it must identify afresh (SHARD_COUNT set, or after an
INVALID_SESSION), so both are pointed at the fake. Nothing else is patched.
"""

from __future__ import annotations

import os
import sys

import discord.gateway
import discord.http
import yarl

from bot.discord_app import app


def main(argv: list[str]) -> int:
    base = os.environ["FAKE_DISCORD_URL"].rstrip("/")
    discord.http.Route.BASE = f"{base}/api/v10"
    gateway = base.replace("http://", "ws://", 1) + "/gateway/"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    return app.run(sync_global="--sync-global" in argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
