"""Questions: /ask, the "Ask CNRP bot" message menu, a mention, a direct message, or a message in
a listen channel. Every way of asking goes through `AskCog.answer`, one engine call and one
log line each."""

from __future__ import annotations

import logging
import re
import time

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.config import MatchConfig
from bot.core.engine import Engine
from bot.core.models import Answer, ReplyKind
from bot.discord_app.autocomplete import complete_question, question_catalog
from bot.discord_app.delivery import (
    INTERACTION_RETRY_DELAYS,
    MESSAGE_RETRY_DELAYS,
    deliver,
    new_nonce,
)
from bot.discord_app.embeds import CHOICE_NAME_LIMIT, answer_embed, truncate
from bot.discord_app.runtime import Runtime, runtime_of
from bot.discord_app.views import NO_PINGS, LocalView, maybe_view, miss_ref, release, reply_view

log = logging.getLogger(__name__)

MENU_NAME = "Ask CNRP bot"
# The engine reads no further than this, so Discord is told to refuse longer questions.
MAX_QUESTION_CHARS = MatchConfig.max_question_chars
PRIVATE_KINDS = frozenset(
    {ReplyKind.UNKNOWN, ReplyKind.AMBIGUOUS, ReplyKind.CLARIFY, ReplyKind.EMPTY}
)
# Only ordinary messages and replies are questions; joins, pins, boosts and the like are not.
QUESTION_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})
NO_TEXT = "That message has no text to ask about."
# Custom emoji (<:name:id>) and shortcodes (:thumbsup:) say no more than a Unicode emoji does.
_EMOJI_MARKUP = re.compile(r"<a?:\w+:\d+>|:[\w+-]+:")


def shard_of(server_id: int | None, shard_count: int | None) -> int:
    """The shard that carries a server's events, by Discord's formula; direct messages come
    through shard 0."""
    if server_id is None or not shard_count:
        return 0
    return (server_id >> 22) % shard_count


def log_answer(answer: Answer, *, via: str, seconds: float, server_id: int | None, channel_id: int,
               shard_id: int) -> None:
    """One line per question. A direct message's channel is one user's, so it is not logged:
    no user id, and nothing that stands for one, ever reaches the log."""
    channel = channel_id if server_id is not None else None
    log.info(
        "answered via=%s intent=%s kind=%s confidence=%.3f latency_ms=%.1f shard=%d server=%s "
        "channel=%s", via, answer.intent or "-", answer.kind.value, answer.confidence,
        seconds * 1000, shard_id, server_id or "-", channel or "-",
        extra={"fields": {"event": "answered", "route": via, "intent": answer.intent,
                          "kind": answer.kind.value, "confidence": round(answer.confidence, 4),
                          "latency_ms": round(seconds * 1000, 3), "shard": shard_id,
                          "server": server_id, "channel": channel}},
    )  # fmt: skip


def worth_posting_in_listen(answer: Answer) -> bool:
    """In a listen channel only a question about the party gets a reply: an answer, a close
    "did you mean", or "which one?" about a question the bot did recognise. Chatter, greetings
    and thanks get nothing."""
    if answer.kind is ReplyKind.ANSWER:
        return answer.matched
    if answer.kind is ReplyKind.AMBIGUOUS:
        return True
    return answer.kind is ReplyKind.CLARIFY and answer.intent is not None


def is_reaction(text: str) -> bool:
    """A message of emoji and punctuation only ("👍", ":ok_hand:", "!!") reacts to what was
    said; it asks nothing, so it is never read as a follow-up to the last answer."""
    return not any(ch.isalnum() for ch in _EMOJI_MARKUP.sub("", text))


class AskCog(commands.Cog):
    def __init__(self, bot: commands.Bot, runtime: Runtime) -> None:
        self.bot = bot
        self.runtime = runtime
        # Context menus cannot be declared in a cog class body; this one is added on load.
        self.menu = app_commands.ContextMenu(name=MENU_NAME, callback=self.ask_about_message)
        self._catalog: tuple[Engine | None, tuple[str, ...]] = (None, ())

    async def cog_load(self) -> None:
        self.runtime.ask = self.answer
        self.runtime.on_message = self.on_message
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)
        self.runtime.ask = None
        self.runtime.on_message = None

    # ------------------------------------------------------------------------- the engine

    async def answer(self, question: str, *, user_id: int, channel_id: int, via: str,
                     server_id: int | None = None) -> Answer:
        """Ask the engine in the asker's conversation, in a worker thread and within the time
        budget (past it, or on an error, a reply that says so), the asker's questions one at a
        time in the order they came; count it, and log one line (intent, confidence, latency,
        where; never the text, the asker or the token)."""
        started = time.perf_counter()
        # A message in a listen channel is not addressed to the bot, so it must stand on its
        # own: read as a follow-up, chatter ("lol") would borrow the last answer's question.
        standalone = via == "listen" or is_reaction(question)
        async with self.runtime.in_order.turn(user_id):
            conversation = None if standalone else self.runtime.conversations.get((channel_id, user_id))
            answer = await self.runtime.worker.ask(self.runtime.engine, question, conversation)
        seconds = time.perf_counter() - started
        self.runtime.metrics.answered(answer.kind.value, via, seconds)
        log_answer(answer, via=via, seconds=seconds, server_id=server_id, channel_id=channel_id,
                   shard_id=shard_of(server_id, self.bot.shard_count))
        return answer

    # ------------------------------------------------------------------------- slash and menu

    @app_commands.command(
        name="ask", description="Ask a question about the Cambodia National Rescue Party"
    )
    @app_commands.describe(
        question="Your question, e.g. “Who founded the CNRP?”",
        public="Show the answer to everyone in the channel (default: yes)",
    )
    async def ask(
        self,
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, MAX_QUESTION_CHARS],
        public: bool = True,
    ) -> None:
        async with self.runtime.inflight.track():
            await self.answer_interaction(interaction, question, public=public, via="slash")

    @ask.autocomplete("question")
    async def _known_questions(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        engine = self.runtime.engine
        if self._catalog[0] is not engine:  # one catalog per loaded knowledge base
            self._catalog = (engine, question_catalog(engine.kb))
        return [app_commands.Choice(name=truncate(q, CHOICE_NAME_LIMIT), value=q)
                for q in complete_question(self._catalog[1], current)]

    async def ask_about_message(self, interaction: discord.Interaction,
                                message: discord.Message) -> None:
        """The message menu: answer the selected message's text, privately."""
        question = self._strip_me(message.content)[:MAX_QUESTION_CHARS]
        if not question:
            await interaction.response.send_message(NO_TEXT, ephemeral=True,
                                                    allowed_mentions=NO_PINGS)
            return
        async with self.runtime.inflight.track():
            await self.answer_interaction(interaction, question, public=False, via="menu")

    async def answer_interaction(self, interaction: discord.Interaction, question: str, *,
                                 public: bool, via: str) -> None:
        runtime = self.runtime
        user_id = interaction.user.id
        answer = await self.answer(question, user_id=user_id,
                                   channel_id=interaction.channel_id or 0, via=via,
                                   server_id=interaction.guild_id)
        # A reply that states nothing (no match, did-you-mean) is private whatever `public` says.
        ephemeral = not public or answer.kind in PRIVATE_KINDS
        delayed = runtime.limiter.would_wait(user_id)
        if delayed:  # Discord waits 3 s for a first response; the answer follows in its turn
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        miss = runtime.policy.miss_for(answer, server=interaction.guild_id, user=str(user_id))
        view = reply_view(runtime, answer, owner_id=user_id, miss_id=miss_ref(miss),
                          public=not ephemeral)
        embed = answer_embed(answer, runtime.engine.kb)
        await runtime.wait_turn(user_id)
        # A send that fails past discord.py's own retries is tried again: an edit is the same
        # edit twice, and a first response that did land is recognised as acknowledged.
        if delayed:
            edited = await deliver(
                lambda: interaction.edit_original_response(embed=embed, view=view,
                                                           allowed_mentions=NO_PINGS),
                "an answer", MESSAGE_RETRY_DELAYS,
            )
            sent = edited is not None
        else:
            await deliver(
                lambda: interaction.response.send_message(embed=embed, view=maybe_view(view),
                                                          ephemeral=ephemeral,
                                                          allowed_mentions=NO_PINGS),
                "an answer", INTERACTION_RETRY_DELAYS,
            )
            sent = interaction.response.is_done()
        if sent and isinstance(view, LocalView):
            view.attach(interaction, runtime)
        release(view)
        if miss is not None:
            await runtime.keep(miss)

    # ------------------------------------------------------------------------- messages

    async def on_message(self, message: discord.Message) -> None:
        """Every message the bot sees (called by the bot's own on_message, not as a listener)."""
        via = self._trigger(message)
        if via is None:
            return
        async with self.runtime.inflight.track():
            await self.answer_message(message, via)

    async def answer_message(self, message: discord.Message, via: str) -> None:
        runtime = self.runtime
        author = message.author.id
        answer = await self.answer(self._strip_me(message.content), user_id=author,
                                   channel_id=message.channel.id, via=via,
                                   server_id=message.guild.id if message.guild else None)
        if via == "listen" and not worth_posting_in_listen(answer):
            return
        miss = runtime.policy.miss_for(answer, server=message.guild.id if message.guild else None,
                                       user=str(author))
        view = reply_view(runtime, answer, owner_id=author, miss_id=miss_ref(miss),
                          public=message.guild is not None)
        embed, nonce = answer_embed(answer, runtime.engine.kb), new_nonce()
        await runtime.wait_turn(author)
        # One nonce over every attempt: a reply that did land is not posted twice.
        sent = await deliver(
            lambda: message.reply(
                embed=embed,
                view=maybe_view(view),
                mention_author=False,
                allowed_mentions=NO_PINGS,
                nonce=nonce,
            ),
            "a reply",
            MESSAGE_RETRY_DELAYS,
        )
        if sent is not None and isinstance(view, LocalView):
            view.attach(sent, runtime)
        release(view)
        if miss is not None:
            await runtime.keep(miss)

    def _trigger(self, message: discord.Message) -> str | None:
        """How this message asks the bot something ("dm", "mention", "listen"), or None."""
        me = self.bot.user
        if message.author.bot or message.webhook_id is not None or me is None:
            return None
        if message.type not in QUESTION_TYPES:
            return None
        if message.guild is None:
            return "dm"
        if any(user.id == me.id for user in message.mentions):
            return "mention"
        if message.channel.id in self.runtime.settings.listen_channel_ids:
            return "listen"
        return None

    def _strip_me(self, text: str) -> str:
        # Drop the mention that addressed the bot; the engine strips any other markup itself.
        me = self.bot.user
        return re.sub(rf"<@!?{me.id}>", " ", text).strip() if me is not None else text.strip()


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(AskCog(bot, runtime_of(bot)))
