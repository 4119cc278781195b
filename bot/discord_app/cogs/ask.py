"""Questions: /ask, a mention, a direct message, or any message in a listen channel."""

from __future__ import annotations

import logging
import re
import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.config import MatchConfig
from bot.core.models import Answer, ReplyKind
from bot.discord_app.delivery import (
    INTERACTION_RETRY_DELAYS,
    MESSAGE_RETRY_DELAYS,
    deliver,
    new_nonce,
)
from bot.discord_app.embeds import answer_embed
from bot.discord_app.views import NO_PINGS, AnswerView, maybe_view

if TYPE_CHECKING:
    from bot.discord_app.app import CnrpBot

log = logging.getLogger(__name__)

COOLDOWN_REACTION = "⏳"
# The engine reads no further than this, so Discord is told to refuse longer questions.
MAX_QUESTION_CHARS = MatchConfig.max_question_chars
PRIVATE_KINDS = frozenset(
    {ReplyKind.UNKNOWN, ReplyKind.AMBIGUOUS, ReplyKind.CLARIFY, ReplyKind.EMPTY}
)
# Only ordinary messages and replies are questions; joins, pins, boosts and the like are not.
QUESTION_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})


class AskCog(commands.Cog):
    def __init__(self, bot: CnrpBot) -> None:
        self.bot = bot

    async def answer(self, question: str, *, user_id: int, channel_id: int, via: str) -> Answer:
        """Ask the engine in the asker's conversation (in a worker thread, within the time
        budget), log one line (intent, confidence, latency; never the text or the token) and
        keep the miss for the curators."""
        started = time.perf_counter()
        conversation = self.bot.conversations.get((channel_id, user_id))
        answer = await self.bot.worker.ask(self.bot.engine, question, conversation)
        latency_ms = (time.perf_counter() - started) * 1000
        log.info(
            "answered via=%s intent=%s kind=%s confidence=%.3f latency_ms=%.1f",
            via,
            answer.intent or "-",
            answer.kind.value,
            answer.confidence,
            latency_ms,
        )
        if self.bot.misses is not None:
            try:
                self.bot.misses.record(answer, user=str(user_id))
            except OSError:
                # A full disk must not cost the asker their reply.
                log.warning("could not write the misses log", exc_info=True)
        return answer

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
        wait = self.bot.cooldown.retry_after(interaction.user.id)
        if wait:
            await interaction.response.send_message(
                f"You're asking quickly: try again in {wait:.0f} s.",
                ephemeral=True,
                allowed_mentions=NO_PINGS,
            )
            return
        answer = await self.answer(
            question, user_id=interaction.user.id, channel_id=interaction.channel_id or 0, via="slash"
        )
        view = AnswerView.for_answer(self.answer, answer, owner_id=interaction.user.id)
        # A reply that states nothing (no match, did-you-mean) is private whatever `public` says.
        ephemeral = not public or answer.kind in PRIVATE_KINDS
        embed = answer_embed(answer, question)
        await deliver(
            lambda: interaction.response.send_message(
                embed=embed, view=maybe_view(view), ephemeral=ephemeral, allowed_mentions=NO_PINGS
            ),
            "an /ask answer",
            INTERACTION_RETRY_DELAYS,
        )
        if view is not None and interaction.response.is_done():
            view.attach(interaction)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        via = self._trigger(message)
        if via is None:
            return
        if self.bot.cooldown.retry_after(message.author.id):
            # A reaction tells the asker to slow down without a message that could ping anyone.
            try:
                await message.add_reaction(COOLDOWN_REACTION)
            except discord.HTTPException:
                log.debug("could not react to a message on cooldown", exc_info=True)
            return
        question = self._question_text(message)
        answer = await self.answer(
            question, user_id=message.author.id, channel_id=message.channel.id, via=via
        )
        view = AnswerView.for_answer(self.answer, answer, owner_id=message.author.id)
        embed, nonce = answer_embed(answer), new_nonce()
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
        if view is not None and sent is not None:
            view.attach(sent)

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
        if message.channel.id in self.bot.settings.listen_channel_ids:
            return "listen"
        return None

    def _question_text(self, message: discord.Message) -> str:
        me = self.bot.user
        assert me is not None
        # Drop the mention that addressed the bot; the engine strips any other markup itself.
        return re.sub(rf"<@!?{me.id}>", " ", message.content).strip()
