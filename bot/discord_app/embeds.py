"""Pure functions from the core's data to discord.Embed objects, always within Discord's limits.

Nothing here talks to Discord; the cogs decide where an embed goes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import discord

from bot.core.guard import escape_markdown
from bot.core.models import Answer, Citation, ReplyKind
from bot.core.render import RenderedTable

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


def answer_embed(answer: Answer, question: str | None = None) -> discord.Embed:
    """One question's reply: the answer, its numbered sources, a quiet confidence footer."""
    text = answer.text.strip()
    if answer.kind is ReplyKind.UNKNOWN and not text:
        text = NO_MATCH_TEXT
    sources = ""
    if answer.citations:
        lines = [footnote(i, c) for i, c in enumerate(answer.citations, start=1)]
        sources = "**Sources**\n" + _fit_lines(lines, DESCRIPTION_LIMIT // 2)
    room = DESCRIPTION_LIMIT - (len(sources) + 2 if sources else 0)
    description = truncate(text, room) + (f"\n\n{sources}" if sources else "")
    embed = discord.Embed(description=description, colour=_COLOURS.get(answer.kind))
    if question:
        # Titles render markdown too: the asker's words are shown, never rendered.
        embed.title = truncate(escape_markdown(" ".join(question.split())), TITLE_LIMIT)
    embed.set_footer(text=truncate(_confidence_line(answer), FOOTER_LIMIT))
    return embed


def _confidence_line(answer: Answer) -> str:
    percent = f"confidence {answer.confidence:.0%}"
    if answer.kind is ReplyKind.ANSWER and answer.intent:
        return f"{percent} · {answer.intent}"
    return f"{percent} · {answer.kind.value}"


def questions_embed(title: str, questions: Sequence[str]) -> discord.Embed:
    """A short list of questions (related or suggested), numbered like the buttons below it."""
    lines = [f"{i}. {escape_markdown(q)}" for i, q in enumerate(questions, start=1)]
    return discord.Embed(
        title=truncate(title, TITLE_LIMIT),
        description=_fit_lines(lines, DESCRIPTION_LIMIT) or "Nothing to suggest.",
        colour=_COLOURS[ReplyKind.SMALLTALK],
    )


def table_embeds(table: RenderedTable) -> list[discord.Embed]:
    """One embed per page of a rendered table: monospace body, sources, page number."""
    count = len(table.pages)
    sources = _fit_lines(
        [footnote(i, c) for i, c in enumerate(table.citations, start=1)], FIELD_VALUE_LIMIT
    )
    embeds = []
    for number, page in enumerate(table.pages, start=1):
        # A page is at most 1800 characters, so the fence always fits the 4096 limit; a stray
        # fence inside the text would end the code block early, so it is broken up.
        body = page.replace("```", "`\u200b``")
        embed = discord.Embed(
            title=truncate(table.title, TITLE_LIMIT),
            description=truncate(f"```\n{body}\n```", DESCRIPTION_LIMIT),
            colour=TABLE_COLOUR,
        )
        if sources:
            embed.add_field(name="Sources", value=sources, inline=False)
        if count > 1:
            embed.set_footer(text=f"Page {number} of {count}")
        embeds.append(embed)
    return embeds


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


def about_embed(
    *, version: str, stats: Mapping[str, int], uptime_seconds: float, latency_ms: float | None
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
    return embed


def format_duration(seconds: float) -> str:
    total = int(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    shown = [f"{value}{unit}" for value, unit in parts if value]
    return " ".join(shown[:2]) or "0s"


HELP_TEXT = """\
**Ask a question** with `/ask`, by mentioning me, or in a direct message — for example \
“Who founded the CNRP?” or “How did the party do in Kampong Cham?”. Every answer lists its \
sources; when I am not sure, I say so and suggest questions I can answer.

**Tables** (private unless you set `public`):
`/results` 2013 results by constituency (sort, order, one constituency)
`/leaders` party leaders · `/committee` executive or standing committee
`/elections` general and communal elections · `/platform` the seven-point platform
`/policies` policies by area · `/timeline` dated events · `/sources` what I cite
`/chart` the 2013 vote share by constituency as a picture

`/about` version, knowledge-base size, uptime · `/reload` re-read the knowledge base \
(Manage Server only)"""


def help_embed(listen_channels: Sequence[int] = ()) -> discord.Embed:
    text = HELP_TEXT
    if listen_channels:
        channels = ", ".join(f"<#{cid}>" for cid in listen_channels)
        text += f"\n\nIn {channels} every message is taken as a question."
    return discord.Embed(
        title="How to use cnrp-bot",
        description=truncate(text, DESCRIPTION_LIMIT),
        colour=TABLE_COLOUR,
    )
