"""Whatever a user types, the answer is clear and nothing raises."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.engine import Engine
from bot.core.models import ReplyKind

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
