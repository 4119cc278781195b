"""Conversation memory for follow-up questions, kept per user and channel by the adapters."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from bot.core.models import Answer

Clock = Callable[[], float]


@dataclass(frozen=True)
class Turn:
    question: str
    answer: Answer
    at: float


class Conversation:
    """The recent turns of one conversation; an answer older than the TTL or more than
    `max_turns` questions ago is forgotten, so context never outlives the talk it came from."""

    def __init__(self, ttl_seconds: float = 600.0, max_turns: int = 5,
                 clock: Clock = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_turns = max_turns
        self._clock = clock
        self._turns: deque[Turn] = deque(maxlen=max(1, max_turns))

    def remember(self, question: str, answer: Answer) -> None:
        self._turns.append(Turn(question, answer, self._clock()))

    def last_answered(self) -> Turn | None:
        """The most recent turn that stated facts, if it is still fresh."""
        now = self._clock()
        for turn in reversed(self._turns):
            if now - turn.at > self.ttl_seconds:
                return None
            if turn.answer.matched and turn.answer.intent:
                return turn
        return None

    def recent_answered(self, count: int = 2) -> list[Turn]:
        """The last `count` fresh turns that stated facts, the latest first: a follow-up may
        compute with the rows of both ("what's the gap?" after Kandal, then Kampot)."""
        now = self._clock()
        found: list[Turn] = []
        for turn in reversed(self._turns):
            if now - turn.at > self.ttl_seconds or len(found) == count:
                break
            if turn.answer.matched and turn.answer.intent:
                found.append(turn)
        return found

    def last_turn(self) -> Turn | None:
        """The most recent turn of any kind (a question back included), if it is still fresh."""
        if not self._turns or self._clock() - self._turns[-1].at > self.ttl_seconds:
            return None
        return self._turns[-1]

    def clear(self) -> None:
        self._turns.clear()

    def __len__(self) -> int:
        return len(self._turns)


class ConversationStore:
    """One conversation per key (e.g. user and channel), bounded in number and age."""

    def __init__(self, ttl_seconds: float = 600.0, max_turns: int = 5, max_conversations: int = 10_000,
                 clock: Clock = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_turns = max_turns
        self.max_conversations = max_conversations
        self._clock = clock
        self._conversations: OrderedDict[Hashable, Conversation] = OrderedDict()

    def get(self, key: Hashable) -> Conversation:
        conversation = self._conversations.pop(key, None)
        if conversation is None:
            conversation = Conversation(self.ttl_seconds, self.max_turns, self._clock)
        self._conversations[key] = conversation
        while len(self._conversations) > self.max_conversations:
            self._conversations.popitem(last=False)
        return conversation

    def __len__(self) -> int:
        return len(self._conversations)
