"""/about, /help, /reload and /misses, and the daily purge of misses past their retention."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.core.knowledge import KnowledgeError
from bot.core.misses import format_report, report
from bot.core.resources import program_version
from bot.discord_app.embeds import (
    MESSAGE_LIMIT,
    HelpEntry,
    about_embed,
    help_embed,
    kept_statement,
    truncate,
)
from bot.discord_app.monitoring import KnowledgeInfo
from bot.discord_app.runtime import Runtime, runtime_of
from bot.discord_app.settings import load_engine
from bot.discord_app.views import NO_PINGS

log = logging.getLogger(__name__)

ABOUT_STATS = ("intents", "facts", "sources", "tables")
PURGE_EVERY_HOURS = 6.0


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


def help_entries(tree: app_commands.CommandTree[discord.Client]) -> list[HelpEntry]:
    """/help's list, read from the command tree: a command added is a command documented."""
    entries: list[HelpEntry] = []
    for command in tree.get_commands():
        permissions = command.default_permissions
        manage = bool(permissions and permissions.manage_guild)
        if isinstance(command, app_commands.ContextMenu):
            if command.type is discord.AppCommandType.message:
                entries.append(HelpEntry(command.name, "answers the selected message, privately",
                                         message_menu=True, manage_server=manage))
            continue
        entries.append(HelpEntry(command.name, command.description, manage_server=manage))
    return entries


class AdminCog(commands.Cog):
    def __init__(self, bot: commands.Bot, runtime: Runtime) -> None:
        self.bot = bot
        self.runtime = runtime
        self.started = time.monotonic()

    async def cog_load(self) -> None:
        if self.runtime.store is not None:
            self.purge.start()

    async def cog_unload(self) -> None:
        self.purge.cancel()

    @tasks.loop(hours=PURGE_EVERY_HOURS)
    async def purge(self) -> None:
        """Forget misses and feedback past MISSES_RETENTION_DAYS (at start, then every 6 h)."""
        store = self.runtime.store
        if store is None:
            return
        try:
            gone = await asyncio.to_thread(store.purge, self.runtime.policy.cutoff())
        except Exception:
            log.warning("could not purge old misses", exc_info=True)
            return
        if gone:
            log.info("purged %d misses older than %d days", gone, self.runtime.policy.retention_days)

    @app_commands.command(
        name="about", description="Version, knowledge-base size, uptime, and what is kept"
    )
    async def about(self, interaction: discord.Interaction) -> None:
        stats = self.runtime.engine.stats()
        latency = self.bot.latency
        embed = about_embed(
            version=program_version(),
            stats={key: int(stats[key]) for key in ABOUT_STATS if key in stats},
            uptime_seconds=time.monotonic() - self.started,
            latency_ms=latency * 1000 if math.isfinite(latency) else None,
            kept=kept_statement(self.runtime.policy),
        )
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )

    @app_commands.command(name="help", description="How to ask questions and what the commands do")
    async def help(self, interaction: discord.Interaction) -> None:
        embed = help_embed(
            help_entries(self.bot.tree),
            kept=kept_statement(self.runtime.policy),
            listen_channels=sorted(self.runtime.settings.listen_channel_ids),
        )
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
        settings = self.runtime.settings
        try:
            engine, knowledge = await asyncio.to_thread(KnowledgeInfo.timed,
                                                        lambda: load_engine(settings))
        except KnowledgeError as error:
            self.runtime.metrics.reloads.labels("refused").inc()
            log.warning(
                "reload refused: %d problem(s); keeping the loaded knowledge base",
                len(error.problems),
            )
            await interaction.edit_original_response(
                content=refusal_message(error), allowed_mentions=NO_PINGS
            )
            return
        self.runtime.serve(engine, knowledge)
        self.runtime.metrics.reloads.labels("ok").inc()
        stats = engine.stats()
        counts = ", ".join(f"{stats[k]} {k}" for k in ABOUT_STATS if k in stats)
        # Which server asked is logged; who asked is not (no user ids in the log).
        log.info("knowledge base reloaded from server %s: version %s, %s",
                 interaction.guild_id, knowledge.version, counts)
        await interaction.edit_original_response(
            content=f"Reloaded the knowledge base: {counts}.", allowed_mentions=NO_PINGS
        )

    @app_commands.command(
        name="misses",
        description="This server's questions the bot could not answer, grouped (Manage Server only)",
    )
    @app_commands.describe(since="Only misses from this date on (YYYY-MM-DD)")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @app_commands.checks.has_permissions(manage_guild=True)
    async def misses(self, interaction: discord.Interaction, since: str | None = None) -> None:
        store = self.runtime.store
        server = interaction.guild_id
        if store is None or server is None:
            await interaction.response.send_message(
                kept_statement(self.runtime.policy), ephemeral=True, allowed_mentions=NO_PINGS
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

        def read() -> str | None:
            # This server's own misses and feedback only: never another server's, never a DM's.
            found = store.misses(server, start)
            if not found:
                return None
            return format_report(report(found, store.feedback(server, start)),
                                 limit_chars=MESSAGE_LIMIT - 20)

        body = await asyncio.to_thread(read)
        if body is None:
            content = "No misses kept for this server" + (f" since {since}." if since else ".")
        else:
            content = "```\n" + body.replace("```", "`\u200b``") + "\n```"
        await interaction.edit_original_response(content=content, allowed_mentions=NO_PINGS)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(AdminCog(bot, runtime_of(bot)))
