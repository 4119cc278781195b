"""Conversation memory: expiry by time and by turns, one conversation per key."""

from __future__ import annotations

from bot.core.context import Conversation, ConversationStore
from bot.core.models import Answer, ReplyKind


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _answer(intent: str | None, matched: bool = True) -> Answer:
    kind = ReplyKind.ANSWER if matched else ReplyKind.UNKNOWN
    return Answer(matched=matched, intent=intent, confidence=0.9, text="x", kind=kind)


def test_last_answered_skips_misses_and_expires() -> None:
    clock = Clock()
    conversation = Conversation(ttl_seconds=60, max_turns=5, clock=clock)
    conversation.remember("q1", _answer("party.founding"))
    conversation.remember("q2", _answer(None, matched=False))
    turn = conversation.last_answered()
    assert turn is not None and turn.answer.intent == "party.founding"
    clock.now = 61
    assert conversation.last_answered() is None


def test_context_is_forgotten_after_max_turns() -> None:
    conversation = Conversation(ttl_seconds=600, max_turns=2, clock=Clock())
    conversation.remember("q1", _answer("party.founding"))
    conversation.remember("q2", _answer(None, matched=False))
    conversation.remember("q3", _answer(None, matched=False))
    assert conversation.last_answered() is None


def test_store_keeps_conversations_apart_and_bounded() -> None:
    store = ConversationStore(max_conversations=2, clock=Clock())
    store.get(("alice", 1)).remember("q", _answer("party.logo"))
    assert store.get(("bob", 1)).last_answered() is None
    assert store.get(("alice", 2)).last_answered() is None
    assert len(store) == 2  # the oldest, ("alice", 1), was dropped
    assert store.get(("alice", 1)).last_answered() is None
