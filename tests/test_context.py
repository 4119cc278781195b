"""Conversation memory: expiry by time and by turns, one conversation per key."""

from __future__ import annotations

from dataclasses import replace

from bot.core.context import Conversation, ConversationStore, _kept
from bot.core.engine import Engine
from bot.core.models import Answer, Entity, ReplyKind


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
    store.get(("bob", 1)).remember("q", _answer("party.slogan"))
    store.get(("alice", 2)).remember("q", _answer("party.founding"))
    assert len(store) == 2  # the oldest, ("alice", 1), was dropped
    assert store.get(("alice", 1)).last_answered() is None
    assert store.get(("alice", 2)).last_answered() is not None


def test_a_question_without_context_takes_no_place() -> None:
    store = ConversationStore(max_conversations=2, clock=Clock())
    store.get("alice").remember("q", _answer("party.logo"))
    store.get("bob").remember("q", _answer("party.slogan"))
    for stranger in range(5):
        store.get(stranger).remember("when did his term end?", _answer(None, matched=False))
    assert len(store) == 2
    assert store.get("alice").last_answered() is not None and store.get("bob").last_answered() is not None


def test_past_capacity_only_the_evicted_lose_their_context(engine: Engine) -> None:
    # With more askers than places, each follow-up without context took a place and pushed
    # out the next asker's conversation: every follow-up lost its context, one after another.
    store = ConversationStore(max_conversations=40)
    askers = range(41)
    for user in askers:
        engine.ask("who was the party's second leader?", store.get(user))
    kept = ["16 November 2017" in engine.ask("when did his term end?", store.get(user)).text
            for user in askers]
    assert kept == [False] + [True] * 40


def test_expired_conversations_are_dropped_first() -> None:
    clock = Clock()
    store = ConversationStore(ttl_seconds=60, max_conversations=10, clock=clock)
    store.get("alice").remember("q", _answer("party.logo"))
    clock.now = 30
    store.get("bob").remember("q", _answer("party.slogan"))
    clock.now = 61
    store.get("carol").remember("q", _answer("party.founding"))
    assert len(store) == 2 and store.get("bob").last_answered() is not None


def test_a_conversation_keeps_what_a_follow_up_reads_and_little_else(engine: Engine) -> None:
    conversation = Conversation()
    engine.ask("who founded it? when was the party banned?", conversation)  # a turn per part
    engine.ask("what is the weather on mars", conversation)
    *answered, missed = (turn.answer for turn in conversation._turns)
    assert len(answered) == 2
    for answer in answered:
        assert answer.matched and answer.intent and answer.text and answer.normalized
        assert not (answer.candidates or answer.parts or answer.suggestions or answer.citations)
    assert (missed.text, missed.candidates, missed.entities) == ("", (), ())


def test_a_reply_saying_what_the_sources_lack_keeps_its_rows_for_a_follow_up(engine: Engine) -> None:
    row = engine.kb.table("constituencies").rows[0]
    place = Entity("constituency", str(row["name"]), str(row["name"]), 1.0, 7, 8)
    conversation = Conversation()
    # "How many seats did the CNRP win in <it>?": the sources give no seats per constituency.
    conversation.remember("how many seats in it", Answer(
        matched=False, intent="gap.constituency_detail", confidence=0.9, text="The sources give no seats.",
        kind=ReplyKind.GAP, entities=(place,), normalized="how many seat in it"))
    (turn,) = conversation.recent_about_rows()
    assert turn.answer.entities == (place,)
    assert conversation.last_answered() is None  # it stated no fact to compute with
    answer = engine.ask("ok what about its vote count there", conversation)
    assert answer.matched and answer.entity is not None and answer.entity.key == row["name"]
    assert row.display["votes"] in answer.text


def _kept_plainly(answer: Answer) -> Answer:
    """`_kept` as `dataclasses.replace` says it: the fields a follow-up reads, the rest emptied."""
    if not answer.matched and answer.kind is not ReplyKind.GAP:
        return replace(answer, text="", citations=(), suggestions=(), candidates=(), entities=(),
                       entity=None, related=(), normalized="", parts=())
    return replace(answer, citations=(), suggestions=(), candidates=(), related=(), parts=())


def test_a_kept_answer_is_the_plain_replace_of_it(engine: Engine) -> None:
    questions = ["who founded the cnrp?", "how did the cnrp do in kandal?", "who founded it? when was it banned?",
                 "how many seats did the cnrp win in kandal", "what is the weather on mars", "thanks!", "",
                 "which constituency?", "when was his term over?"]
    gap = Answer(matched=False, intent="gap.constituency_detail", confidence=0.9, text="none", kind=ReplyKind.GAP,
                 entities=(Entity("constituency", "Kandal", "Kandal", 1.0, 7, 8),), normalized="how many seat")
    answers = [engine.ask(q) for q in questions] + [gap]
    assert {a.kind for a in answers} >= {ReplyKind.ANSWER, ReplyKind.GAP, ReplyKind.UNKNOWN, ReplyKind.SMALLTALK}
    for answer in answers:
        assert _kept(answer) == _kept_plainly(answer)
