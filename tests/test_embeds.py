"""Embeds for every intent's answer and every table stay within Discord's limits."""

from __future__ import annotations

import itertools
from typing import Any

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.engine import Engine
from bot.core.models import Answer, Citation, ReplyKind
from bot.core.render import TABLE_NAMES, RenderedTable, render_table
from bot.discord_app import embeds
from bot.discord_app.embeds import (
    about_embed,
    answer_embed,
    footnote,
    format_duration,
    help_embed,
    questions_embed,
    table_embeds,
    within_limits,
)
from tests.fake_discord.limits import embed_problems
from tests.test_guard import renders

ARTICLE = "https://en.wikipedia.org/wiki/Cambodia_National_Rescue_Party"
WIKI = Citation("wikipedia", "Cambodia National Rescue Party", "Regional strength",
                f"{ARTICLE}#Regional_strength")  # fmt: skip
PRESS = Citation("cnrm-2018", "Cambodia National Rescue Movement Praises Open Letter",
                 "The open letter", "")  # fmt: skip


def assert_fits(embed: discord.Embed) -> None:
    assert within_limits(embed)
    assert embed_problems(embed.to_dict()) == []  # the JSON Discord would receive


def every_question(engine: Engine) -> list[str]:
    questions: list[str] = []
    for intent in engine.kb.intents.values():
        questions += [intent.question, *intent.phrasings]
    return questions


def test_every_intent_answer_fits_and_keeps_its_footnotes(engine: Engine) -> None:
    seen_kinds = set()
    for question in every_question(engine):
        answer = engine.ask(question)
        seen_kinds.add(answer.kind)
        embed = answer_embed(answer, question)
        assert_fits(embed)
        description = embed.description or ""
        assert answer.text.strip()[:200] in description
        for number, citation in enumerate(answer.citations, start=1):
            assert f"[{number}] " in description and citation.section in description
        assert "confidence" in (embed.footer.text or "")
    assert ReplyKind.ANSWER in seen_kinds


def test_the_entity_answers_fit(engine: Engine) -> None:
    for row in engine.kb.table("constituencies").rows:
        question = f"how did the cnrp do in {row['name']}"
        answer = engine.ask(question)
        assert answer.kind is ReplyKind.ANSWER, question
        assert_fits(answer_embed(answer, question))


def test_footnotes_link_a_url_and_name_a_source_without_one() -> None:
    assert footnote(1, WIKI) == (
        "[1] [Cambodia National Rescue Party](https://en.wikipedia.org/wiki/"
        "Cambodia_National_Rescue_Party#Regional_strength) — Regional strength"
    )
    press = footnote(2, PRESS)
    assert press.startswith("[2] *Cambodia National Rescue Movement") and "](" not in press
    assert press.endswith("— The open letter")


def test_link_text_and_targets_cannot_break_the_markdown() -> None:
    odd = Citation("x", "A [bracketed] title", "S", "https://example.org/a_(b)")
    assert footnote(1, odd) == "[1] [A (bracketed) title](https://example.org/a_%28b%29) — S"


def test_no_match_says_so() -> None:
    answer = Answer(matched=False, intent=None, confidence=0.21, text="", kind=ReplyKind.UNKNOWN)
    embed = answer_embed(answer, "what is the weather on mars")
    assert (embed.description or "").startswith("I don't know that")
    assert embed.footer.text == "confidence 21% · unknown"


def test_a_huge_answer_is_cut_but_its_sources_survive() -> None:
    answer = Answer(matched=True, intent="x", confidence=0.9, text="word " * 5000,
                    citations=(WIKI, PRESS), kind=ReplyKind.ANSWER)  # fmt: skip
    embed = answer_embed(answer, "q" * 1000)
    assert_fits(embed)
    description = embed.description or ""
    assert "…" in description and "[2] *Cambodia National Rescue Movement" in description
    assert len(embed.title or "") == embeds.TITLE_LIMIT


texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=3000)
citations = st.builds(
    Citation,
    source=st.text(max_size=20),
    title=st.text(max_size=300),
    section=st.text(max_size=300),
    url=st.one_of(st.just(""), st.text(max_size=300)),
)


@settings(max_examples=60, deadline=None)
@given(
    text=st.one_of(texts, st.text(max_size=9000)),
    question=st.one_of(st.none(), st.text(max_size=600)),
    cites=st.lists(citations, max_size=60),
    kind=st.sampled_from(list(ReplyKind)),
    confidence=st.floats(0, 1),
    intent=st.one_of(st.none(), st.text(max_size=3000)),
)
def test_any_answer_fits(
    text: str, question: str | None, cites: list[Citation], kind: ReplyKind,
    confidence: float, intent: str | None,
) -> None:  # fmt: skip
    answer = Answer(matched=kind is ReplyKind.ANSWER, intent=intent, confidence=confidence,
                    text=text, citations=tuple(cites), kind=kind)  # fmt: skip
    assert_fits(answer_embed(answer, question))


def table_variants(engine: Engine) -> list[tuple[str, dict[str, Any]]]:
    kb = engine.kb
    variants: list[tuple[str, dict[str, Any]]] = [(name, {}) for name in TABLE_NAMES]
    for sort, order in itertools.product(("votes", "share", "name"), ("desc", "asc")):
        variants.append(("results", {"sort": sort, "order": order}))
    variants += [
        ("results", {"constituency": str(r["name"])}) for r in kb.table("constituencies").rows
    ]
    variants += [("committee", {"which": w}) for w in ("executive", "standing")]
    variants += [("elections", {"which": w}) for w in ("general", "communal")]
    variants += [("policies", {"area": str(r["area"])}) for r in kb.table("policy_areas").rows]
    years = {r["date"].year for r in kb.table("timeline").rows}
    variants += [("timeline", {"year": year}) for year in sorted(years)]
    return variants


def test_every_table_fits_on_every_page(engine: Engine) -> None:
    for name, options in table_variants(engine):
        rendered = render_table(engine.kb, name, **options)
        pages = table_embeds(rendered)
        assert len(pages) == len(rendered.pages), (name, options)
        for number, embed in enumerate(pages, start=1):
            assert_fits(embed)
            assert (embed.description or "").startswith("```\n")
            if len(pages) > 1:
                assert embed.footer.text == f"Page {number} of {len(pages)}"
            if rendered.citations:
                assert embed.fields[0].name == "Sources"


def test_a_worst_case_table_still_fits() -> None:
    rendered = RenderedTable("x", "T" * 400, ("x" * 1800, "```" * 600),
                             tuple([WIKI, PRESS] * 50))  # fmt: skip
    for embed in table_embeds(rendered):
        assert_fits(embed)
        assert "… and" in embed.fields[0].value


@pytest.mark.parametrize("count", [0, 1, 3, 40])
def test_question_lists_fit(count: int) -> None:
    assert_fits(questions_embed("Related questions", [f"question {i} " * 20 for i in range(count)]))


def test_about_and_help_fit(engine: Engine) -> None:
    about = about_embed(version="0.1.0", stats=engine.stats(), uptime_seconds=93784.0,
                        latency_ms=None)  # fmt: skip
    assert_fits(about)
    fields = {f.name: f.value for f in about.fields}
    assert fields["Latency"] == "n/a" and fields["Uptime"] == "1d 2h"
    assert_fits(help_embed([1, 2, 3]))
    assert "<#2>" in (help_embed([1, 2, 3]).description or "")


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0s"), (59.9, "59s"), (61, "1m 1s"), (3600, "1h"), (90061, "1d 1h")]
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_the_askers_words_in_a_title_or_a_question_list_render_nothing() -> None:
    typed = "[official results](https://evil.example/login) **now** <@1> who founded it?"
    answer = Answer(matched=True, intent="x", confidence=0.9, text="t", kind=ReplyKind.ANSWER)
    title = answer_embed(answer, typed).title or ""
    assert not renders(title) and "https://evil.example/login" in title
    listed = questions_embed("Related questions", [typed, "# big"]).description or ""
    assert not renders(listed)
    assert answer_embed(answer, "Who founded the CNRP?").title == "Who founded the CNRP?"
