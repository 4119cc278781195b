"""Tables as monospace text pages, shared by the CLI and the slash commands.

Prose tables (the platform, the policies) also come as headed sections, so an adapter that
can show headings (Discord's embed fields) need not set sentences in monospace.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rapidfuzz import fuzz, process

from bot.core.compose import resolve
from bot.core.generators import timeline_events
from bot.core.knowledge import KnowledgeBase, Row, resolve_alias
from bot.core.models import TABLE_NAMES, Citation, CitationRef
from bot.core.normalize import fold
from bot.core.records import record

# A page stays under Discord's 2,000-character message limit with code fences and a header.
PAGE_CHARS = 1800


# How many names a "did you mean" offers, and how alike a name must be to be offered.
MAX_CLOSE_NAMES = 4
CLOSE_NAME_CUTOFF = 60.0


@record
class TableSection:
    """A heading and the sentences under it (a platform point, a policy area)."""

    heading: str
    items: tuple[str, ...]


@record
class RenderedTable:
    """A table written out as text pages, with what it cites."""

    name: str
    title: str
    pages: tuple[str, ...]
    citations: tuple[Citation, ...]
    sections: tuple[TableSection, ...] = ()  # set for prose tables


class UnknownName(ValueError):
    """An option names no row; `close` holds the names it may have meant, closest first."""

    def __init__(self, label: str, wanted: str, close: tuple[str, ...], known: tuple[str, ...]) -> None:
        self.label = label
        self.wanted = wanted
        self.close = close
        self.known = known
        if close:
            names = close[0] if len(close) == 1 else f"{', '.join(close[:-1])} or {close[-1]}"
            hint = f" Did you mean {names}?"
        else:
            hint = f" Try one of: {', '.join(known)}."
        super().__init__(f"No {label} called {wanted!r}.{hint}")


def close_names(wanted: str, names: dict[str, str], limit: int = MAX_CLOSE_NAMES) -> tuple[str, ...]:
    """Row keys whose names or aliases (`names`: name → key) look like `wanted`, closest first."""
    folded = {name: " ".join(fold(name).split()) for name in names}
    target = " ".join(fold(wanted).split())
    if not target:
        return ()
    found = process.extract(target, folded, scorer=fuzz.WRatio, processor=None,
                            score_cutoff=CLOSE_NAME_CUTOFF, limit=None)
    return tuple(dict.fromkeys(names[name] for _, _, name in found))[:limit]


def _grid(headers: Sequence[str], rows: Sequence[Sequence[str]],
          right: frozenset[int] = frozenset()) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return [line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def paginate(lines: Sequence[str], header_lines: int = 0, limit: int = PAGE_CHARS) -> tuple[str, ...]:
    """Split lines into pages under `limit`, repeating the header on each page."""
    header, body = list(lines[:header_lines]), list(lines[header_lines:])
    pages: list[str] = []
    current = list(header)
    for line in body:
        line = line if len(line) <= limit // 2 else line[: limit // 2 - 1] + "…"
        if len("\n".join([*current, line])) > limit and len(current) > len(header):
            pages.append("\n".join(current))
            current = list(header)
        current.append(line)
    if len(current) > len(header) or not pages:
        pages.append("\n".join(current))
    return tuple(pages)


def _cites(kb: KnowledgeBase, rows: Sequence[Row]) -> tuple[Citation, ...]:
    refs: dict[CitationRef, None] = dict.fromkeys(r.citation for r in rows if r.citation)
    return tuple(resolve(kb, ref) for ref in refs)


def _find(kb: KnowledgeBase, table: str, column: str, wanted: str, label: str,
          kind: str | None = None) -> list[Row]:
    key = wanted.strip().casefold()
    rows = [r for r in kb.table(table).rows if str(r[column]).casefold() == key]
    if rows:
        return rows
    rows = [r for r in kb.table(table).rows if str(r[column]).casefold().startswith(key)]
    if not rows:
        known = tuple(dict.fromkeys(str(r[column]) for r in kb.table(table).rows))
        # Aliases count too ("kompong cham"), but what is offered is the row's own name.
        names = {name: name for name in known}
        if kind is not None:
            names.update(kb.entity_names(kind))
        raise UnknownName(label, wanted, close_names(wanted, names), known)
    return rows


def _results(kb: KnowledgeBase, constituency: str | None = None, sort: str = "votes",
             order: str = "desc", **_: Any) -> RenderedTable:
    table = kb.table("constituencies")
    rows = list(table.rows)
    if constituency:
        hit = resolve_alias(kb, "constituency", constituency)  # "Takeo", "PP", "kompong cham"
        rows = _find(kb, "constituencies", "name", hit or constituency, "constituency",
                     "constituency")
    sort_keys: dict[str, Callable[[Row], Any]] = {
        "votes": lambda r: r["votes"], "share": lambda r: r["share"],
        "name": lambda r: str(r["name"]).casefold(), "no": lambda r: r["no"],
    }
    if sort not in sort_keys:
        raise ValueError(f"sort is one of {', '.join(sort_keys)}, not {sort!r}")
    if order not in ("asc", "desc"):
        raise ValueError(f"order is asc or desc, not {order!r}")
    rows.sort(key=sort_keys[sort], reverse=order == "desc")
    body = [[r.display["no"], str(r["name"]), r.display["votes"], f"{r.display['share']}%"] for r in rows]
    lines = _grid(["No.", "Constituency", "Votes", "Share"], body, frozenset({0, 2, 3}))
    if not constituency:
        stated = table.meta["stated_totals"]
        row_sum = sum(r["votes"] for r in table.rows)
        lines.append(f"Total as stated: {int(stated['votes']):,} votes, {stated['share']}%")
        if row_sum != int(stated["votes"]):
            lines.append(f"Sum of the rows above: {row_sum:,} (the source's figures disagree)")
    return RenderedTable("results", table.title, paginate(lines, 2), _cites(kb, rows))


def _leaders(kb: KnowledgeBase, **_: Any) -> RenderedTable:
    table = kb.table("leaders")
    body = [[r.display["no"], str(r["name"]), r.display["term_start"], r.display["term_end"],
             r.display["deputies"]] for r in table.rows]
    lines = _grid(["No.", "Name", "Term start", "Term end", "Deputy"], body, frozenset({0}))
    return RenderedTable("leaders", table.title, paginate(lines, 2), _cites(kb, list(table.rows)))


def _committee(kb: KnowledgeBase, which: str | None = None, **_: Any) -> RenderedTable:
    table = kb.table("committees")
    rows = _find(kb, "committees", "committee", which, "committee") if which else list(table.rows)
    body = [[str(r["committee"]), r.display["rank"], str(r["name"]), str(r["position"])] for r in rows]
    lines = _grid(["Committee", "No.", "Name", "Position"], body, frozenset({1}))
    title = f"{rows[0]['committee']} Committee" if which else table.title
    return RenderedTable("committee", title, paginate(lines, 2), _cites(kb, rows))


def _elections(kb: KnowledgeBase, which: str | None = None, **_: Any) -> RenderedTable:
    table = kb.table("elections")
    rows = _find(kb, "elections", "type", which, "kind of election") if which else list(table.rows)
    body = [[str(r["year"]), str(r["type"]), str(r["leader"]), r.display["votes"],
             f"{r.display['share']}%", f"{r['change']:+.1f}"] for r in rows]
    lines = _grid(["Year", "Election", "Leader", "Votes", "Share", "± pts"], body,
                  frozenset({3, 4, 5}))
    return RenderedTable("elections", table.title, paginate(lines, 2), _cites(kb, rows))


def _platform(kb: KnowledgeBase, **_: Any) -> RenderedTable:
    table = kb.table("platform")
    lines = [f"{r.display['no']}. {r['topic']}: {r['text']}" for r in table.rows]
    sections = tuple(TableSection(f"{r.display['no']}. {r['topic']}", (str(r["text"]),))
                     for r in table.rows)
    return RenderedTable("platform", table.title, paginate(lines), _cites(kb, list(table.rows)),
                         sections)


def _policies(kb: KnowledgeBase, area: str | None = None, **_: Any) -> RenderedTable:
    table = kb.table("policies")
    if area:
        hit = resolve_alias(kb, "policy_area", area)
        rows = _find(kb, "policies", "area", hit or area, "policy area", "policy_area")
    else:
        rows = list(table.rows)
    lines: list[str] = []
    grouped: dict[str, list[str]] = {}
    for row in rows:
        if str(row["area"]) not in grouped:
            lines.append(f"[{row['area']}]")
        grouped.setdefault(str(row["area"]), []).append(str(row["text"]))
        lines.append(f"  • {row['text']}")
    title = f"Policies: {rows[0]['area']}" if area else table.title
    sections = tuple(TableSection(heading, tuple(items)) for heading, items in grouped.items())
    return RenderedTable("policies", title, paginate(lines), _cites(kb, rows), sections)


def _timeline(kb: KnowledgeBase, year: int | str | None = None, **_: Any) -> RenderedTable:
    events = timeline_events(kb, int(year) if year else None)
    if not events:
        raise ValueError(f"no dated events in {year}")
    lines = [f"{when}: {what}" for when, what, _ in events]
    refs = dict.fromkeys(ref for _, _, ref in events if ref)
    title = f"Timeline, {year}" if year else "Timeline"
    return RenderedTable("timeline", title, paginate(lines), tuple(resolve(kb, r) for r in refs))


def _sources(kb: KnowledgeBase, **_: Any) -> RenderedTable:
    lines: list[str] = []
    for source in kb.sources.values():
        lines.append(f"[{source.id}] {source.title}")
        lines.append(f"  {source.publisher}{', ' + source.date if source.date else ''}")
        if source.url:
            lines.append(f"  {source.url}")
        lines.append(f"  Sections: {', '.join(s.name for s in source.sections)}")
    return RenderedTable("sources", "Sources", paginate(lines), ())


_RENDERERS: dict[str, Callable[..., RenderedTable]] = {
    "results": _results, "leaders": _leaders, "committee": _committee,
    "elections": _elections, "platform": _platform, "policies": _policies,
    "timeline": _timeline, "sources": _sources,
}


def render_table(kb: KnowledgeBase, name: str, **options: Any) -> RenderedTable:
    """Render a table by name; bad names and options raise ValueError with a clear message."""
    renderer = _RENDERERS.get(name)
    if renderer is None:
        raise ValueError(f"unknown table {name!r} (one of: {', '.join(TABLE_NAMES)})")
    return renderer(kb, **{k: v for k, v in options.items() if v is not None})
