"""Whatever a user types, the answer is clear and nothing raises."""

from __future__ import annotations

import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.context import Conversation
from bot.core.engine import Engine
from bot.core.models import Answer, Citation, ReplyKind
from tests.hostile import MESSAGES

NASTY = [
    "", "   \n\t ", "x" * 10_000, "who founded the cnrp " * 600, "\x00\x01\x1b[31m\x7f",
    "😀🎉🔥", "<@123456789>", "<@!1> <#2> <@&3>", "@everyone @here", "**bold** `code` ||spoiler||",
    "គណបក្សសង្គ្រោះជាតិ", "Партия национального спасения", "柬埔寨救国党是什么", "\u202e\u200b",
    "?!?!", "{constituency}", "{0} {__class__}",
]


def test_nasty_inputs_get_a_clear_reply(engine: Engine) -> None:
    for text in NASTY:
        answer = engine.ask(text)
        assert answer.text.strip(), text
        assert "@everyone" not in answer.text and "<@" not in answer.text
        assert 0.0 <= answer.confidence <= 1.0


def test_empty_input_invites_a_question(engine: Engine) -> None:
    for text in ("", "  ", "<@123>", "😀", "?!"):
        answer = engine.ask(text)
        assert answer.kind is ReplyKind.EMPTY and answer.suggestions


def test_long_input_still_answers(engine: Engine) -> None:
    assert engine.ask("who founded the cnrp " + "please " * 3000).intent == "party.founders"


def test_mention_markup_does_not_change_the_answer(engine: Engine) -> None:
    assert engine.ask("<@123456789> who founded the cnrp?").intent == "party.founders"


def test_khmer_name_is_read_as_the_party(engine: Engine) -> None:
    explained = engine.explain("គណបក្សសង្គ្រោះជាតិ")
    assert explained.analysis.normalized == "cnrp"
    assert explained.answer.kind is not ReplyKind.LANGUAGE


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_any_text_is_answered(text: str) -> None:
    answer = _ENGINE.ask(text)
    assert isinstance(answer.text, str) and answer.text


_ENGINE = Engine.load()


def test_khmer_slogan_is_understood(engine: Engine) -> None:
    assert engine.ask("សង្គ្រោះ បម្រើ ការពារ").intent == "party.slogan"


def assert_valid(engine: Engine, answer: Answer) -> None:
    """An Answer the adapters can show and the JSON contract can carry."""
    assert isinstance(answer, Answer) and isinstance(answer.kind, ReplyKind)
    assert isinstance(answer.text, str) and answer.text.strip()
    assert math.isfinite(answer.confidence) and 0.0 <= answer.confidence <= 1.0
    # An intent of the knowledge base, or a computation the operations file has a reply for.
    computed = (answer.intent or "").removeprefix("computed.")
    assert answer.intent is None or answer.intent in engine.kb.intents or (
        answer.intent.startswith("computed.") and computed in engine.kb.operations.replies)
    assert not answer.matched or (answer.intent is not None and answer.citations)
    assert all(isinstance(c, Citation) for c in answer.citations)
    assert all(isinstance(s, str) and s for s in answer.suggestions)
    assert len(answer.suggestions) <= engine.config.max_suggestions
    json.dumps(answer.to_json(), ensure_ascii=False, allow_nan=False).encode("utf-8")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MESSAGES, st.booleans())
def test_any_message_gets_a_valid_answer(text: str, in_conversation: bool) -> None:
    conversation = Conversation() if in_conversation else None
    assert_valid(_ENGINE, _ENGINE.ask(text, conversation))
    assert_valid(_ENGINE, _ENGINE.ask(text, conversation))  # and again, as a follow-up
    assert_valid(_ENGINE, _ENGINE.explain(text).answer)


def test_lone_surrogates_never_reach_the_reply(engine: Engine) -> None:
    # What undecodable bytes become on stdin (surrogateescape): the reply quotes the question
    # back in a multi-part answer, and a surrogate there made the output unencodable.
    # "café" in Latin-1, read as UTF-8 with surrogateescape:
    answer = engine.ask("who founded it? caf\udce9 and when was it banned?")
    # "café" asks nothing, so it heads the part after it: the question quoted back holds it.
    assert len(answer.parts) == 2 and "caf\ufffd, when was it banned?" in answer.text
    answer.text.encode("utf-8")
    for suggestion in answer.suggestions:
        suggestion.encode("utf-8")
