"""Intent + entity → answer text with numbered citations."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from bot.core.generators import (
    CITE_CLOSE,
    CITE_OPEN,
    ENTITY_GENERATORS,
    GENERATORS,
    NO_QUERY,
    Generated,
    Query,
)
from bot.core.knowledge import KnowledgeBase
from bot.core.models import Citation, CitationRef, Entity, Intent
from bot.core.normalize import lazy_pattern
from bot.core.records import record

_MARK = lazy_pattern(re.escape(CITE_OPEN) + r"([^|]+)\|(.+?)" + re.escape(CITE_CLOSE))


@record
class Composed:
    """A reply's text, with the citations it makes."""

    text: str
    citations: tuple[Citation, ...]
    rows: tuple[tuple[str, str], ...] = ()  # the rows the answer leads with (Generated.rows)


def generator_for(intent: Intent) -> str | None:
    if intent.generator:
        return intent.generator
    return ENTITY_GENERATORS.get(intent.entity) if intent.entity else None


# Placeholders every answer may use: a dated event's date ({date[dissolution]}, from
# timeline.csv), its day of the week when the date is exact ({weekday[press_release]}) and a
# stated count ({figure[mps_lost]}, from figures.csv).
SHARED_PLACEHOLDERS = frozenset({"date", "weekday", "figure"})


def shared_fields(kb: KnowledgeBase) -> dict[str, dict[str, str]]:
    return {"date": kb.event_dates, "weekday": kb.event_weekdays, "figure": kb.figures}


def resolve(kb: KnowledgeBase, ref: CitationRef) -> Citation:
    known = kb.citations.get(ref)
    if known is not None:
        return known
    # A section its source does not list: the source's own link (or a KeyError for no source).
    source = kb.sources[ref.source]
    return Citation(source.id, source.title, ref.section, source.link(ref.section))


def compose(kb: KnowledgeBase, intent: Intent, entity: Entity | None = None,
            query: Query = NO_QUERY) -> Composed:
    """Fill the intent's answer; raise KeyError/LookupError if the data cannot fill it."""
    name = generator_for(intent)
    generated = GENERATORS[name].fn(kb, intent.param_dict, entity, query) if name else Generated({})
    fields = {**generated.fields, **shared_fields(kb)}
    text = intent.answer.format_map(fields)
    # Row answers cite the rows they used; the intent's own citations are the fallback.
    declared = () if intent.entity and generated.citations else intent.citations
    composed = number_citations(kb, text, (*generated.citations, *declared))
    return replace(composed, rows=generated.rows) if generated.rows else composed


def number_citations(kb: KnowledgeBase, text: str, refs: Iterable[CitationRef] = ()) -> Composed:
    """Citation marks (`cite(ref)`) become [n] in order; `refs` not marked inline are listed
    at the end of the text."""
    # Each ref's number, in the order first cited.
    numbers: dict[CitationRef, int] = {}

    def number(ref: CitationRef) -> int:
        return numbers.setdefault(ref, len(numbers) + 1)

    text = _MARK().sub(lambda m: f"[{number(CitationRef(m.group(1), m.group(2)))}]", text)
    inline = len(numbers)
    for ref in refs:
        number(ref)
    trailing = "".join(f"[{i}]" for i in range(inline + 1, len(numbers) + 1))
    if trailing:
        text = f"{text} {trailing}"
    return Composed(text.strip(), tuple(resolve(kb, ref) for ref in numbers))
