"""Buttons and the cooldown, driven directly with stand-in interactions (the e2e suite drives
them through Discord's own payloads)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import discord

from bot.core.models import Answer, ReplyKind
from bot.discord_app.cooldown import Cooldown
from bot.discord_app.views import NOT_YOURS, AnswerView, Paginator, QuestionButton, RelatedButton

OWNER, OTHER = 1, 2


class StandInResponse:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def edit_message(self, **kwargs: Any) -> None:
        self.calls.append(("edit", kwargs))

    async def send_message(self, content: str | None = None, **kwargs: Any) -> None:
        self.calls.append(("send", {"content": content, **kwargs}))


class StandInInteraction:
    def __init__(self, user_id: int) -> None:
        self.user = SimpleNamespace(id=user_id)
        self.channel_id = 7
        self.response = StandInResponse()


class StandInMessage:
    def __init__(self) -> None:
        self.edits: list[dict[str, Any]] = []

    async def edit(self, **kwargs: Any) -> None:
        self.edits.append(kwargs)


def answer(kind: ReplyKind, *, suggestions: tuple[str, ...] = (), related: tuple[str, ...] = ()) -> Answer:
    return Answer(matched=kind is ReplyKind.ANSWER, intent="i" if kind is ReplyKind.ANSWER else None,
                  confidence=0.9, text="text", suggestions=suggestions, related=related, kind=kind)  # fmt: skip


class Asker:
    def __init__(self) -> None:
        self.asked: list[tuple[str, int, str]] = []

    async def __call__(self, question: str, *, user_id: int, channel_id: int, via: str) -> Answer:
        self.asked.append((question, user_id, via))
        return answer(ReplyKind.ANSWER, related=("Next?",))


async def test_a_no_match_gets_one_button_per_suggestion() -> None:
    long = "why " * 40
    view = AnswerView.for_answer(Asker(), answer(ReplyKind.UNKNOWN, suggestions=("A?", "B?", long)),
                                 owner_id=OWNER)  # fmt: skip
    assert view is not None
    labels = [item.label or "" for item in view.children if isinstance(item, QuestionButton)]
    assert labels[:2] == ["A?", "B?"] and len(labels[2]) == 80 and labels[2].endswith("…")
    assert not any(isinstance(item, RelatedButton) for item in view.children)


async def test_an_answer_gets_a_related_button_and_nothing_else() -> None:
    view = AnswerView.for_answer(Asker(), answer(ReplyKind.ANSWER, suggestions=("A?",), related=("A?",)),
                                 owner_id=OWNER)  # fmt: skip
    assert view is not None
    assert [type(item) for item in view.children] == [RelatedButton]


async def test_nothing_to_offer_means_no_view() -> None:
    assert AnswerView.for_answer(Asker(), answer(ReplyKind.ANSWER), owner_id=OWNER) is None


async def test_the_askers_click_answers_in_place() -> None:
    asker = Asker()
    view = AnswerView(asker, owner_id=OWNER, questions=("A?",))
    interaction = StandInInteraction(OWNER)
    await view.answer(interaction, "A?")  # type: ignore[arg-type]
    ((kind, call),) = interaction.response.calls
    assert kind == "edit" and call["embed"].title == "A?"
    assert isinstance(call["view"], AnswerView) and call["view"].owner_id == OWNER
    assert asker.asked == [("A?", OWNER, "button")]
    assert view.is_finished()


async def test_someone_elses_click_answers_them_privately() -> None:
    view = AnswerView(Asker(), owner_id=OWNER, questions=("A?",))
    interaction = StandInInteraction(OTHER)
    await view.answer(interaction, "A?")  # type: ignore[arg-type]
    ((kind, call),) = interaction.response.calls
    assert kind == "send" and call["ephemeral"] is True
    assert call["allowed_mentions"].to_dict()["parse"] == []
    assert call["view"].owner_id == OTHER
    assert not view.is_finished()


async def test_related_opens_a_private_list_of_questions() -> None:
    view = AnswerView(Asker(), owner_id=OWNER, related=("X?", "Y?"))
    interaction = StandInInteraction(OTHER)
    await view.show_related(interaction)  # type: ignore[arg-type]
    ((kind, call),) = interaction.response.calls
    assert kind == "send" and call["ephemeral"] is True
    assert [b.label for b in call["view"].children] == ["X?", "Y?"]


def pages(count: int) -> list[discord.Embed]:
    return [discord.Embed(title=f"page {i}") for i in range(count)]


async def test_pagination_turns_and_stops_at_both_ends() -> None:
    view = Paginator(pages(3), owner_id=OWNER)
    assert view.previous.disabled and not view.next.disabled and view.counter.label == "1 / 3"
    for expected in ("page 1", "page 2", "page 2"):
        interaction = StandInInteraction(OWNER)
        await view._turn(interaction, 1)  # type: ignore[arg-type]
        assert interaction.response.calls[0][1]["embed"].title == expected
    assert view.next.disabled and not view.previous.disabled and view.counter.label == "3 / 3"


async def test_only_the_requester_turns_pages() -> None:
    view = Paginator(pages(2), owner_id=OWNER)
    stranger = StandInInteraction(OTHER)
    assert await view.interaction_check(stranger) is False  # type: ignore[arg-type]
    ((kind, call),) = stranger.response.calls
    assert kind == "send" and call["content"] == NOT_YOURS and call["ephemeral"] is True
    assert await view.interaction_check(StandInInteraction(OWNER)) is True  # type: ignore[arg-type]


async def test_a_timed_out_view_greys_out_its_buttons() -> None:
    view = Paginator(pages(2), owner_id=OWNER, timeout=60)
    message = StandInMessage()
    view.attach(message)  # type: ignore[arg-type]
    await view.on_timeout()
    assert all(getattr(item, "disabled", False) for item in view.children)
    assert message.edits == [{"view": view}]


def test_cooldown_per_user() -> None:
    now = [100.0]
    cooldown = Cooldown(5.0, clock=lambda: now[0])
    assert cooldown.retry_after(OWNER) == 0
    assert cooldown.retry_after(OTHER) == 0
    now[0] += 2
    assert cooldown.retry_after(OWNER) == 3.0
    now[0] += 3
    assert cooldown.retry_after(OWNER) == 0


def test_a_zero_cooldown_never_blocks() -> None:
    cooldown = Cooldown(0)
    assert all(cooldown.retry_after(OWNER) == 0 for _ in range(3))
