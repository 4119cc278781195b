"""The Discord entry point's own pieces (the bot end to end: tests/test_discord_*.py)."""

from __future__ import annotations

import gc
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from bot.core.config import BOT_GC_YOUNG_THRESHOLD
from bot.discord_app.app import collect_less_often, may_ask, new_event_loop, parse_only_questions


def client_with(parsers: dict[str, Any], user_id: int | None = 42) -> Any:
    user = None if user_id is None else SimpleNamespace(id=user_id)
    return SimpleNamespace(_connection=SimpleNamespace(parsers=parsers), user=user)


ME = "42"
LISTEN = 500


def guild_message(**fields: Any) -> dict[str, Any]:
    return {"id": "2", "guild_id": "9", "channel_id": "100", "author": {"id": "7"},
            "mentions": [], "content": "", **fields}


def test_only_messages_that_can_be_questions_get_through() -> None:
    assert may_ask({"channel_id": "3", "author": {"id": "7"}, "content": "hi"}, ME, {LISTEN}), "a DM"
    assert may_ask(guild_message(mentions=[{"id": "8"}, {"id": ME}]), ME, {LISTEN}), "a mention"
    assert may_ask(guild_message(channel_id=str(LISTEN)), ME, {LISTEN}), "a listen channel"
    assert not may_ask(guild_message(), ME, {LISTEN}), "chatter elsewhere in a server"
    assert not may_ask(guild_message(mentions=[{"id": "8"}]), ME, {LISTEN}), "someone else mentioned"
    assert not may_ask(guild_message(author={"id": ME}, mentions=[{"id": ME}]), ME, {LISTEN}), "own"
    assert not may_ask({"author": {"id": "7", "bot": True}}, ME, {LISTEN}), "another bot, even in a DM"
    assert not may_ask(guild_message(webhook_id="5", mentions=[{"id": ME}]), ME, {LISTEN}), "a webhook"
    # Whatever else a payload lacks or holds, it is not refused here: AskCog._trigger decides.
    assert may_ask({}, ME, set())
    assert may_ask(guild_message(mentions=None, author=None, type=7), ME, {100})


def test_messages_that_cannot_be_questions_are_dropped_before_they_are_parsed() -> None:
    parsed: list[dict[str, Any]] = []
    parsers: dict[str, Any] = {"MESSAGE_CREATE": parsed.append, "MESSAGE_UPDATE": print}
    listening = {LISTEN}
    parse_only_questions(client_with(parsers), lambda: listening)  # type: ignore[arg-type]
    own = guild_message(author={"id": ME}, content="an answer")
    mention = guild_message(mentions=[{"id": ME}], content="<@42> who founded the cnrp")
    chatter = guild_message(channel_id="600")
    for data in (own, mention, chatter):
        parsers["MESSAGE_CREATE"](data)
    listening.add(600)  # the listen channels are read for each message
    parsers["MESSAGE_CREATE"](chatter)
    assert parsed == [mention, chatter]
    assert parsers["MESSAGE_UPDATE"] is print, "no other event is touched"


def test_before_login_every_message_is_parsed() -> None:
    parsed: list[dict[str, Any]] = []
    parsers: dict[str, Any] = {"MESSAGE_CREATE": parsed.append}
    parse_only_questions(client_with(parsers, user_id=None), set)  # type: ignore[arg-type]
    parsers["MESSAGE_CREATE"](guild_message(author={"id": ME}))
    assert len(parsed) == 1


def test_a_discord_py_without_the_parser_is_left_alone() -> None:
    parsers: dict[str, Any] = {}
    parse_only_questions(client_with(parsers), set)  # type: ignore[arg-type]
    assert parsers == {}


def test_the_event_loop_is_uvloops_where_it_is_installed_and_asyncios_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = object()
    monkeypatch.setitem(sys.modules, "uvloop", SimpleNamespace(new_event_loop=lambda: made))
    assert new_event_loop() is made
    monkeypatch.setitem(sys.modules, "uvloop", None)  # what an import that fails finds
    loop = new_event_loop()
    try:
        assert type(loop).__module__.startswith("asyncio")
    finally:
        loop.close()


def test_the_bot_collects_its_youngest_objects_less_often_and_the_older_ones_as_before() -> None:
    before = gc.get_threshold()
    gc.set_threshold(700, 9, 11)
    try:
        collect_less_often()
        assert gc.get_threshold() == (BOT_GC_YOUNG_THRESHOLD, 9, 11)
    finally:
        gc.set_threshold(*before)
