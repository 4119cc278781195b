"""Conversation memory for follow-up questions, kept per user and channel by the adapters."""

from __future__ import annotations

import _thread
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable

from bot.core.models import Answer, ReplyKind
from bot.core.records import record

Clock = Callable[[], float]


@record
class Turn:
    """A question of a conversation and the answer it was given, at a time."""

    question: str
    answer: Answer
    at: float


def _kept(answer: Answer) -> Answer:
    """What a follow-up reads from an earlier answer: of one that stated facts, or said what
    the sources lack about a row, its intent, row, entities, text and normalised question; of
    any other only that it was asked (it still counts as a turn). The candidates, sub-answers,
    citations and suggestions made a conversation weigh some 14 KB, and nothing read them again.
    Every field given, rather than `replace(answer, …)` (which reads the dataclass's fields and
    gathers them by name on every call): a quarter of the cost, the same answer
    (tests/test_context.py checks it against `replace`)."""
    if not answer.matched and answer.kind is not ReplyKind.GAP:
        return Answer(answer.matched, answer.intent, answer.confidence, "", kind=answer.kind)
    return Answer(answer.matched, answer.intent, answer.confidence, answer.text, entities=answer.entities,
                  entity=answer.entity, kind=answer.kind, normalized=answer.normalized)


class Conversation:
    """The recent turns of one conversation; an answer older than the TTL or more than
    `max_turns` questions ago is forgotten, so context never outlives the talk it came from."""

    def __init__(self, ttl_seconds: float = 600.0, max_turns: int = 5,
                 clock: Clock = time.monotonic,
                 on_first_answer: Callable[[Conversation], None] | None = None) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_turns = max_turns
        self._clock = clock
        self._turns: deque[Turn] = deque(maxlen=max(1, max_turns))
        self._on_first_answer = on_first_answer

    def remember(self, question: str, answer: Answer) -> None:
        self._turns.append(Turn(question, _kept(answer), self._clock()))
        if answer.matched and self._on_first_answer is not None:
            adopt, self._on_first_answer = self._on_first_answer, None
            adopt(self)

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

    def recent_about_rows(self, count: int = 2) -> list[Turn]:
        """The last `count` fresh turns that stated facts or said what the sources lack, the
        latest first: "how many seats did it win in Kandal?" (not in the sources), then "what
        about its vote count there?" is still about Kandal."""
        now = self._clock()
        found: list[Turn] = []
        for turn in reversed(self._turns):
            if now - turn.at > self.ttl_seconds or len(found) == count:
                break
            if (turn.answer.matched and turn.answer.intent) or turn.answer.kind is ReplyKind.GAP:
                found.append(turn)
        return found

    def last_turn(self) -> Turn | None:
        """The most recent turn of any kind (a question back included), if it is still fresh."""
        if not self._turns or self._clock() - self._turns[-1].at > self.ttl_seconds:
            return None
        return self._turns[-1]

    def last_at(self) -> float | None:
        return self._turns[-1].at if self._turns else None

    def clear(self) -> None:
        self._turns.clear()

    def __len__(self) -> int:
        return len(self._turns)


class ConversationStore:
    """One conversation per key (e.g. user and channel), bounded in number and age.

    A conversation is kept only once it has an answer to follow up on: a question without
    context ("when did his term end?" from a stranger) used to take a place and push out the
    oldest conversation, so with the store full every follow-up pushed out the next asker's
    context and each of them lost theirs in turn. When room is needed, conversations whose
    context has expired go first, then the least recently used. Adapters call `get` from the
    event loop while the engine remembers answers in worker threads, hence the lock."""

    # 25,000 conversations of about 5 KB hold what 10,000 of 14 KB held before: some 130 MB.
    def __init__(self, ttl_seconds: float = 600.0, max_turns: int = 5, max_conversations: int = 25_000,
                 clock: Clock = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_turns = max_turns
        self.max_conversations = max_conversations
        self._clock = clock
        self._conversations: OrderedDict[Hashable, Conversation] = OrderedDict()
        # `threading.Lock` itself, without importing threading (a start answering one question
        # never needs it).
        self._lock = _thread.allocate_lock()

    def get(self, key: Hashable) -> Conversation:
        with self._lock:
            conversation = self._conversations.get(key)
            if conversation is not None:
                self._conversations.move_to_end(key)
                return conversation
        return Conversation(self.ttl_seconds, self.max_turns, self._clock,
                            on_first_answer=lambda fresh: self._adopt(key, fresh))

    def _adopt(self, key: Hashable, conversation: Conversation) -> None:
        with self._lock:
            self._conversations[key] = conversation
            self._conversations.move_to_end(key)
            now = self._clock()
            # Oldest first, so expired ones sit at the front: each is looked at once.
            while self._conversations:
                oldest = next(iter(self._conversations.values()))
                last = oldest.last_at()
                if last is not None and now - last <= self.ttl_seconds:
                    break
                self._conversations.popitem(last=False)
            while len(self._conversations) > self.max_conversations:
                self._conversations.popitem(last=False)

    def __len__(self) -> int:
        return len(self._conversations)
