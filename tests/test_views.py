"""Buttons driven directly with stand-in interactions (the e2e suites drive them through
Discord's own payloads, across a restart too): the state each keeps in its custom id, who may
press it, what a press does, and the local views greyed out at shutdown."""

from __future__ import annotations

import asyncio
import gc
import re
import weakref
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.core.context import ConversationStore
from bot.core.engine import Engine
from bot.core.misses import Miss, Vote
from bot.core.misses_sqlite import SqliteMissStore
from bot.core.models import Answer, ReplyKind
from bot.discord_app.ratelimit import RateLimiter
from bot.discord_app.runtime import Runtime
from bot.discord_app.settings import Secret, Settings
from bot.discord_app.views import (
    CUSTOM_ID_LIMIT,
    NOT_YOUR_ANSWER,
    NOT_YOURS,
    PERSISTENT_ITEMS,
    AskButton,
    DeleteButton,
    LocalPaginator,
    LocalQuestionButton,
    LocalView,
    PageButton,
    RelatedButton,
    VoteButton,
    decode_options,
    encode_options,
    names_view,
    paging_view,
    release,
    reply_view,
    without_votes,
)

OWNER, OTHER = 111111111111111111, 222222222222222222
GUILD = 333333333333333333
NOW = datetime(2026, 11, 1, tzinfo=UTC)


class StandInResponse:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def edit_message(self, **kwargs: Any) -> None:
        self.calls.append(("edit", kwargs))

    async def send_message(self, content: str | None = None, **kwargs: Any) -> None:
        self.calls.append(("send", {"content": content, **kwargs}))

    async def defer(self, **kwargs: Any) -> None:
        self.calls.append(("defer", kwargs))


class StandInMessage:
    def __init__(self, view: discord.ui.View | None = None, ephemeral: bool = False) -> None:
        self.components = (
            [discord.ActionRow(row) for row in view.to_components()] if view is not None else []
        )
        self.flags = SimpleNamespace(ephemeral=ephemeral)
        self.edits: list[dict[str, Any]] = []
        self.deleted = False

    async def edit(self, **kwargs: Any) -> None:
        self.edits.append(kwargs)

    async def delete(self) -> None:
        self.deleted = True


class StandInInteraction:
    def __init__(self, user_id: int, runtime: Runtime, message: StandInMessage | None = None) -> None:
        self.user = SimpleNamespace(id=user_id)
        self.channel_id = 7
        self.guild_id = GUILD
        self.client = SimpleNamespace(runtime=runtime)
        self.message = message or StandInMessage()
        self.response = StandInResponse()
        self.original_edits: list[dict[str, Any]] = []

    async def edit_original_response(self, **kwargs: Any) -> None:
        self.original_edits.append(kwargs)


@pytest.fixture()
def runtime(engine: Engine, tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(token=Secret("x"), misses_db=tmp_path / "misses.sqlite3")
    made = Runtime(settings=settings, engine=engine, limiter=RateLimiter(0, 1.0),
                   conversations=ConversationStore(), store=SqliteMissStore(settings.misses_path))

    async def ask(question: str, *, user_id: int, channel_id: int, via: str,
                  server_id: int | None = None) -> Answer:
        return engine.ask(question)

    made.ask = ask
    yield made
    # Closed, not left to the garbage collector: Python 3.13 warns about an unclosed connection.
    made.store.close()  # type: ignore[union-attr]


def answer(kind: ReplyKind, *, suggestions: tuple[str, ...] = (), related: tuple[str, ...] = (),
           intent: str = "party.founders") -> Answer:
    return Answer(matched=kind is ReplyKind.ANSWER, intent=intent if kind is ReplyKind.ANSWER else None,
                  confidence=0.9, text="text", suggestions=suggestions, related=related, kind=kind)  # fmt: skip


def labels(view: discord.ui.View) -> list[str | None]:
    """What each button shows (a dynamic item wraps its button)."""
    return [getattr(getattr(item, "item", item), "label", None) for item in view.children]


def disabled(view: discord.ui.View) -> list[bool]:
    return [bool(getattr(getattr(item, "item", item), "disabled", False)) for item in view.children]


def ids(view: discord.ui.View | None) -> list[str]:
    assert view is not None
    return [str(getattr(item, "custom_id", "")) for item in view.children]


async def match(factory: Any, custom_id: str, label: str = "") -> Any:
    """The button discord.py would build from a click on `custom_id` (as after a restart)."""
    found = factory.__discord_ui_compiled_template__.fullmatch(custom_id)
    assert found is not None, custom_id
    return await factory.from_custom_id(None, SimpleNamespace(label=label), found)


# ----------------------------------------------------------------------------- what is shown


async def test_an_answer_gets_related_votes_and_for_a_public_reply_delete(runtime: Runtime) -> None:
    view = reply_view(runtime, answer(ReplyKind.ANSWER, related=("A?",)), owner_id=OWNER,
                      miss_id=42, public=True)  # fmt: skip
    assert ids(view) == [f"cnrp:rel:{OWNER}:party.founders", f"cnrp:vote:{OWNER}:up:42:party.founders",
                         f"cnrp:vote:{OWNER}:down:42:party.founders", f"cnrp:del:{OWNER}"]  # fmt: skip
    assert view is not None and view.timeout is None, "persistent: nothing to time out"
    private = reply_view(runtime, answer(ReplyKind.ANSWER), owner_id=OWNER, miss_id=0, public=False)
    assert [i.split(":")[1] for i in ids(private)] == ["vote", "vote"]


async def test_a_no_match_gets_one_button_per_suggestion_at_most_three(runtime: Runtime) -> None:
    offered = answer(ReplyKind.UNKNOWN, suggestions=("A?", "B?", "C?", "D?"))
    view = reply_view(runtime, offered, owner_id=OWNER, miss_id=9, public=False)
    assert ids(view) == [f"cnrp:ask:{OWNER}:9:{n}" for n in range(3)]
    assert view is not None and labels(view) == ["A?", "B?", "C?"]


async def test_every_custom_id_fits(runtime: Runtime) -> None:
    long_intent = "x" * 95
    view = reply_view(runtime, answer(ReplyKind.ANSWER, related=("A?",), intent=long_intent),
                      owner_id=OWNER, miss_id=2**53 - 1, public=True)  # fmt: skip
    assert all(len(i) <= CUSTOM_ID_LIMIT for i in ids(view))
    assert not any(i.startswith("cnrp:rel:") for i in ids(view)), "too long to keep: not offered"


async def test_a_question_too_long_for_a_label_makes_a_local_view(runtime: Runtime) -> None:
    long = "and what did the party say about " + "the economy " * 10
    view = reply_view(runtime, answer(ReplyKind.UNKNOWN, suggestions=("A?", long)), owner_id=OWNER,
                      miss_id=0, public=True)  # fmt: skip
    assert isinstance(view, LocalView) and view.timeout
    kinds = [type(item) for item in view.children]
    assert kinds == [AskButton, LocalQuestionButton, DeleteButton]
    local = view.children[1]
    assert isinstance(local, LocalQuestionButton) and local.question == long
    assert len(local.label or "") <= 80


async def test_only_a_local_view_is_left_for_discord_py_to_keep(runtime: Runtime) -> None:
    # A view of DynamicItems only is stopped: discord.py then keeps nothing for the message, and
    # a click comes back through the templates, as after a restart. A LocalView stays live.
    dynamic = reply_view(runtime, answer(ReplyKind.ANSWER, related=("A?",)), owner_id=OWNER,
                         miss_id=3, public=True)
    assert dynamic is not None and dynamic.is_finished()
    # It shows the buttons alone, each one that a registered template parses back.
    assert all(isinstance(item, discord.ui.Button) for item in dynamic.children)
    assert all(any(factory.__discord_ui_compiled_template__.fullmatch(custom_id)
                   for factory in PERSISTENT_ITEMS) for custom_id in ids(dynamic))
    long = "and what did the party say about " + "the economy " * 10
    local = reply_view(runtime, answer(ReplyKind.UNKNOWN, suggestions=(long,)), owner_id=OWNER,
                       miss_id=0, public=False)
    assert isinstance(local, LocalView) and not local.is_finished()


async def test_a_sent_view_discord_py_does_not_keep_is_freed_without_the_collector(
        runtime: Runtime) -> None:
    dynamic = reply_view(runtime, answer(ReplyKind.ANSWER, related=("A?",)), owner_id=OWNER,
                         miss_id=3, public=True)
    assert dynamic is not None
    view, button = weakref.ref(dynamic), weakref.ref(dynamic.children[0])
    gc.disable()  # only reference counting may free them
    try:
        release(dynamic)
        del dynamic
        assert view() is None and button() is None
    finally:
        gc.enable()
    long = "and what did the party say about " + "the economy " * 10
    local = reply_view(runtime, answer(ReplyKind.UNKNOWN, suggestions=(long,)), owner_id=OWNER,
                       miss_id=0, public=True)
    assert isinstance(local, LocalView)
    release(local)  # kept by this process until it times out: its buttons stay
    assert [type(item) for item in local.children] == [LocalQuestionButton, DeleteButton]
    release(None)


async def test_nothing_to_offer_means_no_view(runtime: Runtime) -> None:
    assert reply_view(runtime, answer(ReplyKind.SMALLTALK), owner_id=OWNER, miss_id=0,
                      public=False) is None  # fmt: skip


# ----------------------------------------------------------------------------- state in ids


async def test_state_comes_back_from_the_custom_id() -> None:
    ask = await match(AskButton, f"cnrp:ask:{OWNER}:42:1", label="Who founded the CNRP?")
    assert (ask.question, ask.owner_id, ask.miss_id) == ("Who founded the CNRP?", OWNER, 42)
    vote = await match(VoteButton, f"cnrp:vote:{OWNER}:down:0:party.logo")
    assert (vote.vote, vote.miss_id, vote.intent) == (Vote.DOWN, 0, "party.logo")
    related = await match(RelatedButton, f"cnrp:rel:{OWNER}:party.founders")
    assert related.intent == "party.founders"
    page = await match(PageButton, f"cnrp:page:{OWNER}:3:results:s=share;o=asc")
    assert (page.page, page.table, decode_options(page.options)) == (
        3, "results", {"sort": "share", "order": "asc"})


def test_table_options_round_trip() -> None:
    options = {"constituency": "Takéo", "sort": "share", "year": 2017, "area": "a;b=c", "x": 1}
    encoded = encode_options(options)
    assert ":" not in encoded
    assert decode_options(encoded) == {"constituency": "Takéo", "sort": "share", "year": 2017,
                                       "area": "a;b=c"}  # fmt: skip


def test_paging_buttons_and_did_you_mean_names() -> None:
    view = paging_view(OWNER, "policies", "", 0, 3)
    assert ids(view) == [f"cnrp:page:{OWNER}:0:policies:", "cnrp:pages:0:3",
                         f"cnrp:page:{OWNER}:1:policies:"]  # fmt: skip
    assert view is not None and disabled(view) == [True, True, False]
    assert paging_view(OWNER, "leaders", "", 0, 1) is None
    names = names_view(OWNER, "results", "constituency", ["Kampong Cham", "Kampot"], {"sort": "share"})
    assert ids(names) == [f"cnrp:page:{OWNER}:0:results:s=share;c=Kampong Cham",
                          f"cnrp:page:{OWNER}:0:results:s=share;c=Kampot"]  # fmt: skip


# ----------------------------------------------------------------------------- pressing


async def test_the_askers_click_answers_in_place_and_is_kept_with_the_miss(runtime: Runtime) -> None:
    assert runtime.store is not None
    runtime.store.add(Miss(NOW, "who made the cnrp", "unknown", 0.5, (), server=GUILD, id=42))
    button = AskButton("Who founded the CNRP?", owner_id=OWNER, miss_id=42, n=0)
    interaction = StandInInteraction(OWNER, runtime)
    await button.callback(interaction)  # type: ignore[arg-type]
    ((kind, call),) = interaction.response.calls
    assert kind == "edit" and "Sam Rainsy" in (call["embed"].description or "")
    assert call["embed"].title == "Who founded the CNRP?"
    assert [(f.vote, f.miss_id, f.suggestion, f.server) for f in runtime.store.feedback()] == [
        (Vote.CLICKED, 42, "Who founded the CNRP?", GUILD)]
    assert len(runtime.inflight) == 0 and runtime.inflight.finished == 1


async def test_someone_elses_click_answers_them_privately(runtime: Runtime) -> None:
    button = AskButton("Who founded the CNRP?", owner_id=OWNER, miss_id=0, n=0)
    interaction = StandInInteraction(OTHER, runtime)
    await button.callback(interaction)  # type: ignore[arg-type]
    ((kind, call),) = interaction.response.calls
    assert kind == "send" and call["ephemeral"] is True
    assert call["allowed_mentions"].to_dict()["parse"] == []
    assert all(str(OTHER) in i for i in ids(call["view"])), "the new buttons are theirs"


async def test_a_click_past_the_burst_is_acknowledged_then_answered(runtime: Runtime) -> None:
    runtime.limiter = RateLimiter(1, 60.0)
    await runtime.limiter.wait_turn(OWNER)  # the burst is spent
    interaction = StandInInteraction(OWNER, runtime)
    button = AskButton("Who founded the CNRP?", owner_id=OWNER, miss_id=0, n=0)
    task = asyncio.create_task(button.callback(interaction))  # type: ignore[arg-type]
    while not runtime.limiter.waiting():
        await asyncio.sleep(0)
    assert interaction.response.calls == [("defer", {})], "acknowledged within Discord's 3 s"
    runtime.limiter.open()  # as at shutdown: the held answer goes at once
    await asyncio.wait_for(task, 5)
    (edit,) = interaction.original_edits
    assert "Sam Rainsy" in (edit["embed"].description or "")


async def test_related_opens_a_private_list_of_questions(runtime: Runtime, engine: Engine) -> None:
    interaction = StandInInteraction(OTHER, runtime)
    await RelatedButton("party.founders", owner_id=OWNER).callback(interaction)  # type: ignore[arg-type]
    ((kind, call),) = interaction.response.calls
    related = [engine.kb.intents[i].question for i in engine.kb.intents["party.founders"].related]
    assert kind == "send" and call["ephemeral"] is True
    assert labels(call["view"]) == related[: len(call["view"].children)]
    gone = StandInInteraction(OTHER, runtime)
    await RelatedButton("no.such.intent", owner_id=OWNER).callback(gone)  # type: ignore[arg-type]
    assert "no longer" in gone.response.calls[0][1]["content"]


async def test_only_the_asker_votes_and_the_vote_is_kept(runtime: Runtime) -> None:
    shown = reply_view(runtime, answer(ReplyKind.ANSWER, related=("A?",)), owner_id=OWNER,
                       miss_id=0, public=True)  # fmt: skip
    message = StandInMessage(shown)
    stranger = StandInInteraction(OTHER, runtime, message)
    up = VoteButton(Vote.UP, owner_id=OWNER, miss_id=0, intent="party.founders")
    await up.callback(stranger)  # type: ignore[arg-type]
    assert stranger.response.calls[0][1]["content"] == NOT_YOUR_ANSWER
    asker = StandInInteraction(OWNER, runtime, message)
    await up.callback(asker)  # type: ignore[arg-type]
    ((kind, call),) = asker.response.calls
    assert kind == "edit"
    assert ids(call["view"]) == [f"cnrp:rel:{OWNER}:party.founders", "cnrp:voted", f"cnrp:del:{OWNER}"]
    assert runtime.store is not None
    (kept,) = runtime.store.feedback()
    assert (kept.vote, kept.intent, kept.server, kept.miss_id) == (Vote.UP, "party.founders", GUILD, None)


def test_without_votes_keeps_every_other_button(runtime: Runtime) -> None:
    shown = reply_view(runtime, answer(ReplyKind.ANSWER), owner_id=OWNER, miss_id=5, public=False)
    assert ids(without_votes(StandInMessage(shown))) == ["cnrp:voted"]  # type: ignore[arg-type]


async def test_only_the_asker_deletes(runtime: Runtime) -> None:
    message = StandInMessage()
    stranger = StandInInteraction(OTHER, runtime, message)
    await DeleteButton(owner_id=OWNER).callback(stranger)  # type: ignore[arg-type]
    assert not message.deleted and stranger.response.calls[0][1]["ephemeral"] is True
    asker = StandInInteraction(OWNER, runtime, message)
    await DeleteButton(owner_id=OWNER).callback(asker)  # type: ignore[arg-type]
    assert message.deleted and asker.response.calls == [("defer", {})]


async def test_pages_turn_for_their_owner_only(runtime: Runtime) -> None:
    stranger = StandInInteraction(OTHER, runtime)
    button = PageButton("Next ▶", owner_id=OWNER, page=1, table="policies", options="")
    await button.callback(stranger)  # type: ignore[arg-type]
    assert stranger.response.calls[0][1]["content"] == NOT_YOURS
    owner = StandInInteraction(OWNER, runtime)
    await button.callback(owner)  # type: ignore[arg-type]
    ((kind, call),) = owner.response.calls
    assert kind == "edit" and call["embed"].footer.text == "Page 2 of 2"
    assert disabled(call["view"]) == [False, True, True]


async def test_a_did_you_mean_name_shows_its_table(runtime: Runtime) -> None:
    owner = StandInInteraction(OWNER, runtime)
    button = PageButton("Kandal", owner_id=OWNER, page=0, table="results", options="c=Kandal")
    await button.callback(owner)  # type: ignore[arg-type]
    ((kind, call),) = owner.response.calls
    assert kind == "edit" and "Kandal" in (call["embed"].description or "")
    assert call["content"] is None, "the did-you-mean text gives way to the table"


# ----------------------------------------------------------------------------- local views


async def test_local_buttons_are_greyed_out_and_persistent_ones_stay_live(runtime: Runtime) -> None:
    long = "q" * 120
    view = reply_view(runtime, answer(ReplyKind.UNKNOWN, suggestions=("A?", long)), owner_id=OWNER,
                      miss_id=0, public=True)  # fmt: skip
    assert isinstance(view, LocalView)
    message = StandInMessage()
    view.attach(message, runtime)  # type: ignore[arg-type]
    assert runtime.local_views == {view}
    await view.disable()
    assert message.edits == [{"view": view}]
    assert disabled(view) == [False, True, False]
    assert runtime.local_views == set() and view.is_finished()


async def test_a_local_paginator_turns_for_its_owner_only(runtime: Runtime) -> None:
    pages = [discord.Embed(title=f"page {n}") for n in range(3)]
    view = LocalPaginator(pages, owner_id=OWNER)
    assert view.previous.disabled and not view.next.disabled
    stranger = StandInInteraction(OTHER, runtime)
    assert await view.interaction_check(stranger) is False  # type: ignore[arg-type]
    for expected in ("page 1", "page 2", "page 2"):
        owner = StandInInteraction(OWNER, runtime)
        await view._turn(owner, 1)  # type: ignore[arg-type]
        assert owner.response.calls[0][1]["embed"].title == expected
    assert view.next.disabled and not view.previous.disabled


def test_the_templates_do_not_overlap() -> None:
    samples = {AskButton: f"cnrp:ask:{OWNER}:1:0", RelatedButton: f"cnrp:rel:{OWNER}:a.b",
               PageButton: f"cnrp:page:{OWNER}:0:results:", VoteButton: f"cnrp:vote:{OWNER}:up:0:a",
               DeleteButton: f"cnrp:del:{OWNER}"}  # fmt: skip
    for factory, custom_id in samples.items():
        matching = [other for other in samples
                    if re.fullmatch(other.__discord_ui_compiled_template__, custom_id)]
        assert matching == [factory], custom_id


@pytest.mark.parametrize("kind", [ReplyKind.ANSWER, ReplyKind.UNKNOWN])
@pytest.mark.parametrize("public", [True, False])
async def test_a_stopped_view_sends_what_a_view_of_the_dynamic_items_sends(
        runtime: Runtime, kind: ReplyKind, public: bool) -> None:
    # What Discord receives is the same either way: the wrapped buttons, as the wrappers
    # serialize them (emoji included), in the same rows.
    replied = answer(kind, related=("A?",), suggestions=("A?", "B?"), intent="x" * 80)
    shown = reply_view(runtime, replied, owner_id=OWNER, miss_id=7, public=public)
    assert shown is not None
    wrapped = discord.ui.View(timeout=None)
    if kind is ReplyKind.ANSWER:
        items: list[discord.ui.Item[Any]] = [
            VoteButton(Vote.UP, owner_id=OWNER, miss_id=7, intent="x" * 80),
            VoteButton(Vote.DOWN, owner_id=OWNER, miss_id=7, intent="x" * 80)]
    else:
        items = [AskButton(q, owner_id=OWNER, miss_id=7, n=n) for n, q in enumerate(("A?", "B?"))]
    if public:
        items.append(DeleteButton(owner_id=OWNER))
    for item in items:
        wrapped.add_item(item)
    assert shown.to_components() == wrapped.to_components()
    related = RelatedButton("party.founders", owner_id=OWNER)
    assert RelatedButton.button("party.founders", owner_id=OWNER).to_component_dict() == \
        related.to_component_dict()
    assert VoteButton(Vote.UP, owner_id=OWNER, miss_id=7, intent="x" * 80).intent == ""
    assert VoteButton(Vote.UP, owner_id=OWNER, miss_id=7, intent="party.logo").intent == "party.logo"
