"""Buttons that keep working after a restart: their state lives in the custom id.

Every button is a `discord.ui.DynamicItem`: the bot registers the templates once
(`add_dynamic_items`), and a click on any message it ever sent is parsed back into a button,
whichever process sent it. What does not fit the 100 characters of a custom id (a question
longer than a button's label) lives in a `LocalView` instead: it expires, and is greyed out
at shutdown rather than left looking live.

    cnrp:ask:OWNER:MISS:N        a suggested question (its label); MISS is the miss it follows
    cnrp:rel:OWNER:INTENT        "Related questions" of an intent
    cnrp:page:OWNER:PAGE:TABLE:OPTIONS   a page of a table (also "did you mean" names)
    cnrp:vote:OWNER:up|down:MISS:INTENT  👍/👎 on an answer
    cnrp:del:OWNER               delete a public answer
    cnrp:pages:PAGE:COUNT, cnrp:voted    labels, never enabled
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import quote, unquote

import discord

from bot.core.misses import Feedback, Miss, Vote
from bot.core.models import Answer, ReplyKind
from bot.core.render import render_table
from bot.discord_app.embeds import BUTTON_LABEL_LIMIT, answer_embed, questions_embed, table_embeds
from bot.discord_app.runtime import Runtime, runtime_of

NO_PINGS = discord.AllowedMentions.none()
CUSTOM_ID_LIMIT = 100
MAX_SUGGESTIONS = 3  # "did you mean" stays short whatever the engine offers
MAX_RELATED = 10
# Interaction tokens live 15 minutes; a local view times out before its token can no longer
# edit the message to grey it out.
LOCAL_VIEW_TIMEOUT = 600.0
NOT_YOURS = (
    "Only the person who ran this command can turn its pages; run it yourself for your own copy."
)
NOT_YOUR_ANSWER = "Only the person who asked can do that; ask it yourself for your own answer."
GONE = "That question is no longer in the knowledge base."
# Table options in a page button, by a one-letter key to leave room for the values.
OPTION_KEYS = {"constituency": "c", "sort": "s", "order": "o", "which": "w", "area": "a", "year": "y"}
OPTION_NAMES = {short: name for name, short in OPTION_KEYS.items()}
# The buttons' emoji, parsed once: a str is parsed into the same PartialEmoji on every button.
UP_EMOJI = discord.PartialEmoji(name="👍")
DOWN_EMOJI = discord.PartialEmoji(name="👎")
DELETE_EMOJI = discord.PartialEmoji(name="🗑️")


def maybe_view(view: discord.ui.View | None) -> Any:
    # send() and reply() accept no view=None; MISSING is discord.py's own "not given".
    return discord.utils.MISSING if view is None else view


def release(view: discord.ui.View | None) -> None:
    """Empty a sent view that discord.py did not keep (a stopped one, see `questions_view`).
    Its buttons point back at it, so view and buttons are a cycle that only the garbage
    collector frees: some 20 objects an answer, which were nearly all the collector's work in
    the bot. Emptied, they are freed by reference counting as soon as the reply is sent."""
    if view is not None and view.is_finished() and not isinstance(view, LocalView):
        view.clear_items()


def miss_ref(miss: Miss | None) -> int:
    """The miss id a reply's buttons carry (0: the reply follows no kept miss)."""
    return (miss.id or 0) if miss is not None else 0


def _fits(custom_id: str) -> bool:
    return len(custom_id) <= CUSTOM_ID_LIMIT


# ----------------------------------------------------------------------------- state in ids


def encode_options(options: dict[str, Any]) -> str:
    parts = []
    for name, value in options.items():
        if value is None or name not in OPTION_KEYS:
            continue
        parts.append(f"{OPTION_KEYS[name]}={quote(str(value), safe=' ')}")
    return ";".join(parts)


def decode_options(text: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for part in filter(None, text.split(";")):
        key, _, value = part.partition("=")
        name = OPTION_NAMES.get(key)
        if name is not None:
            options[name] = int(unquote(value)) if name == "year" else unquote(value)
    return options


# ----------------------------------------------------------------------------- answering clicks


async def ask_from_click(interaction: discord.Interaction, question: str, *, owner_id: int,
                         miss_id: int) -> None:
    """A suggested or related question clicked: the asker's click answers in place, anyone
    else's privately; the click is kept with the miss it followed. Past the clicker's burst
    the click is acknowledged at once and answered when its turn comes, never dropped."""
    runtime = runtime_of(interaction.client)
    if runtime.ask is None:
        return
    user_id = interaction.user.id
    in_place = user_id == owner_id
    async with runtime.inflight.track():
        delayed = runtime.limiter.would_wait(user_id)
        if delayed:  # Discord waits 3 s for a first response
            if in_place:
                await interaction.response.defer()
            else:
                await interaction.response.defer(ephemeral=True, thinking=True)
        answer = await runtime.ask(question, user_id=user_id,
                                   channel_id=interaction.channel_id or 0, via="button",
                                   server_id=interaction.guild_id)
        miss = runtime.policy.miss_for(answer, server=interaction.guild_id, user=str(user_id))
        view = reply_view(runtime, answer, owner_id=user_id, miss_id=miss_ref(miss),
                          public=in_place and _is_public(interaction))
        embed = answer_embed(answer, runtime.engine.kb)
        await runtime.wait_turn(user_id)
        if delayed:
            await interaction.edit_original_response(embed=embed, view=view,
                                                     allowed_mentions=NO_PINGS)
        elif in_place:
            await interaction.response.edit_message(embed=embed, view=view)
        else:
            await interaction.response.send_message(embed=embed, view=maybe_view(view),
                                                    ephemeral=True, allowed_mentions=NO_PINGS)
        if isinstance(view, LocalView):
            view.attach(interaction, runtime)
        if miss is not None:
            await runtime.keep(miss)
        if miss_id:
            await runtime.keep_feedback(Feedback(datetime.now(UTC), Vote.CLICKED,
                                                 interaction.guild_id, miss_id, suggestion=question))


def _is_public(interaction: discord.Interaction) -> bool:
    message = interaction.message
    return message is not None and not message.flags.ephemeral


# ----------------------------------------------------------------------------- the buttons


class AskButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                template=r"cnrp:ask:(?P<owner>\d+):(?P<miss>\d+):(?P<n>\d+)"):
    """A suggested question; the label is the question (so it must fit a label whole)."""

    def __init__(self, question: str, *, owner_id: int, miss_id: int, n: int) -> None:
        super().__init__(self.button(question, owner_id=owner_id, miss_id=miss_id, n=n))
        self.question, self.owner_id, self.miss_id, self.n = question, owner_id, miss_id, n

    @staticmethod
    def button(question: str, *, owner_id: int, miss_id: int, n: int) -> discord.ui.Button[Any]:
        """The button this item wraps: what a stopped view shows (see `questions_view`)."""
        return discord.ui.Button(label=question, style=discord.ButtonStyle.secondary,
                                 custom_id=f"cnrp:ask:{owner_id}:{miss_id}:{n}")

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> Self:
        label = getattr(item, "label", None) or ""
        return cls(label, owner_id=int(match["owner"]), miss_id=int(match["miss"]), n=int(match["n"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await ask_from_click(interaction, self.question, owner_id=self.owner_id, miss_id=self.miss_id)


class RelatedButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                    template=r"cnrp:rel:(?P<owner>\d+):(?P<intent>[^:]+)"):
    def __init__(self, intent: str, *, owner_id: int) -> None:
        super().__init__(self.button(intent, owner_id=owner_id))
        self.intent, self.owner_id = intent, owner_id

    @staticmethod
    def button(intent: str, *, owner_id: int) -> discord.ui.Button[Any]:
        """The button this item wraps: what a stopped view shows (see `questions_view`)."""
        return discord.ui.Button(label="Related questions", style=discord.ButtonStyle.primary,
                                 custom_id=f"cnrp:rel:{owner_id}:{intent}")

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> Self:
        return cls(match["intent"], owner_id=int(match["owner"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        runtime = runtime_of(interaction.client)
        questions = related_questions(runtime, self.intent)
        if not questions:
            await interaction.response.send_message(GONE, ephemeral=True, allowed_mentions=NO_PINGS)
            return
        view = questions_view(questions, owner_id=interaction.user.id, miss_id=0)
        await interaction.response.send_message(
            embed=questions_embed("Related questions", questions), view=maybe_view(view),
            ephemeral=True, allowed_mentions=NO_PINGS)  # fmt: skip
        if isinstance(view, LocalView):
            view.attach(interaction, runtime)


def related_questions(runtime: Runtime, intent_id: str) -> list[str]:
    intents = runtime.engine.kb.intents
    intent = intents.get(intent_id)
    if intent is None:
        return []
    return [intents[r].question for r in intent.related if r in intents][:MAX_RELATED]


class PageButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                 template=r"cnrp:page:(?P<owner>\d+):(?P<page>\d+):(?P<table>[a-z]+):(?P<options>.*)"):
    """Shows page PAGE of a table; turning pages and "did you mean" names both use it."""

    def __init__(self, label: str, *, owner_id: int, page: int, table: str, options: str,
                 disabled: bool = False, style: discord.ButtonStyle = discord.ButtonStyle.secondary,
                 ) -> None:  # fmt: skip
        super().__init__(discord.ui.Button(
            label=label, style=style, disabled=disabled,
            custom_id=f"cnrp:page:{owner_id}:{page}:{table}:{options}"))  # fmt: skip
        self.owner_id, self.page, self.table, self.options = owner_id, page, table, options

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> Self:
        return cls(getattr(item, "label", None) or "", owner_id=int(match["owner"]),
                   page=int(match["page"]), table=match["table"], options=match["options"])

    async def callback(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(NOT_YOURS, ephemeral=True,
                                                    allowed_mentions=NO_PINGS)
            return
        runtime = runtime_of(interaction.client)
        try:
            rendered = render_table(runtime.engine.kb, self.table, **decode_options(self.options))
        except ValueError as error:
            await interaction.response.edit_message(content=str(error), embed=None, view=None)
            return
        pages = table_embeds(rendered)
        page = max(0, min(self.page, len(pages) - 1))
        view = paging_view(self.owner_id, self.table, self.options, page, len(pages))
        await interaction.response.edit_message(content=None, embed=pages[page], view=maybe_view(view))


class PageCounter(discord.ui.DynamicItem[discord.ui.Button[Any]],
                  template=r"cnrp:pages:(?P<page>\d+):(?P<count>\d+)"):
    """"2 / 5" between the arrows: a label, never enabled (registered so a stray click is
    acknowledged rather than left to fail)."""

    def __init__(self, page: int, count: int) -> None:
        super().__init__(discord.ui.Button(
            label=f"{page + 1} / {count}", style=discord.ButtonStyle.secondary, disabled=True,
            custom_id=f"cnrp:pages:{page}:{count}"))  # fmt: skip

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> Self:
        return cls(int(match["page"]), int(match["count"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                 template=r"cnrp:vote:(?P<owner>\d+):(?P<vote>up|down):(?P<miss>\d+):(?P<intent>[^:]*)"):
    def __init__(self, vote: Vote, *, owner_id: int, miss_id: int, intent: str) -> None:
        button = self.button(vote, owner_id=owner_id, miss_id=miss_id, intent=intent)
        super().__init__(button)
        if not (button.custom_id or "").endswith(f":{intent}"):
            intent = ""  # too long to keep (see `button`)
        self.vote, self.owner_id, self.miss_id, self.intent = vote, owner_id, miss_id, intent

    @staticmethod
    def button(vote: Vote, *, owner_id: int, miss_id: int, intent: str) -> discord.ui.Button[Any]:
        """The button this item wraps: what a stopped view shows (see `questions_view`)."""
        custom_id = f"cnrp:vote:{owner_id}:{vote.value}:{miss_id}:{intent}"
        if not _fits(custom_id):  # an intent id this long is kept out, the vote still counts
            custom_id = f"cnrp:vote:{owner_id}:{vote.value}:{miss_id}:"
        return discord.ui.Button(emoji=UP_EMOJI if vote is Vote.UP else DOWN_EMOJI,
                                 style=discord.ButtonStyle.secondary, custom_id=custom_id)

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> Self:
        return cls(Vote(match["vote"]), owner_id=int(match["owner"]), miss_id=int(match["miss"]),
                   intent=match["intent"])

    async def callback(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(NOT_YOUR_ANSWER, ephemeral=True,
                                                    allowed_mentions=NO_PINGS)
            return
        runtime = runtime_of(interaction.client)
        async with runtime.inflight.track():
            # The buttons give way to a thank-you at once; the vote is kept just after.
            await interaction.response.edit_message(view=without_votes(interaction.message))
            await runtime.keep_feedback(Feedback(
                datetime.now(UTC), self.vote, interaction.guild_id, self.miss_id or None,
                intent=self.intent or None))  # fmt: skip


class DeleteButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                   template=r"cnrp:del:(?P<owner>\d+)"):
    def __init__(self, *, owner_id: int) -> None:
        super().__init__(self.button(owner_id=owner_id))
        self.owner_id = owner_id

    @staticmethod
    def button(*, owner_id: int) -> discord.ui.Button[Any]:
        """The button this item wraps: what a stopped view shows (see `questions_view`)."""
        return discord.ui.Button(label="Delete", emoji=DELETE_EMOJI,
                                 style=discord.ButtonStyle.secondary,
                                 custom_id=f"cnrp:del:{owner_id}")

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> Self:
        return cls(owner_id=int(match["owner"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.owner_id or interaction.message is None:
            await interaction.response.send_message(NOT_YOUR_ANSWER, ephemeral=True,
                                                    allowed_mentions=NO_PINGS)
            return
        await interaction.response.defer()
        with contextlib.suppress(discord.NotFound):  # deleted meanwhile: nothing left to do
            await interaction.message.delete()


class VotedNote(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"cnrp:voted"):
    """Where the 👍/👎 were: a greyed-out thank-you."""

    def __init__(self) -> None:
        super().__init__(discord.ui.Button(
            label="Thanks for the feedback", style=discord.ButtonStyle.secondary, disabled=True,
            custom_id="cnrp:voted"))  # fmt: skip

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> Self:
        return cls()

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()


PERSISTENT_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    AskButton, RelatedButton, PageButton, PageCounter, VoteButton, DeleteButton, VotedNote,
)


def item_from_component(component: discord.components.Component) -> discord.ui.Item[Any] | None:
    """A button of a sent message as the item that would handle it (None if it is not ours)."""
    custom_id = getattr(component, "custom_id", None) or ""
    label = getattr(component, "label", None) or ""
    for factory in PERSISTENT_ITEMS:
        match = factory.__discord_ui_compiled_template__.fullmatch(custom_id)
        if match is None:
            continue
        if factory is AskButton:
            return AskButton(label, owner_id=int(match["owner"]), miss_id=int(match["miss"]),
                             n=int(match["n"]))
        if factory is RelatedButton:
            return RelatedButton(match["intent"], owner_id=int(match["owner"]))
        if factory is DeleteButton:
            return DeleteButton(owner_id=int(match["owner"]))
        if factory is VoteButton:
            return VoteButton(Vote(match["vote"]), owner_id=int(match["owner"]),
                              miss_id=int(match["miss"]), intent=match["intent"])
    return None


def without_votes(message: discord.Message | None) -> discord.ui.View | None:
    """The message's buttons with the 👍/👎 replaced by a thank-you."""
    view = discord.ui.View(timeout=None)
    voted = False
    components = message.components if message is not None else []
    for row in components:
        for component in getattr(row, "children", [row]):
            custom_id = getattr(component, "custom_id", None) or ""
            if custom_id.startswith("cnrp:vote:"):
                if not voted:
                    view.add_item(VotedNote())
                    voted = True
                continue
            item = item_from_component(component)
            if item is not None:
                view.add_item(item)
    return view if view.children else None


# ----------------------------------------------------------------------------- local views


class LocalView(discord.ui.View):
    """Buttons whose state lives only in this process: they time out, and at shutdown they are
    greyed out rather than left looking live. Persistent buttons in the same view stay live."""

    def __init__(self, *, timeout: float = LOCAL_VIEW_TIMEOUT) -> None:
        super().__init__(timeout=timeout)
        self._target: discord.Message | discord.Interaction | None = None
        self._runtime: Runtime | None = None

    def attach(self, target: discord.Message | discord.Interaction, runtime: Runtime) -> None:
        """Remember where the view is shown: a message, or the interaction whose response it is."""
        self._target = target
        self._runtime = runtime
        runtime.local_views.add(self)

    def stop(self) -> None:
        super().stop()
        if self._runtime is not None:
            self._runtime.local_views.discard(self)

    async def on_timeout(self) -> None:
        await self.disable()

    async def disable(self) -> None:
        """Grey out the buttons that cannot outlive this process, and let the view go."""
        for item in self.children:
            # Persistent buttons are DynamicItems, not Buttons: they stay live.
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        target = self._target
        with contextlib.suppress(discord.HTTPException):
            if isinstance(target, discord.Interaction):
                await target.edit_original_response(view=self)
            elif target is not None:
                await target.edit(view=self)
        self.stop()


class LocalQuestionButton(discord.ui.Button[LocalView]):
    """A suggested question too long for a button label: the question is kept in memory."""

    def __init__(self, question: str, *, owner_id: int, miss_id: int) -> None:
        super().__init__(label=question[: BUTTON_LABEL_LIMIT - 1] + "…",
                         style=discord.ButtonStyle.secondary)
        self.question, self.owner_id, self.miss_id = question, owner_id, miss_id

    async def callback(self, interaction: discord.Interaction) -> None:
        await ask_from_click(interaction, self.question, owner_id=self.owner_id,
                             miss_id=self.miss_id)


class LocalPaginator(LocalView):
    """Pages whose options do not fit a custom id: turned in memory until the view expires."""

    def __init__(self, pages: Sequence[discord.Embed], *, owner_id: int) -> None:
        super().__init__()
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

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(NOT_YOURS, ephemeral=True, allowed_mentions=NO_PINGS)
        return False

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        self.index = max(0, min(len(self.pages) - 1, self.index + step))
        self._sync()
        await interaction.response.edit_message(embed=self.page, view=self)

    @discord.ui.button(label="◀ Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction,
                       button: discord.ui.Button[LocalPaginator]) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next ▶", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction,
                   button: discord.ui.Button[LocalPaginator]) -> None:
        await self._turn(interaction, 1)


# ----------------------------------------------------------------------------- building views


def is_local(questions: Sequence[str]) -> bool:
    """Whether a view offering these questions is a LocalView: one is too long for a label."""
    return any(len(q) > BUTTON_LABEL_LIMIT for q in questions)


def questions_view(questions: Sequence[str], *, owner_id: int, miss_id: int,
                   extra: Sequence[discord.ui.Item[Any]] = ()) -> discord.ui.View | None:
    """A button per question; a question longer than a label makes the view a LocalView.

    Every other view is stopped, and then holds only the buttons its DynamicItems wrap (`extra`
    too: see `reply_view`). Each DynamicItem is registered once (add_dynamic_items), so a click
    is parsed back from its custom id, on any message; a view not stopped, discord.py would
    also walk and store for the message on every send, for nothing. A stopped view is only
    ever sent, never dispatched through, and a wrapper serializes as its button does, so the
    wrappers (a few µs each, three or four an answer) are left out."""
    local = is_local(questions)
    view: discord.ui.View = LocalView() if local else discord.ui.View(timeout=None)
    for n, question in enumerate(dict.fromkeys(questions)):
        if len(question) > BUTTON_LABEL_LIMIT:
            view.add_item(LocalQuestionButton(question, owner_id=owner_id, miss_id=miss_id))
        elif local:
            view.add_item(AskButton(question, owner_id=owner_id, miss_id=miss_id, n=n))
        else:
            view.add_item(AskButton.button(question, owner_id=owner_id, miss_id=miss_id, n=n))
    for item in extra:
        view.add_item(item)
    if not view.children:
        return None
    if not local:
        view.stop()
    return view


def reply_view(runtime: Runtime, answer: Answer, *, owner_id: int, miss_id: int,
               public: bool) -> discord.ui.View | None:
    """The buttons under a reply: an answer gets Related and 👍/👎, anything else its
    suggestions; a public reply a Delete for the asker."""
    questions: Sequence[str] = (() if answer.kind is ReplyKind.ANSWER
                                else answer.suggestions[:MAX_SUGGESTIONS])
    # A view that is not a LocalView is stopped, and shows the buttons alone (`questions_view`).
    wrapped = is_local(questions)
    extra: list[discord.ui.Item[Any]] = []
    if answer.kind is ReplyKind.ANSWER:
        intent = answer.intent or ""
        if answer.related and intent and _fits(f"cnrp:rel:{owner_id}:{intent}"):
            extra.append(RelatedButton(intent, owner_id=owner_id) if wrapped
                         else RelatedButton.button(intent, owner_id=owner_id))
        for vote in (Vote.UP, Vote.DOWN):
            extra.append(VoteButton(vote, owner_id=owner_id, miss_id=miss_id, intent=intent)
                         if wrapped else
                         VoteButton.button(vote, owner_id=owner_id, miss_id=miss_id, intent=intent))
    if public:
        extra.append(DeleteButton(owner_id=owner_id) if wrapped
                     else DeleteButton.button(owner_id=owner_id))
    return questions_view(questions, owner_id=owner_id, miss_id=miss_id, extra=extra)


def paging_view(owner_id: int, table: str, options: str, page: int,
                count: int) -> discord.ui.View | None:
    """Previous / counter / Next for a table, or None when it has one page."""
    if count <= 1:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(PageButton("◀ Previous", owner_id=owner_id, page=max(0, page - 1), table=table,
                             options=options, disabled=page == 0))
    view.add_item(PageCounter(page, count))
    view.add_item(PageButton("Next ▶", owner_id=owner_id, page=min(count - 1, page + 1),
                             table=table, options=options, disabled=page == count - 1))
    return view


def paging_fits(owner_id: int, table: str, options: str, count: int) -> bool:
    return _fits(f"cnrp:page:{owner_id}:{count}:{table}:{options}")


def names_view(owner_id: int, table: str, option: str, names: Sequence[str],
               options: dict[str, Any]) -> discord.ui.View | None:
    """"Did you mean" names for a table option, each showing the table for that name."""
    view = discord.ui.View(timeout=None)
    for name in names:
        encoded = encode_options({**options, option: name})
        if paging_fits(owner_id, table, encoded, 0):
            view.add_item(PageButton(name, owner_id=owner_id, page=0, table=table, options=encoded,
                                     style=discord.ButtonStyle.primary))
    return view if view.children else None
