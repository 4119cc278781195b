"""Buttons: suggested and related questions that answer in place, and table pagination."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any, Protocol

import discord

from bot.core.models import Answer, ReplyKind
from bot.discord_app.embeds import BUTTON_LABEL_LIMIT, answer_embed, questions_embed, truncate

NO_PINGS = discord.AllowedMentions.none()
# Interaction tokens live 15 minutes; a view must time out before its token can no longer
# edit the message to disable it.
ANSWER_VIEW_TIMEOUT = 600.0
PAGE_VIEW_TIMEOUT = 300.0
MAX_QUESTION_BUTTONS = 10
MAX_SUGGESTIONS = 3  # "did you mean" stays short whatever the engine offers
NOT_YOURS = (
    "Only the person who ran this command can turn its pages; run it yourself for your own copy."
)


class Asker(Protocol):
    """Answers one question and logs it; the Ask cog provides it."""

    async def __call__(self, question: str, *, user_id: int, channel_id: int, via: str) -> Answer: ...


class ExpiringView(discord.ui.View):
    """A view that greys out its buttons when it times out, so stale buttons are not pressed."""

    def __init__(self, *, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._target: discord.Message | discord.Interaction | None = None

    def attach(self, target: discord.Message | discord.Interaction) -> None:
        """Remember where the view is shown: a message, or the interaction whose response it is."""
        self._target = target

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        target = self._target
        with contextlib.suppress(discord.HTTPException):
            if isinstance(target, discord.Interaction):
                await target.edit_original_response(view=self)
            elif target is not None:
                await target.edit(view=self)


class QuestionButton(discord.ui.Button["AnswerView"]):
    def __init__(self, question: str) -> None:
        super().__init__(
            label=truncate(question, BUTTON_LABEL_LIMIT), style=discord.ButtonStyle.secondary
        )
        self.question = question

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await self.view.answer(interaction, self.question)


class RelatedButton(discord.ui.Button["AnswerView"]):
    def __init__(self) -> None:
        super().__init__(label="Related questions", style=discord.ButtonStyle.primary)

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await self.view.show_related(interaction)


class AnswerView(ExpiringView):
    """Question buttons under an answer: the asker's click answers in place, others' privately."""

    def __init__(
        self,
        ask: Asker,
        *,
        owner_id: int,
        questions: Sequence[str] = (),
        related: Sequence[str] = (),
        timeout: float = ANSWER_VIEW_TIMEOUT,
    ) -> None:
        super().__init__(timeout=timeout)
        self.ask = ask
        self.owner_id = owner_id
        self.related = tuple(related)
        for question in list(dict.fromkeys(questions))[:MAX_QUESTION_BUTTONS]:
            self.add_item(QuestionButton(question))
        if self.related:
            self.add_item(RelatedButton())

    @classmethod
    def for_answer(cls, ask: Asker, answer: Answer, *, owner_id: int) -> AnswerView | None:
        """Suggestions when the bot could not answer outright, a Related button when it did."""
        if answer.kind is ReplyKind.ANSWER:
            view = cls(ask, owner_id=owner_id, related=answer.related)
        else:
            view = cls(ask, owner_id=owner_id, questions=answer.suggestions[:MAX_SUGGESTIONS])
        return view if view.children else None

    async def answer(self, interaction: discord.Interaction, question: str) -> None:
        user_id = interaction.user.id
        answer = await self.ask(
            question, user_id=user_id, channel_id=interaction.channel_id or 0, via="button"
        )
        embed = answer_embed(answer, question)
        view = AnswerView.for_answer(self.ask, answer, owner_id=user_id)
        if user_id == self.owner_id:
            await interaction.response.edit_message(embed=embed, view=view)
            self.stop()
        else:
            await interaction.response.send_message(
                embed=embed, view=maybe_view(view), ephemeral=True, allowed_mentions=NO_PINGS
            )
        if view is not None:
            view.attach(interaction)

    async def show_related(self, interaction: discord.Interaction) -> None:
        view = AnswerView(self.ask, owner_id=interaction.user.id, questions=self.related)
        await interaction.response.send_message(
            embed=questions_embed("Related questions", self.related),
            view=view,
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )
        view.attach(interaction)


def maybe_view(view: discord.ui.View | None) -> Any:
    # send() and reply() accept no view=None; MISSING is discord.py's own "not given".
    return discord.utils.MISSING if view is None else view


class Paginator(ExpiringView):
    """Previous/Next through pre-rendered pages; only the person who asked may turn them."""

    def __init__(
        self, pages: Sequence[discord.Embed], *, owner_id: int, timeout: float = PAGE_VIEW_TIMEOUT
    ) -> None:
        super().__init__(timeout=timeout)
        if not pages:
            raise ValueError("a paginator needs at least one page")
        self.pages = list(pages)
        self.owner_id = owner_id
        self.index = 0
        self._sync()

    @property
    def page(self) -> discord.Embed:
        return self.pages[self.index]

    def _sync(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index == len(self.pages) - 1
        self.counter.label = f"{self.index + 1} / {len(self.pages)}"

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            NOT_YOURS, ephemeral=True, allowed_mentions=NO_PINGS
        )
        return False

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        self.index = max(0, min(len(self.pages) - 1, self.index + step))
        self._sync()
        await interaction.response.edit_message(embed=self.page, view=self)

    @discord.ui.button(label="◀ Previous", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction, button: discord.ui.Button[Paginator]
    ) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="1 / 1", style=discord.ButtonStyle.secondary, disabled=True)
    async def counter(
        self, interaction: discord.Interaction, button: discord.ui.Button[Paginator]
    ) -> None:
        await interaction.response.defer()  # a label, never enabled

    @discord.ui.button(label="Next ▶", style=discord.ButtonStyle.secondary)
    async def next(
        self, interaction: discord.Interaction, button: discord.ui.Button[Paginator]
    ) -> None:
        await self._turn(interaction, 1)
