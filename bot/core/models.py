"""Frozen data shared by the core and its adapters.

Everything here is plain data: the adapters (CLI, Discord) render it, none of them decide.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from enum import StrEnum
from typing import Any, TypeVar

_Class = TypeVar("_Class", bound=type)


def direct_init(cls: _Class) -> _Class:
    """A frozen dataclass given an `__init__` that puts its fields straight into the instance's
    dict, for the few built per question (entities, readings, analyses, answers, candidates):
    the generated one sets each field through `object.__setattr__`, two to three times the
    cost. The same signature (names, order, defaults), and equality, hash, repr, immutability
    and `dataclasses.replace` stay the dataclass's. The code is made from the fields, as
    dataclasses makes its own, so a field added later is never left out."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: direct_init is for frozen dataclasses without __post_init__")
    defaults: dict[str, Any] = {}
    parameters: list[str] = []
    for item in fields(cls):
        if not item.init or item.kw_only or item.default_factory is not MISSING:
            raise TypeError(f"{cls.__name__}.{item.name}: direct_init takes plain fields with plain defaults")
        if item.default is MISSING:
            parameters.append(item.name)
        else:
            defaults[f"_default_{item.name}"] = item.default
            parameters.append(f"{item.name}=_default_{item.name}")
    stores = "".join(f"    values[{item.name!r}] = {item.name}\n" for item in fields(cls))
    source = f"def __init__(self, {', '.join(parameters)}):\n    values = self.__dict__\n{stores}"
    made: dict[str, Any] = {}
    exec(source, defaults, made)
    made["__init__"].__qualname__ = f"{cls.__qualname__}.__init__"
    # Set on the class itself, which mypy cannot tell from setting an instance's method.
    cls.__init__ = made["__init__"]  # type: ignore[misc]
    return cls


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
    """A named part of a source, with the anchor its link points at."""

    name: str
    anchor: str = ""


@dataclass(frozen=True)
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


# The tables `render.render_table` draws, by name: kept here so that the command line's parser
# can offer them without importing the renderer, which a start that only answers never uses.
TABLE_NAMES = ("results", "leaders", "committee", "elections", "platform", "policies",
               "timeline", "sources")

# The kinds of answer an intent may give, and a question may ask for.
ANSWER_TYPES = ("person", "organisation", "date", "number", "place", "duration", "reason",
                "description", "yesno", "quote", "name")


@dataclass(frozen=True)
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


@direct_init
@dataclass(frozen=True)
class Entity:
    """A table row recognised in a question."""

    kind: str  # constituency, person, committee, platform_point, policy_point, policy_area, …
    key: str  # the row's canonical value, e.g. "Kampong Cham"
    text: str  # the words of the question that named it
    score: float  # 0..1, how closely the words matched an alias
    start: int = 0  # token span in the normalised question
    end: int = 0


@direct_init
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


@direct_init
@dataclass(frozen=True)
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
