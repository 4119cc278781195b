"""The Discord entry point: settings → engine → bot, then run until stopped.

The knowledge base is loaded before connecting, so a broken one never goes online.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
import signal
import sys
from collections.abc import Callable, Collection
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.core.config import BOT_GC_YOUNG_THRESHOLD
from bot.core.context import ConversationStore
from bot.core.engine import Engine
from bot.core.knowledge import KnowledgeError
from bot.core.misses import MissStore
from bot.core.misses_store import StoreUnavailable
from bot.core.misses_store import open_store as open_miss_store
from bot.discord_app.health import HealthServer, HealthServerError
from bot.discord_app.logs import formatter_for
from bot.discord_app.monitoring import KnowledgeInfo
from bot.discord_app.ratelimit import RateLimiter
from bot.discord_app.runtime import Runtime
from bot.discord_app.settings import Settings, SettingsError, load_engine
from bot.discord_app.views import NO_PINGS, PERSISTENT_ITEMS

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_DISCORD = 1  # Discord refused us: bad token or a privileged intent not enabled
EXIT_CONFIG = 2  # bad settings or a broken knowledge base

MESSAGE_CONTENT_HELP = (
    "LISTEN_CHANNEL_IDS needs the privileged Message Content intent: enable it under Bot → "
    "Privileged Gateway Intents in the Discord developer portal, or leave LISTEN_CHANNEL_IDS empty."
)


# Discord's client shows some permissions under other names than the API's.
PERMISSION_NAMES = {"manage_guild": "Manage Server"}
# The cogs, loaded by name as extensions: app.py imports none of them.
EXTENSIONS = (
    "bot.discord_app.cogs.ask",
    "bot.discord_app.cogs.tables",
    "bot.discord_app.cogs.chart",
    "bot.discord_app.cogs.admin",
)
# At shutdown, answers in flight get this long to finish (container stops allow 10 s).
DRAIN_SECONDS = 8.0


def intents_for(settings: Settings) -> discord.Intents:
    # Only what the bot reads: its servers and their channels (guilds), and messages in them and
    # in DMs (mentions, DMs, listen channels); slash commands and buttons need no intent. The
    # defaults added typing, reactions, voice states, invites and more, each an event Discord
    # sent and discord.py parsed for nothing. The privileged message-content intent is asked
    # for only when listen channels need every message's text.
    return discord.Intents(guilds=True, guild_messages=True, dm_messages=True,
                           message_content=settings.needs_message_content)


def may_ask(data: Any, me: str, listening: Collection[int]) -> bool:
    """Whether a MESSAGE_CREATE payload can be a question to the bot whose id is `me`: not its
    own nor another bot's or a webhook's, and in a DM, mentioning the bot or in a listen
    channel. AskCog._trigger decides on the parsed message; this only rules out, on the raw
    payload, what it would turn away."""
    author = data.get("author") or {}
    if author.get("id") == me or author.get("bot") or data.get("webhook_id"):
        return False
    if not data.get("guild_id"):
        return True
    if any((user or {}).get("id") == me for user in data.get("mentions") or ()):
        return True
    channel = data.get("channel_id")
    return channel is not None and int(channel) in listening


def parse_only_questions(client: discord.Client, listening: Callable[[], Collection[int]]) -> None:
    """Discord sends the bot every message in its servers' channels (without their text unless
    the bot is mentioned), each message it posts itself, and other bots'. discord.py parsed
    each into a Message, author and member included (a reply of the bot's, its embed and
    buttons too: about 4% of the bot's instructions an answer), and started a task to hand it
    to a listener that then turned it away. Nothing else reads them (no message cache, no
    edits), so a message that cannot be a question (`may_ask`) is dropped before discord.py
    parses it; the rest go through as before. `listening` gives the listen channels' ids."""
    parsers = client._connection.parsers
    parse = parsers.get("MESSAGE_CREATE")
    if parse is None:  # a discord.py that routes events otherwise: nothing to drop
        return

    def parse_if_question(data: Any) -> None:
        me = client.user
        if me is not None and not may_ask(data, str(me.id), listening()):
            return
        parse(data)

    parsers["MESSAGE_CREATE"] = parse_if_question


class CnrpTree(app_commands.CommandTree["CnrpBot"]):
    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.MissingPermissions):
            names = ", ".join(
                PERMISSION_NAMES.get(p, p.replace("_", " ").title()) for p in error.missing_permissions
            )
            message = f"You need the {names} permission to do that."
        elif isinstance(error, app_commands.NoPrivateMessage):
            message = "That command only works in a server."
        elif isinstance(error, app_commands.CheckFailure):
            message = "You can't use that command here."
        else:
            log.error(
                "command /%s failed", getattr(interaction.command, "name", "?"), exc_info=error
            )
            message = "Something went wrong; the error has been logged."
        with contextlib.suppress(discord.HTTPException):
            if interaction.response.is_done():
                await interaction.followup.send(message, ephemeral=True, allowed_mentions=NO_PINGS)
            else:
                await interaction.response.send_message(
                    message, ephemeral=True, allowed_mentions=NO_PINGS
                )


class CnrpBot(commands.AutoShardedBot):
    """AutoShardedBot: Discord's recommended shard count, or SHARD_COUNT/SHARD_IDS when set."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        sync_global: bool = False,
        store: MissStore | None = None,
        knowledge: KnowledgeInfo | None = None,
    ) -> None:
        # The bot never joins voice, so missing voice libraries are not worth a warning.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(
            # commands.Bot requires a prefix; there are no prefix commands to match it.
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents_for(settings),
            allowed_mentions=NO_PINGS,
            tree_cls=CnrpTree,
            shard_count=settings.shard_count,
            activity=discord.Activity(
                type=discord.ActivityType.listening, name="/ask and @mentions"
            ),
            # Nothing reads cached messages (no edit or delete handling), so keep none.
            max_messages=None,
        )
        if settings.shard_ids:
            # Settings already checked SHARD_IDS against SHARD_COUNT; this process runs only these.
            self.shard_ids = list(settings.shard_ids)
        self.settings = settings
        self.sync_global = sync_global
        self.runtime = Runtime(
            settings=settings,
            engine=engine,
            limiter=RateLimiter(settings.rate_limit_burst, settings.rate_limit_seconds),
            # Follow-ups ("and in Takéo?") lean on the asker's last answer in the same channel.
            conversations=ConversationStore(
                engine.config.context_ttl_seconds, engine.config.context_max_turns
            ),
            store=store,
            knowledge=knowledge,
        )

    async def setup_hook(self) -> None:
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        # Buttons on any message this bot ever sent are parsed back from their custom ids, so
        # they keep working after a restart.
        self.add_dynamic_items(*PERSISTENT_ITEMS)
        parse_only_questions(self, lambda: self.runtime.settings.listen_channel_ids)
        await self.sync_commands()

    async def sync_commands(self) -> None:
        if self.sync_global:
            synced = await self.tree.sync()
            log.info("synced %d commands globally (may take up to an hour to appear)", len(synced))
            if self.settings.dev_guild_id is not None:
                # Earlier dev runs left guild copies; remove them so nothing shows twice there.
                guild = discord.Object(id=self.settings.dev_guild_id)
                self.tree.clear_commands(guild=guild)
                await self.tree.sync(guild=guild)
                log.info("removed the guild copies of the commands from guild %s", guild.id)
        elif self.settings.dev_guild_id is not None:
            guild = discord.Object(id=self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %s", len(synced), guild.id)
        else:
            log.warning(
                "slash commands not synced: set DEV_GUILD_ID, or start once with --sync-global"
            )

    async def on_message(self, message: discord.Message) -> None:
        # There are no prefix commands to run, so this override hands every message to the Ask
        # cog's handler itself: discord.py starts a task per listener for each message the bot
        # sees, and a cog listener beside this method made that two tasks a message.
        handler = self.runtime.on_message
        if handler is not None:
            await handler(message)

    async def on_ready(self) -> None:
        log.info(
            "ready as %s in %d guild(s), %s shard(s)", self.user, len(self.guilds), self.shard_count
        )

    async def drain(self) -> tuple[int, bool, int]:
        """Finish the answers in flight before disconnecting: held replies go at once, new
        questions are still answered meanwhile, and buttons that cannot outlive this process
        are greyed out. Returns (answers finished, all finished in time, views greyed out)."""
        runtime = self.runtime
        runtime.limiter.open()
        before = runtime.inflight.finished
        in_time = await runtime.inflight.idle(DRAIN_SECONDS)
        views = list(runtime.local_views)
        for view in views:
            await view.disable()
        return runtime.inflight.finished - before, in_time, len(views)

    async def close(self) -> None:
        await super().close()
        self.runtime.worker.shutdown()
        if self.runtime.store is not None:
            self.runtime.store.close()


class _RedactToken(logging.Filter):
    """Defence in depth: a log line that somehow carries the token shows *** instead."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token and self.token in message:
            record.msg = message.replace(self.token, "***")
            record.args = ()
        return True


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    # Text, or JSON lines with LOG_FORMAT=json. Either way every line, discord.py's own DEBUG
    # dumps included, loses tokens, typed text and user ids (logsafe), and the database password.
    handler.setFormatter(formatter_for(settings))
    handler.addFilter(_RedactToken(settings.token.reveal()))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level_number)
    # Python's warnings go through the log too, so with LOG_FORMAT=json every line is JSON.
    logging.captureWarnings(True)


def run(*, sync_global: bool = False) -> int:
    """Read settings, load the knowledge base, connect, and serve until SIGINT/SIGTERM."""
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        for problem in error.problems:
            print(f"settings: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(settings)
    log.info("starting with %r", settings)
    try:
        engine, knowledge = KnowledgeInfo.timed(lambda: load_engine(settings))
    except KnowledgeError as error:
        for knowledge_problem in error.problems:
            log.error("knowledge: %s", knowledge_problem)
        return EXIT_CONFIG
    log.info("knowledge version %s loaded in %.2f s", knowledge.version, knowledge.load_seconds)
    for note in settings.notes:
        log.warning("settings: %s", note)
    try:
        store = open_store(settings)
    except StoreUnavailable as error:
        log.error("%s: %s", "DATABASE_URL" if settings.database_url else "CNRP_MISSES_DB", error)
        return EXIT_CONFIG
    if store is not None:
        log.info("misses are kept in %s", settings.store_name)
    bot = CnrpBot(settings, engine, sync_global=sync_global, store=store, knowledge=knowledge)
    collect_less_often()
    health = (None if settings.metrics_port is None else
              HealthServer(bot, bot.runtime, settings.metrics_host, settings.metrics_port))
    try:
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            runner.run(_serve(bot, settings.token.reveal(), health))
    except HealthServerError as error:
        log.error("%s", error)
        return EXIT_CONFIG
    except discord.LoginFailure:
        log.error(
            "Discord rejected DISCORD_TOKEN: copy the bot token again from the developer portal"
        )
        return EXIT_DISCORD
    except discord.PrivilegedIntentsRequired:
        log.error(MESSAGE_CONTENT_HELP)
        return EXIT_DISCORD
    except (discord.ConnectionClosed, discord.GatewayNotFound, aiohttp.ClientConnectionError) as error:
        log.error("%s", connection_advice(error))
        return EXIT_DISCORD
    return EXIT_OK


def collect_less_often() -> None:
    """The collector's youngest generation waits for BOT_GC_YOUNG_THRESHOLD new objects (see
    there); the older generations keep their thresholds."""
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(BOT_GC_YOUNG_THRESHOLD, older, oldest)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop where it is installed (a dependency on Linux and macOS), asyncio's own
    otherwise: the same loop API, with its loop, transports and timers in C."""
    try:
        # By name, so that type checking passes whether or not it is installed.
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


def open_store(settings: Settings) -> MissStore | None:
    """The misses store (SQLite, or PostgreSQL with DATABASE_URL), or None when
    MISSES_RETENTION_DAYS=0 keeps nothing."""
    if not settings.misses.keeps_anything:
        return None
    return open_miss_store(settings.store_target)


# Gateway close codes that end the session for good, as the operator can act on them.
GATEWAY_REFUSALS = {
    4004: "Discord rejected DISCORD_TOKEN: copy the bot token again from the developer portal",
    4010: "Discord refused the shard ids: SHARD_IDS must each be below SHARD_COUNT",
    4011: "Discord requires more shards for this bot: leave SHARD_COUNT empty to use its count",
}


def connection_advice(error: Exception) -> str:
    """One line for a connection Discord refused or could not be made, instead of a traceback."""
    if isinstance(error, discord.ConnectionClosed):
        return GATEWAY_REFUSALS.get(
            error.code or 0, f"Discord closed the gateway connection for good (close code {error.code})"
        )
    return f"cannot reach Discord ({error}); check the network and try again"


async def _serve(bot: CnrpBot, token: str, health: HealthServer | None = None) -> None:
    loop = asyncio.get_running_loop()
    closing: list[asyncio.Task[None]] = []  # a reference, so the task is not collected mid-close

    def close(name: str) -> None:
        if not closing:
            closing.append(loop.create_task(_shut_down(bot, name)))

    for sig in (signal.SIGINT, signal.SIGTERM):
        # Close cleanly on Ctrl-C and on `docker stop`/systemd, instead of dying mid-reply.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, close, sig.name)
    async with bot:
        # Listening before connecting: until every shard is up, /healthz says "starting".
        if health is not None:
            await health.start()
        try:
            await bot.start(token)
        finally:
            if health is not None:
                await health.stop()


async def _shut_down(bot: CnrpBot, signal_name: str) -> None:
    """On SIGTERM/SIGINT: finish the answers in flight, say so in one line, disconnect."""
    finished, in_time, views = await bot.drain()
    log.info(
        "%s: finished %d answer(s) in flight%s, greyed out %d view(s); shutting down",
        signal_name, finished, "" if in_time else f" (gave up after {DRAIN_SECONDS:.0f} s)", views,
    )
    await bot.close()
