"""Input capped and cleaned where it enters; user text escaped before the bot repeats it."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.guard import REPLACEMENT, clean_text, escape_markdown

# What Discord would render from a line of text: a masked link, a mention or other "<…>"
# markup, emphasis, code or a spoiler, or a heading, quote or list at the start of a line.
_UNESCAPED = r"(?<!\\)(?:\\\\)*"
RENDERS = re.compile(
    _UNESCAPED + r"\[[^\]\n]*" + _UNESCAPED + r"\]\("  # [text](url)
    r"|" + _UNESCAPED + r"<[@#:/at]"  # <@id>, <#id>, <:emoji:id>, </cmd:id>, <t:…>
    r"|" + _UNESCAPED + r"(?:\*|_|~~|\|\||`)"  # emphasis, underline, strike, spoiler, code
    r"|^[ \t]*(?:#|>|-)",  # heading, subtext, quote, list
    re.MULTILINE,
)
# Discord reads a bare address as one link: markup characters inside it render nothing.
URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#@!$&'+,;=%]+")


def renders(text: str) -> bool:
    return bool(RENDERS.search(URL.sub(" ", text)))


def test_clean_text_caps_and_replaces_lone_surrogates() -> None:
    assert clean_text("x" * 5000, 1800) == "x" * 1800
    assert clean_text("a\udcffb\ud800", 100) == f"a{REPLACEMENT}b{REPLACEMENT}"
    assert clean_text(12345, 3) == "123"
    clean_text("\udc80" * 10, 10).encode("utf-8")  # encodable: raises if a surrogate is left


def test_a_masked_link_is_shown_not_rendered() -> None:
    text = escape_markdown("[official results](https://evil.example/login) and who founded it?")
    assert not renders(text)
    assert "https://evil.example/login" in text, "the bare address stays readable"


def test_headings_quotes_lists_mentions_and_emphasis_are_escaped() -> None:
    for typed in ("# HUGE", "## big", "-# small", "> quoted", "- item", "  # indented",
                  "<@123> hi", "<#456>", "<@&7>", "<t:1700000000:R>", "</ask:1>",
                  "**bold** __under__ ~~gone~~ ||spoiler|| `code` ```block```", "1. first"):
        escaped = escape_markdown(typed)
        assert not renders(escaped), (typed, escaped)


def test_plain_questions_are_left_alone() -> None:
    for plain in ("who founded the cnrp?", "what is the same-sex marriage policy",
                  "kem sokha's deputies (2017)", "cnrp share in takéo", "https://en.wikipedia.org/wiki/Cambodia_National_Rescue_Party#Women's_rights"):
        assert escape_markdown(plain) == plain


def test_a_backslash_cannot_undo_the_escape() -> None:
    assert not renders(escape_markdown("\\[x\\](http://a) \\*\\*b\\*\\*"))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("[]()<>@#:/*_~|`\\-> \t\nabc1.http"), max_size=80))
def test_no_markup_survives_escaping(text: str) -> None:
    escaped = escape_markdown(text)
    assert not renders(escaped), escaped
    # Escaping only adds backslashes: taking them away gives the text back.
    assert re.sub(r"\\(.)", r"\1", escaped, flags=re.DOTALL) == text
