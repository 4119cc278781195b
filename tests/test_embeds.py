"""Embeds for every intent's answer and every table stay within Discord's limits."""

from __future__ import annotations

import copy
import itertools
import re
from typing import Any

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.engine import Engine
from bot.core.misspolicy import MissPolicy
from bot.core.models import TABLE_NAMES, Answer, Citation, ReplyKind
from bot.core.render import RenderedTable, TableSection, render_table
from bot.discord_app.embeds import (
    HelpEntry,
    _example_spans,
    _find_example_spans,
    _name_patterns,
    about_embed,
    answer_embed,
    answer_title,
    confidence_band,
    footnote,
    format_duration,
    help_embed,
    kept_statement,
    questions_embed,
    table_embeds,
    within_limits,
)
from tests.fake_discord.limits import embed_problems
from tests.test_guard import renders

ARTICLE = "https://en.wikipedia.org/wiki/Cambodia_National_Rescue_Party"
CONFIDENCE = re.compile(r"^(high|medium|low) confidence$")
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
        embed = answer_embed(answer, engine.kb)
        assert_fits(embed)
        description = embed.description or ""
        assert answer.text.strip()[:200] in description
        for number, citation in enumerate(answer.citations, start=1):
            assert f"[{number}] " in description and citation.section in description
        if answer.kind is ReplyKind.ANSWER:
            assert CONFIDENCE.match(embed.footer.text or ""), "a word for the confidence, no id"
            assert embed.timestamp is not None
        else:
            assert embed.footer.text is None and embed.title is None, "a non-answer stays short"
    assert ReplyKind.ANSWER in seen_kinds


def test_titles_are_the_clean_question_about_the_rows_named(engine: Engine) -> None:
    for intent in engine.kb.intents.values():
        answer = engine.ask(intent.question)
        if answer.kind is ReplyKind.ANSWER and answer.intent == intent.id and not answer.parts:
            assert answer_title(answer, engine.kb) == intent.question, intent.id
    typo = engine.ask("who foundd the cnrp")
    assert answer_title(typo, engine.kb) == engine.kb.intents["party.founders"].question
    compared = engine.ask("did cnrp do better in battambang or siem reap")
    assert answer_title(compared, engine.kb) == "Did the CNRP do better in Battambang or Siem Reap?"
    year = engine.ask("what happened in 2013")
    assert answer_title(year, engine.kb) == "What happened in 2013?"
    both = engine.ask("when was it founded and who founded it?")
    assert " · " in (answer_title(both, engine.kb) or ""), "one title per question asked"


def test_title_spans_are_found_once_per_knowledge_base(engine: Engine) -> None:
    kinds = {"year", *(intent.entity for intent in engine.kb.intents.values() if intent.entity)}
    for intent, kind in itertools.product(engine.kb.intents.values(), sorted(kinds)):
        first = _example_spans(intent.question, kind, engine.kb)
        assert first == _find_example_spans(intent.question, kind, engine.kb), (intent.id, kind)
        assert _example_spans(intent.question, kind, engine.kb) is first, "kept, not found again"
    # Another knowledge base (a /reload) never reads the spans kept for this one.
    other = copy.copy(engine.kb)
    question = engine.kb.intents["results.compare"].question
    assert _example_spans(question, "constituency", other) is not _example_spans(question, "constituency", engine.kb)


def _spans_with_every_name_compiled(question: str, kind: str, engine: Engine) -> tuple[tuple[int, int, str], ...]:
    """The plain way: every name of the kind compiled and tried, longest first."""
    spans: list[tuple[int, int, str]] = []
    for name, key in sorted(engine.kb.entity_names(kind).items(), key=lambda item: -len(item[0])):
        for match in re.finditer(rf"\b{re.escape(name)}\b", question, re.IGNORECASE):
            if not any(match.start() < end and start < match.end() for start, end, _ in spans):
                spans.append((match.start(), match.end(), key))
    return tuple(sorted(spans))


def test_names_are_compiled_only_when_a_question_could_hold_them(engine: Engine) -> None:
    kinds = sorted({intent.entity for intent in engine.kb.intents.values() if intent.entity} - {"year"})
    texts = [intent.question for intent in engine.kb.intents.values()]
    texts += ["Did the CNRP do better in BATTAMBANG or siem reap?", "Résultats à Kândal et Takéo ?"]
    for text, kind in itertools.product(texts, kinds):
        plain = _spans_with_every_name_compiled(text, kind, engine)
        assert _find_example_spans(text, kind, engine.kb) == plain, (text, kind)
    fresh = copy.copy(engine.kb)  # names kept for no knowledge base yet
    _find_example_spans("Who won in Kandal in 2013?", "constituency", fresh)
    names = _name_patterns("constituency", fresh)
    compiled = [name.lowered for name in names if name._pattern is not None]
    # Outside ASCII, case-blind matching knows more pairs than lower() does: those are tried.
    assert "kandal" in compiled and len(compiled) < len(names)
    assert all(name in "who won in kandal in 2013?" or not name.isascii() for name in compiled)


def test_the_entity_answers_fit_and_name_their_row(engine: Engine) -> None:
    for row in engine.kb.table("constituencies").rows:
        question = f"how did the cnrp do in {row['name']}"
        answer = engine.ask(question)
        assert answer.kind is ReplyKind.ANSWER, question
        embed = answer_embed(answer, engine.kb)
        assert_fits(embed)
        assert embed.title == f"How did the CNRP do in {row['name']} in 2013?"


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


def test_no_match_says_so_briefly(engine: Engine) -> None:
    answer = Answer(matched=False, intent=None, confidence=0.21, text="", kind=ReplyKind.UNKNOWN)
    embed = answer_embed(answer, engine.kb)
    assert embed.description == "I don't know that."
    assert embed.footer.text is None and embed.title is None and embed.timestamp is None


@pytest.mark.parametrize(("confidence", "words"), [
    (1.0, "high confidence"), (0.85, "high confidence"), (0.8, "medium confidence"),
    (0.7, "medium confidence"), (0.66, "low confidence"), (0.0, "low confidence"),
])  # fmt: skip
def test_confidence_bands(confidence: float, words: str) -> None:
    assert confidence_band(confidence) == words


def test_a_huge_answer_is_cut_but_its_sources_survive(engine: Engine) -> None:
    answer = Answer(matched=True, intent="party.founders", confidence=0.9, text="word " * 5000,
                    citations=(WIKI, PRESS), kind=ReplyKind.ANSWER)  # fmt: skip
    embed = answer_embed(answer, engine.kb)
    assert_fits(embed)
    description = embed.description or ""
    assert "…" in description and "[2] *Cambodia National Rescue Movement" in description
    assert embed.title == engine.kb.intents["party.founders"].question


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
    cites=st.lists(citations, max_size=60),
    kind=st.sampled_from(list(ReplyKind)),
    confidence=st.floats(0, 1),
    intent=st.one_of(st.none(), st.text(max_size=3000), st.just("party.founders")),
)
def test_any_answer_fits(
    engine: Engine, text: str, cites: list[Citation], kind: ReplyKind, confidence: float,
    intent: str | None,
) -> None:  # fmt: skip
    answer = Answer(matched=kind is ReplyKind.ANSWER, intent=intent, confidence=confidence,
                    text=text, citations=tuple(cites), kind=kind)  # fmt: skip
    embed = answer_embed(answer, engine.kb)
    assert_fits(embed)
    if intent in engine.kb.intents:
        assert intent not in (embed.footer.text or ""), "no internal name shown"


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
        for number, embed in enumerate(pages, start=1):
            assert_fits(embed)
            if rendered.sections:  # prose: headed fields, no monospace
                assert embed.description is None and embed.fields
            else:
                assert (embed.description or "").startswith("```\n")
                assert len(pages) == len(rendered.pages), (name, options)
            if len(pages) > 1:
                assert embed.footer.text == f"Page {number} of {len(pages)}"
            if rendered.citations:
                assert embed.fields[-1].name == "Sources"


def test_prose_tables_read_as_headed_fields(engine: Engine) -> None:
    platform = render_table(engine.kb, "platform")
    (page,) = table_embeds(platform)
    assert [f.name for f in page.fields[:-1]] == [s.heading for s in platform.sections]
    policies = table_embeds(render_table(engine.kb, "policies"))
    values = [f.value for p in policies for f in p.fields if f.name != "Sources"]
    assert all(v.startswith("• ") for v in values), "several policies under a heading: bullets"


def test_a_section_continued_on_the_next_page_repeats_its_heading() -> None:
    long = TableSection("Economy", tuple(f"policy {n} " + "x" * 180 for n in range(12)))
    short = TableSection("Healthcare", ("free care",))
    rendered = RenderedTable("policies", "Policies", ("unused",), (WIKI,), (long, short))
    pages = table_embeds(rendered)
    assert len(pages) > 1
    names = [[f.name for f in page.fields if f.name != "Sources"] for page in pages]
    assert names[0][0] == "Economy"
    assert all(page[0] in ("Economy (continued)", "Healthcare") for page in names[1:])
    assert "Economy (continued)" in names[1], "the section goes on under its heading"
    for page in pages:
        assert_fits(page)


def test_a_worst_case_table_still_fits() -> None:
    rendered = RenderedTable("x", "T" * 400, ("x" * 1800, "```" * 600),
                             tuple([WIKI, PRESS] * 50))  # fmt: skip
    for embed in table_embeds(rendered):
        assert_fits(embed)
        assert "… and" in embed.fields[0].value
    prose = RenderedTable("x", "T" * 400, ("x",), tuple([WIKI, PRESS] * 50),
                          tuple(TableSection("H" * 300, ("y" * 3000,) * 3) for _ in range(30)))
    for embed in table_embeds(prose):
        assert_fits(embed)


@pytest.mark.parametrize("count", [0, 1, 3, 40])
def test_question_lists_fit(count: int) -> None:
    assert_fits(questions_embed("Related questions", [f"question {i} " * 20 for i in range(count)]))


def test_about_and_help_fit_and_say_what_is_kept(engine: Engine) -> None:
    kept = kept_statement(MissPolicy())
    assert "90 days" in kept and "without who asked" in kept and "/misses" in kept
    assert "with who asked" in kept_statement(MissPolicy(record_users=True, retention_days=30))
    assert kept_statement(MissPolicy(retention_days=0)) == "Questions I can't answer are not kept."
    about = about_embed(version="0.1.0", stats=engine.stats(), uptime_seconds=93784.0,
                        latency_ms=None, kept=kept)  # fmt: skip
    assert_fits(about)
    fields = {f.name: f.value for f in about.fields}
    assert fields["Latency"] == "n/a" and fields["Uptime"] == "1d 2h"
    assert fields["Unanswered questions"] == kept
    entries = [HelpEntry(f"command{n}", "does a thing " * 5) for n in range(40)]
    entries += [HelpEntry("misses", "grouped", manage_server=True),
                HelpEntry("Ask CNRP bot", "answers it", message_menu=True)]
    shown = help_embed(entries, kept=kept, listen_channels=[1, 2, 3])
    assert_fits(shown)
    text = (shown.description or "") + "".join(f.value or "" for f in shown.fields)
    assert "<#2>" in text and "`/misses` grouped (Manage Server)" in text
    assert all(f"`/command{n}`" in text for n in range(40)), "every command, however many"
    assert "Apps → Ask CNRP bot" in text and kept in text


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0s"), (59.9, "59s"), (61, "1m 1s"), (3600, "1h"), (90061, "1d 1h")]
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_the_askers_words_in_a_reply_or_a_question_list_render_nothing(engine: Engine) -> None:
    typed = "when was it founded [here](https://evil.example/login)? and **who** <@1> founded it?"
    answer = engine.ask(typed)
    embed = answer_embed(answer, engine.kb)
    # The title is the known questions, never the typing; the typing heads each part, escaped.
    assert embed.title == "When was the CNRP founded? · Who founded the CNRP?"
    typing = (embed.description or "").split("**Sources**")[0]  # the sources are the bot's links
    assert not renders(typing) and "https://evil.example/login" in typing
    listed = questions_embed("Related questions", [typed, "# big"]).description or ""
    assert not renders(listed)
