"""What the Ask cog decides on its own: which listen-channel messages deserve a reply, and which
messages are reactions rather than questions (the e2e suite checks the same through Discord)."""

from __future__ import annotations

import pytest

from bot.core.engine import Engine
from bot.core.models import Answer, ReplyKind
from bot.discord_app.cogs.ask import is_reaction, shard_of, worth_posting_in_listen


@pytest.mark.parametrize("text", ["👍", "🙏🙏", ":thumbsup:", "<:pog:123456789>", "<a:wave:42> !!",
                                  "", "  ?! "])
def test_emoji_and_punctuation_are_reactions(text: str) -> None:
    assert is_reaction(text)


@pytest.mark.parametrize("text", ["ok", "who founded the cnrp? 👍", "2013", "គណបក្ស"])
def test_words_are_not_reactions(text: str) -> None:
    assert not is_reaction(text)


def reply(kind: ReplyKind, *, matched: bool = False, intent: str | None = None) -> Answer:
    return Answer(matched=matched, intent=intent, confidence=0.9, text="t", kind=kind)


@pytest.mark.parametrize(
    ("answer", "posted"),
    [
        (reply(ReplyKind.ANSWER, matched=True, intent="party.founders"), True),
        (reply(ReplyKind.AMBIGUOUS), True),  # a close "did you mean"
        (reply(ReplyKind.CLARIFY, intent="results.constituency"), True),  # "which constituency?"
        (reply(ReplyKind.CLARIFY), False),  # "who do you mean?" would butt into a conversation
        (reply(ReplyKind.UNKNOWN), False),
        (reply(ReplyKind.SMALLTALK, intent="meta.thanks"), False),
        (reply(ReplyKind.REFUSAL, intent="cnrm.contact"), False),
        (reply(ReplyKind.EMPTY), False),
    ],
)
def test_a_listen_channel_hears_only_questions_about_the_party(answer: Answer, posted: bool) -> None:
    assert worth_posting_in_listen(answer) is posted


@pytest.mark.parametrize("text", ["brb", "anyone want pizza?", "thanks!", "hi all", "lol"])
def test_chatter_gets_no_reply_in_a_listen_channel(engine: Engine, text: str) -> None:
    # As the cog asks: a listen-channel message stands alone, with no conversation.
    assert not worth_posting_in_listen(engine.ask(text))


def test_the_shard_of_a_server_is_discords_and_direct_messages_come_through_shard_0() -> None:
    server = (41 << 22) | 12345  # Discord's formula: (id >> 22) % shard count
    assert shard_of(server, 4) == 1 and shard_of(server, 41) == 0 and shard_of(server, 40) == 1
    assert shard_of(server, 1) == 0 and shard_of(server, None) == 0 and shard_of(None, 4) == 0
