"""Pure functions from the core's data to discord.Embed objects, always within Discord's limits.

Nothing here talks to Discord; the cogs decide where an embed goes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import discord

from bot.core.guard import escape_markdown
from bot.core.knowledge import KnowledgeBase
from bot.core.misspolicy import MissPolicy
from bot.core.models import Answer, Citation, ReplyKind
from bot.core.records import record
from bot.core.render import RenderedTable, TableSection

# https://discord.com/developers/docs/resources/message#embed-object-embed-limits
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_COUNT_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
EMBED_TOTAL_LIMIT = 6000
MESSAGE_LIMIT = 2000
BUTTON_LABEL_LIMIT = 80
CHOICE_NAME_LIMIT = 100

ELLIPSIS = "…"

_COLOURS: Mapping[ReplyKind, discord.Colour] = {
    ReplyKind.ANSWER: discord.Colour.from_rgb(31, 95, 168),
    ReplyKind.UNKNOWN: discord.Colour.light_grey(),
    ReplyKind.AMBIGUOUS: discord.Colour.gold(),
    ReplyKind.CLARIFY: discord.Colour.gold(),
    ReplyKind.SMALLTALK: discord.Colour.teal(),
    ReplyKind.REFUSAL: discord.Colour.dark_red(),
    ReplyKind.GAP: discord.Colour.light_grey(),
    ReplyKind.LANGUAGE: discord.Colour.teal(),
    ReplyKind.EMPTY: discord.Colour.light_grey(),
}
TABLE_COLOUR = discord.Colour.from_rgb(31, 95, 168)
NO_MATCH_TEXT = "I don't know that."


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, marking the cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(ELLIPSIS))].rstrip() + ELLIPSIS


def _link_text(text: str) -> str:
    # Square brackets would end a masked link early.
    return text.replace("[", "(").replace("]", ")")


def _link_url(url: str) -> str:
    # A bare ")" would end the markdown link target.
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")


def footnote(number: int, citation: Citation) -> str:
    """`[1] [Title](url) — Section`; a source without a URL (the press release) is named only."""
    title = _link_text(citation.title)
    named = f"[{title}]({_link_url(citation.url)})" if citation.url else f"*{title}*"
    return f"[{number}] {named} — {citation.section}"


def footnotes(citations: Iterable[Citation]) -> str:
    return "\n".join(footnote(i, c) for i, c in enumerate(citations, start=1))


def _fit_lines(lines: Sequence[str], limit: int) -> str:
    """Join whole lines up to `limit`, saying how many did not fit rather than cutting one."""
    text = "\n".join(lines)
    if len(text) <= limit:
        return text
    budget = limit - len("\n… and 9999 more")
    kept: list[str] = []
    used = 0
    for line in lines:
        cost = len(line) + (1 if kept else 0)
        if used + cost > budget:
            break
        kept.append(line)
        used += cost
    kept.append(f"… and {len(lines) - len(kept)} more")
    return "\n".join(kept)


# Confidence in words for the footer: a number invites more precision than the matcher has.
CONFIDENCE_BANDS = ((0.85, "high confidence"), (0.7, "medium confidence"), (0.0, "low confidence"))
_YEAR = re.compile(r"\b(1[89]|20)\d\d\b")


def confidence_band(confidence: float) -> str:
    return next(words for floor, words in CONFIDENCE_BANDS if confidence >= floor)


def answer_title(answer: Answer, kb: KnowledgeBase) -> str | None:
    """The clean question an answer answers: its intent's canonical question, about the rows the
    asker named. None when the question cannot be put cleanly (never a wrong row)."""
    parts = answer.parts or (answer,)
    titles = [_intent_question(part, kb) for part in parts if part.kind is ReplyKind.ANSWER]
    kept = list(dict.fromkeys(t for t in titles if t))
    return truncate(" · ".join(kept), TITLE_LIMIT) if kept else None


def _intent_question(answer: Answer, kb: KnowledgeBase) -> str | None:
    intent = kb.intents.get(answer.intent or "")
    if intent is None:
        return None
    question = intent.question
    # The canonical question names example rows ("… in Kandal …"); put the asker's in.
    kinds = {intent.entity} if intent.entity else set()
    kinds |= {e.kind for e in answer.entities}
    shown: set[str] = set()  # the rows the title names once the asker's are in
    for kind in sorted(k for k in kinds if k):
        # In the order the asker named them ("Battambang or Siem Reap").
        named = [e.key for e in sorted(answer.entities, key=lambda e: e.start) if e.kind == kind]
        if answer.entity is not None and answer.entity.kind == kind and answer.entity.key not in named:
            named.insert(0, answer.entity.key)
        named = list(dict.fromkeys(named))
        spans = _example_spans(question, kind, kb)  # (start, end, the example row's key)
        examples = list(dict.fromkeys(key for _, _, key in spans))
        if not named or not examples:
            continue
        if len(named) != len(examples):
            if kind != intent.entity and set(examples) <= set(named):
                # The question's own rows, and a passing mention of another ("… human rights
                # and democracy"): the intent is not about rows of this kind, so the title stands.
                shown.update(named)
                continue
            return None
        swap = dict(zip(examples, named, strict=True))
        shown.update(named)
        for start, end, key in reversed(spans):
            if swap[key] == key:
                continue  # the asker named the example row itself: keep its wording ("(CNRM)")
            written = question[start:end]
            # A topic written in lower case stays so ("on pensions"); a name keeps its capitals.
            new = swap[key].lower() if written.islower() else swap[key]
            question = question[:start] + new + question[end:]
    # Never a title about another row than the answer's.
    if answer.entity is not None and answer.entity.key not in shown:
        return None
    return question


class _Name:
    """One name of a kind, its pattern compiled the first time a question could hold it: a kind
    has up to ~800 names, and compiling them all on a kind's first title cost a few tenths of a
    second of the bot's first answers (an ASCII question skips any name it does not contain)."""

    __slots__ = ("_name", "_pattern", "key", "lowered")

    def __init__(self, name: str, key: str) -> None:
        self.lowered = name.lower()
        self.key = key
        self._name = name
        self._pattern: re.Pattern[str] | None = None

    @property
    def pattern(self) -> re.Pattern[str]:
        if self._pattern is None:  # on the loop's thread only; a race would compile it twice
            self._pattern = re.compile(rf"\b{re.escape(self._name)}\b", re.IGNORECASE)
        return self._pattern


# Per knowledge base and kind, each name, longest first. Compiled on every title, the patterns
# overflowed re's own cache and took a third of the bot's time answering. Keyed by the
# knowledge base's id, checked against the object itself.
_NAME_PATTERNS: dict[tuple[int, str], tuple[KnowledgeBase, list[_Name]]] = {}
_NAME_PATTERNS_KEPT = 64  # kinds × knowledge bases alive at once (a /reload makes a new one)


def _name_patterns(kind: str, kb: KnowledgeBase) -> list[_Name]:
    """Every name of `kind`, longest first, with its row's key."""
    found = _NAME_PATTERNS.get((id(kb), kind))
    if found is not None and found[0] is kb:
        return found[1]
    if len(_NAME_PATTERNS) >= _NAME_PATTERNS_KEPT:
        _NAME_PATTERNS.clear()
    names = [_Name(name, key)
             for name, key in sorted(kb.entity_names(kind).items(), key=lambda item: -len(item[0]))]
    _NAME_PATTERNS[(id(kb), kind)] = (kb, names)
    return names


# Per knowledge base, kind and canonical question, where that question names rows of the kind:
# the titles of every answer to an intent look for the same names in the same text, which took
# a tenth of a millisecond an answer. Checked against the knowledge base object, like the patterns.
_EXAMPLE_SPANS: dict[tuple[int, str, str], tuple[KnowledgeBase, tuple[tuple[int, int, str], ...]]] = {}
_EXAMPLE_SPANS_KEPT = 4096  # intents × kinds × knowledge bases alive at once: a few hundred each


def _example_spans(question: str, kind: str, kb: KnowledgeBase) -> tuple[tuple[int, int, str], ...]:
    """Where the question names rows of `kind`, and which: longest names first, no overlaps."""
    found = _EXAMPLE_SPANS.get((id(kb), kind, question))
    if found is not None and found[0] is kb:
        return found[1]
    if len(_EXAMPLE_SPANS) >= _EXAMPLE_SPANS_KEPT:
        _EXAMPLE_SPANS.clear()
    spans = _find_example_spans(question, kind, kb)
    _EXAMPLE_SPANS[(id(kb), kind, question)] = (kb, spans)  # one assignment: safe across threads
    return spans


def _find_example_spans(question: str, kind: str, kb: KnowledgeBase) -> tuple[tuple[int, int, str], ...]:
    if kind == "year":
        return tuple((*match.span(), match.group()) for match in _YEAR.finditer(question))
    spans: list[tuple[int, int, str]] = []
    # In ASCII text a name can only match where its lower-case form occurs (outside ASCII,
    # case-blind matching knows more pairs than lower() does, so the pattern decides).
    ascii_text = question.lower() if question.isascii() else None
    for name in _name_patterns(kind, kb):
        if ascii_text is not None and name.lowered.isascii() and name.lowered not in ascii_text:
            continue
        for match in name.pattern.finditer(question):
            if not any(match.start() < end and start < match.end() for start, end, _ in spans):
                spans.append((match.start(), match.end(), name.key))
    return tuple(sorted(spans))


def answer_embed(answer: Answer, kb: KnowledgeBase, *, now: datetime | None = None) -> discord.Embed:
    """One question's reply. An answer: its clean question as the title, the text, numbered
    sources, a confidence word and the time. Anything else (a decline, a question back): the
    text alone, kept short."""
    text = answer.text.strip()
    if answer.kind is ReplyKind.UNKNOWN and not text:
        text = NO_MATCH_TEXT
    sources = ""
    if answer.citations:
        # An answer, or a reply saying what the sources lack: either way its sources show.
        lines = [footnote(i, c) for i, c in enumerate(answer.citations, start=1)]
        sources = "**Sources**\n" + _fit_lines(lines, DESCRIPTION_LIMIT // 2)
    room = DESCRIPTION_LIMIT - (len(sources) + 2 if sources else 0)
    description = truncate(text or NO_MATCH_TEXT, room) + (f"\n\n{sources}" if sources else "")
    if answer.kind is not ReplyKind.ANSWER:
        return discord.Embed(description=description, colour=_COLOURS.get(answer.kind))
    embed = discord.Embed(description=description, colour=_COLOURS.get(answer.kind),
                          timestamp=now or discord.utils.utcnow())
    embed.title = answer_title(answer, kb)
    embed.set_footer(text=confidence_band(answer.confidence))
    return embed


def questions_embed(title: str, questions: Sequence[str]) -> discord.Embed:
    """A short list of questions (related or suggested), numbered like the buttons below it."""
    lines = [f"{i}. {escape_markdown(q)}" for i, q in enumerate(questions, start=1)]
    return discord.Embed(
        title=truncate(title, TITLE_LIMIT),
        description=_fit_lines(lines, DESCRIPTION_LIMIT) or "Nothing to suggest.",
        colour=_COLOURS[ReplyKind.SMALLTALK],
    )


# Prose pages: about a phone screen each, and well inside the 6,000-character embed.
PROSE_PAGE_CHARS = 1500
PROSE_PAGE_FIELDS = 10
CONTINUED = " (continued)"


def table_embeds(table: RenderedTable) -> list[discord.Embed]:
    """One embed per page of a rendered table, with its sources and page number. Prose tables
    (sections) read as headed embed fields; the rest stay monospace so columns line up."""
    sources = _fit_lines(
        [footnote(i, c) for i, c in enumerate(table.citations, start=1)], FIELD_VALUE_LIMIT
    )
    title = truncate(table.title, TITLE_LIMIT)
    if table.sections:
        budget = min(PROSE_PAGE_CHARS, EMBED_TOTAL_LIMIT - len(title) - len(sources) - 100)
        pages = [_prose_page(title, fields) for fields in _prose_pages(table.sections, budget)]
    else:
        pages = [_monospace_page(title, page) for page in table.pages]
    for number, embed in enumerate(pages, start=1):
        if sources:
            embed.add_field(name="Sources", value=sources, inline=False)
        if len(pages) > 1:
            embed.set_footer(text=f"Page {number} of {len(pages)}")
    return pages


def _monospace_page(title: str, page: str) -> discord.Embed:
    # A page is at most 1800 characters, so the fence always fits the 4096 limit; a stray
    # fence inside the text would end the code block early, so it is broken up.
    body = page.replace("```", "`\u200b``")
    return discord.Embed(title=title, description=truncate(f"```\n{body}\n```", DESCRIPTION_LIMIT),
                         colour=TABLE_COLOUR)


def _prose_page(title: str, fields: Sequence[tuple[str, str]]) -> discord.Embed:
    embed = discord.Embed(title=title, colour=TABLE_COLOUR)
    for name, value in fields:
        embed.add_field(name=name, value=value, inline=False)
    return embed


def _section_fields(section: TableSection) -> list[tuple[str, str]]:
    """A section as one field, or several when it outgrows a field's 1,024 characters."""
    lines = [f"• {item}" for item in section.items] if len(section.items) > 1 else list(section.items)
    return _line_fields(section.heading, lines or ["—"])


def _line_fields(heading: str, lines: Sequence[str]) -> list[tuple[str, str]]:
    """Whole lines in as many fields as they need, the later ones headed "… (continued)"."""
    heading = truncate(heading, FIELD_NAME_LIMIT - len(CONTINUED))
    fields: list[tuple[str, str]] = []
    current: list[str] = []
    for line in (truncate(line, FIELD_VALUE_LIMIT) for line in lines):
        if current and len("\n".join([*current, line])) > FIELD_VALUE_LIMIT:
            fields.append((heading if not fields else heading + CONTINUED, "\n".join(current)))
            current = []
        current.append(line)
    fields.append((heading if not fields else heading + CONTINUED, "\n".join(current)))
    return fields


def _prose_pages(sections: Sequence[TableSection], budget: int) -> list[list[tuple[str, str]]]:
    pages: list[list[tuple[str, str]]] = [[]]
    used = 0
    for section in sections:
        for name, value in _section_fields(section):
            cost = len(name) + len(value)
            if pages[-1] and (used + cost > budget or len(pages[-1]) >= PROSE_PAGE_FIELDS):
                # A section split over the page keeps its heading: its later fields are
                # already named "… (continued)".
                pages.append([])
                used = 0
            pages[-1].append((name, value))
            used += cost
    return pages


def within_limits(embed: discord.Embed) -> bool:
    """Whether Discord would accept this embed (used by the tests and as a last guard)."""
    return (
        len(embed.title or "") <= TITLE_LIMIT
        and len(embed.description or "") <= DESCRIPTION_LIMIT
        and len(embed.fields) <= FIELD_COUNT_LIMIT
        and all(
            len(f.name or "") <= FIELD_NAME_LIMIT and len(f.value or "") <= FIELD_VALUE_LIMIT
            for f in embed.fields
        )
        and len(embed.footer.text or "") <= FOOTER_LIMIT
        and len(embed.author.name or "") <= AUTHOR_LIMIT
        and len(embed) <= EMBED_TOTAL_LIMIT
    )


def kept_statement(policy: MissPolicy) -> str:
    """What the bot keeps of the questions it cannot answer, for how long and why."""
    if not policy.keeps_anything:
        return "Questions I can't answer are not kept."
    who = "with" if policy.record_users else "without"
    return (
        f"Questions I can't answer well are kept for {policy.retention_days} days, {who} who "
        "asked them, with any 👍/👎 or suggestion you click, so the curators can teach me new "
        "phrasings. A server's admins see only that server's (`/misses`); questions from direct "
        "messages are seen only by the bot's operator."
    )


def about_embed(
    *, version: str, stats: Mapping[str, int], uptime_seconds: float, latency_ms: float | None,
    kept: str,
) -> discord.Embed:
    embed = discord.Embed(
        title="About cnrp-bot",
        description=(
            "Answers questions about the Cambodia National Rescue Party from a curated fact "
            "base; every answer cites its source."
        ),
        colour=TABLE_COLOUR,
    )
    embed.add_field(name="Version", value=version)
    embed.add_field(name="Uptime", value=format_duration(uptime_seconds))
    embed.add_field(name="Latency", value="n/a" if latency_ms is None else f"{latency_ms:.0f} ms")
    counts = ", ".join(f"{value:,} {key}" for key, value in stats.items())
    embed.add_field(
        name="Knowledge base", value=truncate(counts or "empty", FIELD_VALUE_LIMIT), inline=False
    )
    embed.add_field(name="Unanswered questions", value=truncate(kept, FIELD_VALUE_LIMIT),
                    inline=False)
    return embed


def format_duration(seconds: float) -> str:
    total = int(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    shown = [f"{value}{unit}" for value, unit in parts if value]
    return " ".join(shown[:2]) or "0s"


@record
class HelpEntry:
    """One registered command as /help shows it."""

    name: str
    description: str
    message_menu: bool = False  # a message context menu ("Apps" on a message), not a slash command
    manage_server: bool = False


HELP_INTRO = (
    "**Ask a question** with `/ask`, by mentioning me, or in a direct message — for example "
    "“Who founded the CNRP?” or “How did the party do in Kampong Cham?”. Every answer lists "
    "its sources; when I am not sure, I say so and suggest questions I can answer."
)


def help_embed(entries: Sequence[HelpEntry], *, kept: str,
               listen_channels: Sequence[int] = ()) -> discord.Embed:
    """Help written from the commands actually registered, so none is ever left out."""
    text = HELP_INTRO
    if listen_channels:
        channels = ", ".join(f"<#{cid}>" for cid in listen_channels)
        text += f"\n\nIn {channels} I answer messages that ask about the party, and stay quiet otherwise."
    commands = [e for e in entries if not e.message_menu]
    menus = [e for e in entries if e.message_menu]
    lines = [
        f"`/{e.name}` {e.description}" + (" (Manage Server)" if e.manage_server and
                                           "Manage Server" not in e.description else "")
        for e in sorted(commands, key=lambda e: e.name)
    ]
    lines += [f"**{e.name}**: {e.description} (on a message: Apps → {e.name})" for e in menus]
    embed = discord.Embed(title="How to use cnrp-bot", description=truncate(text, DESCRIPTION_LIMIT),
                          colour=TABLE_COLOUR)
    for name, value in _line_fields("Commands", lines or ["—"]):
        embed.add_field(name=name, value=value, inline=False)
    embed.add_field(name="Unanswered questions", value=truncate(kept, FIELD_VALUE_LIMIT),
                    inline=False)
    return embed
