"""What a user sends, made safe where it enters the core, and user text made safe to repeat.

Every later stage may then assume a `str` of bounded length with no lone surrogates, so none
of them can be made slow or made to crash by the size or the encoding of a message.
"""

from __future__ import annotations

import re

from bot.core.models import Answer, ReplyKind
from bot.core.normalize import lazy_pattern

# Lone surrogates are what undecodable bytes become (surrogateescape) or what a JSON "\ud800"
# decodes to: they cannot be encoded as UTF-8, so any output that repeats them would fail.
_SURROGATE = lazy_pattern("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"

# Discord renders these anywhere in a line: emphasis, spoilers, code, masked links, and
# mentions, channels, timestamps and custom emoji (all of which start with "<").
_INLINE_MARKUP = lazy_pattern(r"[\\*_~|`\[\]<>]")
# …and these at the start of a line: headings, subtext, quotes and list items.
_LINE_MARKUP = lazy_pattern(r"^([ \t]*)([#>\-]|\d+[.)])", re.MULTILINE)
# A bare link stays clickable and visible (its address is shown, so it hides nothing), and
# escaping inside it would break it. Only URL characters that start no markup of their own
# (no brackets, parentheses, "*", "|", "`", "<" or "\\") count as part of it.
_URL = lazy_pattern(r"https?://[A-Za-z0-9\-._~:/?#@!$&'+,;=%]+")


def clean_text(text: object, limit: int) -> str:
    """The first `limit` characters of a message as text, lone surrogates replaced by U+FFFD.

    Cutting first keeps every later step proportional to the cap, not to what was sent."""
    value = text if isinstance(text, str) else str(text)
    cut = value[: max(0, limit)]
    return cut if cut.isascii() else _SURROGATE().sub(REPLACEMENT, cut)  # as most messages are: nothing to replace


def escape_markdown(text: str) -> str:
    """User text as Discord shows it literally: no link, mention, heading or emphasis renders.

    The same effect as `discord.utils.escape_markdown` plus mentions, without importing discord
    into the core, and linear in the length of the text (every pattern is a single pass)."""
    pieces: list[str] = []
    start = 0
    for url in _URL().finditer(text):
        pieces.append(_escape_plain(text[start : url.start()]))
        pieces.append(url.group(0))
        start = url.end()
    pieces.append(_escape_plain(text[start:]))
    return "".join(pieces)


def _escape_plain(text: str) -> str:
    text = _INLINE_MARKUP().sub(r"\\\g<0>", text)
    return _LINE_MARKUP().sub(r"\1\\\2", text)


# ---------------------------------------------------------------- answers that must still be given

FAILED_TEXT = ("Sorry, something went wrong while answering that, and it has been logged. "
               "Please try again, or ask in other words.")
SLOW_TEXT = ("That question is taking me too long to answer right now. Please try again in a "
             "moment, or ask it in fewer words.")


def unanswered(text: str) -> Answer:
    """A reply that states nothing, for when the engine could not give one (an error, or a
    time budget spent): the asker still hears back, and the JSON contract still holds."""
    return Answer(matched=False, intent=None, confidence=0.0, text=text, kind=ReplyKind.UNKNOWN)
