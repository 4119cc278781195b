"""Frozen data shared by the core and its adapters.

Everything here is plain data: the adapters (CLI, Discord) render it, none of them decide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


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


@dataclass(frozen=True)
class Section:
    name: str
    anchor: str = ""


@dataclass(frozen=True)
class Source:
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


@dataclass(frozen=True)
class CitationRef:
    """A citation as written in knowledge/: a source id and one of its sections."""

    source: str
    section: str


@dataclass(frozen=True)
class Citation:
    """A resolved citation, ready to show: the keys are the JSON contract's."""

    source: str
    title: str
    section: str
    url: str

    def to_json(self) -> dict[str, str]:
        return {"source": self.source, "title": self.title, "section": self.section, "url": self.url}


# The kinds of answer an intent may give, and a question may ask for.
ANSWER_TYPES = ("person", "organisation", "date", "number", "place", "duration", "reason",
                "description", "yesno", "quote", "name")


@dataclass(frozen=True)
class Intent:
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


@dataclass(frozen=True, init=False)
class Entity:
    """A table row recognised in a question."""

    kind: str  # constituency, person, committee, platform_point, policy_point, policy_area, …
    key: str  # the row's canonical value, e.g. "Kampong Cham"
    text: str  # the words of the question that named it
    score: float  # 0..1, how closely the words matched an alias
    start: int = 0  # token span in the normalised question
    end: int = 0

    def __init__(self, kind: str, key: str, text: str, score: float, start: int = 0, end: int = 0) -> None:
        # Questions make several: the fields go straight into the instance's dict, where the
        # generated __init__ of a frozen dataclass sets each through object.__setattr__ (2.5x
        # the cost). Equality, hash, repr and immutability are the dataclass's as before.
        values = self.__dict__
        values["kind"], values["key"], values["text"], values["score"] = kind, key, text, score
        values["start"], values["end"] = start, end


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Answer:
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
    parts: tuple[Answer, ...] = field(default=())  # sub-answers when one message asks several

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
