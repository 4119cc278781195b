"""/about, /help, /reload and /misses."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from datetime import UTC, datetime
from importlib import metadata
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.knowledge import KnowledgeError
from bot.core.misses import cluster, format_clusters
from bot.discord_app.embeds import MESSAGE_LIMIT, about_embed, help_embed, truncate
from bot.discord_app.views import NO_PINGS

if TYPE_CHECKING:
    from bot.discord_app.app import CnrpBot

log = logging.getLogger(__name__)

ABOUT_STATS = ("intents", "facts", "sources", "tables")


def version() -> str:
    try:
        return metadata.version("cnrp-bot")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def refusal_message(error: KnowledgeError) -> str:
    """The validation problems, fitted to one message, above a note that nothing changed."""
    head = (
        f"Reload refused: the knowledge base has {len(error.problems)} problem(s). "
        "Still serving the previous version.\n```\n"
    )
    tail = "\n```"
    body = truncate(
        "\n".join(str(p) for p in error.problems), MESSAGE_LIMIT - len(head) - len(tail)
    )
    return head + body.replace("```", "`\u200b``") + tail


class AdminCog(commands.Cog):
    def __init__(self, bot: CnrpBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="about", description="Version, knowledge-base size, uptime and latency"
    )
    async def about(self, interaction: discord.Interaction) -> None:
        stats = self.bot.engine.stats()
        latency = self.bot.latency
        embed = about_embed(
            version=version(),
            stats={key: int(stats[key]) for key in ABOUT_STATS if key in stats},
            uptime_seconds=time.monotonic() - self.bot.started,
            latency_ms=latency * 1000 if math.isfinite(latency) else None,
        )
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )

    @app_commands.command(name="help", description="How to ask questions and what the commands do")
    async def help(self, interaction: discord.Interaction) -> None:
        embed = help_embed(sorted(self.bot.settings.listen_channel_ids))
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )

    @app_commands.command(
        name="reload", description="Re-read the knowledge base (Manage Server only)"
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @app_commands.checks.has_permissions(manage_guild=True)
    async def reload(self, interaction: discord.Interaction) -> None:
        # Loading and validating can outlast the 3 seconds Discord waits for a first response.
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            engine = await asyncio.to_thread(self.bot.load_engine)
        except KnowledgeError as error:
            log.warning(
                "reload refused: %d problem(s); keeping the loaded knowledge base",
                len(error.problems),
            )
            await interaction.edit_original_response(
                content=refusal_message(error), allowed_mentions=NO_PINGS
            )
            return
        self.bot.engine = engine
        stats = engine.stats()
        counts = ", ".join(f"{stats[k]} {k}" for k in ABOUT_STATS if k in stats)
        log.info("knowledge base reloaded by user=%s: %s", interaction.user.id, counts)
        await interaction.edit_original_response(
            content=f"Reloaded the knowledge base: {counts}.", allowed_mentions=NO_PINGS
        )

    @app_commands.command(
        name="misses", description="Questions the bot could not answer, grouped (Manage Server only)"
    )
    @app_commands.describe(since="Only misses from this date on (YYYY-MM-DD)")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @app_commands.checks.has_permissions(manage_guild=True)
    async def misses(self, interaction: discord.Interaction, since: str | None = None) -> None:
        log_file = self.bot.misses
        if log_file is None:
            await interaction.response.send_message(
                "The misses log is off.", ephemeral=True, allowed_mentions=NO_PINGS
            )
            return
        start: datetime | None = None
        if since:
            try:
                start = datetime.fromisoformat(since).replace(tzinfo=UTC)
            except ValueError:
                await interaction.response.send_message(
                    f"`since` takes a date like 2026-11-01, not {truncate(since, 40)!r}.",
                    ephemeral=True, allowed_mentions=NO_PINGS,
                )
                return
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await asyncio.to_thread(log_file.read, start)
        if not found:
            content = "No misses logged" + (f" since {since}." if since else ".")
        else:
            groups = await asyncio.to_thread(cluster, found)
            body = format_clusters(groups, len(found), limit_chars=MESSAGE_LIMIT - 20)
            content = "```\n" + body.replace("```", "`\u200b``") + "\n```"
        await interaction.edit_original_response(content=content, allowed_mentions=NO_PINGS)
