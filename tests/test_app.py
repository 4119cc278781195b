"""The Discord entry point's own pieces (the bot end to end: tests/test_discord_*.py)."""

from __future__ import annotations

import sys
from types import SimpleNamespace
from typing import Any

import pytest

from bot.discord_app.app import drop_own_messages, new_event_loop


def client_with(parsers: dict[str, Any], user_id: int | None = 42) -> Any:
    user = None if user_id is None else SimpleNamespace(id=user_id)
    return SimpleNamespace(_connection=SimpleNamespace(parsers=parsers), user=user)


def test_the_bots_own_messages_are_dropped_before_they_are_parsed() -> None:
    parsed: list[dict[str, Any]] = []
    parsers: dict[str, Any] = {"MESSAGE_CREATE": parsed.append, "MESSAGE_UPDATE": print}
    drop_own_messages(client_with(parsers))  # type: ignore[arg-type]
    own = {"id": "1", "author": {"id": "42"}, "content": "an answer"}
    someone = {"id": "2", "author": {"id": "7"}, "content": "<@42> who founded the cnrp"}
    system = {"id": "3", "content": "no author"}
    for data in (own, someone, system):
        parsers["MESSAGE_CREATE"](data)
    assert parsed == [someone, system], "everyone else's go through as they were"
    assert parsers["MESSAGE_UPDATE"] is print, "no other event is touched"


def test_before_login_every_message_is_parsed() -> None:
    parsed: list[dict[str, Any]] = []
    parsers: dict[str, Any] = {"MESSAGE_CREATE": parsed.append}
    drop_own_messages(client_with(parsers, user_id=None))  # type: ignore[arg-type]
    parsers["MESSAGE_CREATE"]({"author": {"id": "42"}})
    assert len(parsed) == 1


def test_a_discord_py_without_the_parser_is_left_alone() -> None:
    parsers: dict[str, Any] = {}
    drop_own_messages(client_with(parsers))  # type: ignore[arg-type]
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
