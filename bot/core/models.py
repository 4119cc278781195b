"""Frozen data shared by the core and its adapters.

Everything here is plain data: the adapters (CLI, Discord) render it, none of them decide.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from bot.core.records import record


class ReplyKind(StrEnum):
    """What sort of reply an `Answer` is; only ANSWER states facts from the knowledge base."""

    ANSWER = "answer"
    UNKNOWN = "unknown"  # below the threshold: "I don't know that", with suggestions
    AMBIGUOUS = "ambiguous"  # two intents too close to call: "did you mean …"
    CLARIFY = "clarify"  # the intent is clear but it needs an entity ("which constituency?")
    SMALLTALK = "smalltalk"  # greetings, thanks, help
    REFUSAL = "refusal"  # asks for something never served (contact details, opinions)
    GAP = "gap"  # the sources don't hold what was asked: says so, and what they do say, cited
    LANGUAGE = "language"  # written in a language the bot doesn't read: says which it does
    EMPTY = "empty"  # nothing left to read once markup and noise are stripped


@record
class Section:
    """A named part of a source, with the anchor its link points at."""

    name: str
    anchor: str = ""


@record
class Source:
    """A document the answers cite (knowledge/sources.yaml) and its sections."""

    id: str
    title: str
    publisher: str
    kind: str
    date: str | None
    url: str
    sections: tuple[Section, ...]

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def link(self, section_name: str) -> str:
        section = self.section(section_name)
        if not self.url:
            return ""
        return f"{self.url}#{section.anchor}" if section and section.anchor else self.url


@record
class CitationRef:
    """A citation as written in knowledge/: a source id and one of its sections."""

    source: str
    section: str


@record
class Citation:
    """A resolved citation, ready to show: the keys are the JSON contract's."""

    source: str
    title: str
    section: str
    url: str

    def to_json(self) -> dict[str, str]:
        return {"source": self.source, "title": self.title, "section": self.section, "url": self.url}


# The tables `render.render_table` draws, by name: kept here so that the command line's parser
# can offer them without importing the renderer, which a start that only answers never uses.
TABLE_NAMES = ("results", "leaders", "committee", "elections", "platform", "policies",
               "timeline", "sources")

# The kinds of answer an intent may give, and a question may ask for.
ANSWER_TYPES = ("person", "organisation", "date", "number", "place", "duration", "reason",
                "description", "yesno", "quote", "name")


@record
class Intent:
    """A question the bot answers: its phrasings, its reply and what the reply cites."""

    id: str
    topic: str
    question: str  # the canonical question, shown as a suggestion
    phrasings: tuple[str, ...]
    keywords: tuple[str, ...]
    answer: str  # may hold {placeholders} filled from a table row or a generator
    citations: tuple[CitationRef, ...]
    related: tuple[str, ...] = ()
    kind: ReplyKind = ReplyKind.ANSWER
    entity: str | None = None  # the entity kind this intent needs (its answer is per row)
    generator: str | None = None  # a named computation over the tables
    params: tuple[tuple[str, Any], ...] = ()
    file: str = ""
    # What the answer gives (see ANSWER_TYPES): a question asking for something else ("who"
    # put to an intent that gives a date) is not answered by it.
    answers: tuple[str, ...] = ()

    @property
    def param_dict(self) -> dict[str, Any]:
        return dict(self.params)


@record
class Entity:
    """A table row recognised in a question."""

    kind: str  # constituency, person, committee, platform_point, policy_point, policy_area, …
    key: str  # the row's canonical value, e.g. "Kampong Cham"
    text: str  # the words of the question that named it
    score: float  # 0..1, how closely the words matched an alias
    start: int = 0  # token span in the normalised question
    end: int = 0


@record
class Candidate:
    """An intent the matcher ranked for a question, with what its probability rests on."""

    intent: str
    probability: float  # 0..1, as the matcher gave it
    question: str
    overlap: float = 0.0  # word overlap with its best phrasing
    fuzzy: float = 0.0
    phrasing: str = ""  # that best phrasing
    notes: tuple[str, ...] = ()

    # Rounded and put in words only when read: few answers' candidates ever are, and doing it
    # for all five cost an answer more than anything else it does outside the matcher.
    @property
    def score(self) -> float:
        """The probability to four places."""
        return round(self.probability, 4)

    @property
    def why(self) -> str:
        """A short account of the score."""
        notes = f"; {'; '.join(self.notes)}" if self.notes else ""
        return f"overlap {self.overlap:.2f}, fuzzy {self.fuzzy:.2f}, via {self.phrasing!r}{notes}"


@record
class Answer:
    """The reply to a message, with its citations, suggestions and the matcher's candidates."""

    matched: bool
    intent: str | None
    confidence: float
    text: str
    citations: tuple[Citation, ...] = ()
    suggestions: tuple[str, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    entities: tuple[Entity, ...] = ()
    entity: Entity | None = None  # the row the answer is about, for per-row intents
    related: tuple[str, ...] = ()  # follow-up questions the intent names
    kind: ReplyKind = ReplyKind.UNKNOWN
    normalized: str = ""
    parts: tuple[Answer, ...] = ()  # sub-answers when one message asks several

    def to_json(self) -> dict[str, Any]:
        """The `ask --json` contract: exactly these keys, in this order."""
        return {
            "matched": self.matched,
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "answer": self.text,
            "citations": [c.to_json() for c in self.citations],
            "suggestions": list(self.suggestions),
        }
