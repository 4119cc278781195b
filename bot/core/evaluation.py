"""Labelled question files: load them, run them through an engine, measure accuracy."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core.context import Conversation
from bot.core.engine import Engine
from bot.core.models import Answer, ReplyKind
from bot.core.records import record
from bot.core.yamlio import LineDict, YamlProblem, load_yaml

REJECTIONS = frozenset({ReplyKind.UNKNOWN, ReplyKind.AMBIGUOUS, ReplyKind.EMPTY})
UNDERSTOOD = frozenset({ReplyKind.ANSWER, ReplyKind.GAP, ReplyKind.SMALLTALK, ReplyKind.REFUSAL,
                        ReplyKind.CLARIFY})
# A turn may expect a kind of reply: one of ReplyKind, or "decline" for any reply that states
# no fact and is not small talk (I don't know, the sources lack it, a refusal, …).
DECLINE = "decline"
COMPUTED = "computed."  # the intent field of an answer computed from the tables (engine.py)
_DECLINES = frozenset({ReplyKind.UNKNOWN, ReplyKind.AMBIGUOUS, ReplyKind.EMPTY, ReplyKind.GAP,
                       ReplyKind.REFUSAL, ReplyKind.LANGUAGE})
_THOUSANDS = re.compile(r"(?<=\d)[,\u202f\u00a0](?=\d{3}\b)")


@record
class Case:
    question: str
    intents: tuple[str, ...]  # empty: out of scope
    entity: str | None = None
    # Each group must be met by the reply: one of its alternatives appears in it, ignoring
    # case, accents and thousands separators.
    expect: tuple[tuple[str, ...], ...] = ()
    line: int = 0
    kind: ReplyKind | None = None  # a turn may expect a kind of reply rather than an intent
    conversation: str = ""  # the conversation a turn belongs to; "" for a lone question
    declines: bool = False  # the turn expects a decline (kind: decline)

    @property
    def in_scope(self) -> bool:
        # A turn that only expects text in the reply ("did she flee?") expects an answer.
        if self.declines:
            return False
        return (bool(self.intents) or bool(self.expect)
                or (self.kind is not None and self.kind not in REJECTIONS
                    and self.kind is not ReplyKind.SMALLTALK))


def comparable(text: str) -> str:
    """Text as expectations are compared: no case, accents or thousands separators."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _THOUSANDS.sub("", plain)


@record
class Outcome:
    case: Case
    answer: Answer
    correct: bool
    problem: str = ""


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def in_scope(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.case.in_scope]

    @property
    def out_of_scope(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.case.in_scope]

    @staticmethod
    def _rate(outcomes: list[Outcome]) -> float:
        return sum(o.correct for o in outcomes) / len(outcomes) if outcomes else 1.0

    @property
    def accuracy(self) -> float:
        return self._rate(self.in_scope)

    @property
    def rejection(self) -> float:
        return self._rate(self.out_of_scope)

    def per_intent(self) -> dict[str, tuple[int, int]]:
        table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for outcome in self.in_scope:
            key = outcome.case.intents[0] if outcome.case.intents else f"({outcome.case.kind})"
            row = table[key]
            row[0] += outcome.correct
            row[1] += 1
        return {k: (v[0], v[1]) for k, v in sorted(table.items())}

    def confusions(self) -> Counter[tuple[str, str]]:
        pairs: Counter[tuple[str, str]] = Counter()
        for outcome in self.outcomes:
            if outcome.correct:
                continue
            expected = (outcome.case.intents[0] if outcome.case.intents else
                        f"({outcome.case.kind.value})" if outcome.case.kind else "(out of scope)")
            got = outcome.answer.intent if outcome.answer.kind not in REJECTIONS else (
                f"({outcome.answer.kind.value})")
            pairs[(expected, got or "(none)")] += 1
        return pairs

    def histogram(self, bins: int = 10) -> list[tuple[float, int, int]]:
        """(lower bound, correct, wrong) per confidence bin."""
        counts = [[0, 0] for _ in range(bins)]
        for outcome in self.outcomes:
            index = min(int(outcome.answer.confidence * bins), bins - 1)
            counts[index][0 if outcome.correct else 1] += 1
        return [(i / bins, c, w) for i, (c, w) in enumerate(counts)]


def _read_list(path: Path, what: str) -> list[Any]:
    try:
        data = load_yaml(path)
    except YamlProblem as exc:
        raise ValueError(f"{path}:{exc.line or '?'}: {exc.message}") from exc
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of {what}")
    return data


def _case(path: Path, item: Any, allowed: set[str], conversation: str = "") -> Case:
    """One labelled question (or turn); ValueError names the line of anything malformed."""
    line = item.line if isinstance(item, LineDict) else 0
    if not isinstance(item, dict) or "q" not in item:
        raise ValueError(f"{path}:{line}: each case needs 'q'")
    unknown = set(item) - allowed
    if unknown:
        raise ValueError(f"{path}:{line}: unknown keys {sorted(unknown)}")
    raw: Any = item.get("intent")
    if raw is not None and not isinstance(raw, str | list):
        raise ValueError(f"{path}:{line}: intent must be an id, a list of ids or null")
    intents = () if raw is None else (raw,) if isinstance(raw, str) else tuple(map(str, raw))
    declines = item.get("kind") == DECLINE
    try:
        kind = ReplyKind(item["kind"]) if item.get("kind") and not declines else None
    except ValueError as exc:
        raise ValueError(f"{path}:{line}: unknown kind {item['kind']!r}") from exc
    entity = item.get("entity")
    return Case(str(item["q"]), intents, None if entity is None else str(entity),
                _expectations(path, line, item.get("expect")), line, kind, conversation, declines)


def _expectations(path: Path, line: int, wanted: Any) -> tuple[tuple[str, ...], ...]:
    """`expect`: a text, or a list whose items are texts or lists of alternative texts."""
    if not wanted:
        return ()
    # One expected text may be written without a list; a string is not a list of letters.
    if isinstance(wanted, str | int | float):
        return ((str(wanted),),)
    if not isinstance(wanted, list):
        raise ValueError(f"{path}:{line}: expect is a text or a list")
    groups: list[tuple[str, ...]] = []
    for item in wanted:
        if isinstance(item, list):
            if not item or not all(isinstance(a, str | int | float) for a in item):
                raise ValueError(f"{path}:{line}: a list in expect holds alternative texts")
            groups.append(tuple(str(a) for a in item))
        elif isinstance(item, str | int | float):
            groups.append((str(item),))
        else:
            raise ValueError(f"{path}:{line}: expect holds texts or lists of texts")
    return tuple(groups)


def load_cases(path: Path) -> list[Case]:
    """Read a labelled file; raise ValueError naming the line of a malformed case."""
    cases = []
    for item in _read_list(path, "cases"):
        # An out-of-scope collection labels its questions by `category` (greeting, near_miss …)
        # and says `why` each is out of scope, instead of `intent: null`.
        if isinstance(item, dict) and "intent" not in item and "category" not in item:
            line = item.line if isinstance(item, LineDict) else 0
            raise ValueError(f"{path}:{line}: each case needs 'q' and 'intent' (null: out of scope)")
        cases.append(_case(path, item, {"q", "intent", "entity", "expect", "category", "why"}))
    return cases


def load_conversations(path: Path) -> list[list[Case]]:
    """Read a file of conversations: each a name and ordered turns."""
    conversations: list[list[Case]] = []
    for item in _read_list(path, "conversations"):
        line = item.line if isinstance(item, LineDict) else 0
        if not isinstance(item, dict) or not isinstance(item.get("turns"), list):
            raise ValueError(f"{path}:{line}: each conversation needs 'name' and 'turns'")
        name = str(item.get("name", f"line {line}"))
        turns = [_case(path, turn, {"q", "intent", "kind", "expect", "entity"}, name)
                 for turn in item["turns"]]
        for turn in turns:
            if not turn.intents and turn.kind is None and not turn.expect and not turn.declines:
                raise ValueError(f"{path}:{turn.line}: a turn needs 'intent', 'kind' or 'expect'")
        conversations.append(turns)
    return conversations


def is_conversation_file(path: Path) -> bool:
    try:
        data = load_yaml(path)
    except YamlProblem:
        return False
    return isinstance(data, list) and bool(data) and isinstance(data[0], dict) and "turns" in data[0]


def _has_expected(case: Case, answer: Answer) -> tuple[bool, str]:
    text = comparable(answer.text)
    missing = [" or ".join(group) for group in case.expect
               if not any(comparable(option) in text for option in group)]
    return (not missing, f"answer lacks {missing}" if missing else "")


def judge(case: Case, answer: Answer) -> tuple[bool, str]:
    if case.declines:
        if answer.kind in _DECLINES:
            return True, ""
        return False, f"got a {answer.kind.value} reply ({answer.intent}), expected a decline"
    if case.kind is not None and answer.kind is not case.kind:
        return False, f"got a {answer.kind.value} reply ({answer.intent}), expected {case.kind.value}"
    if case.kind is not None and not case.intents:
        return _has_expected(case, answer)
    if not case.intents and case.expect:
        if answer.kind not in UNDERSTOOD:
            return False, f"got {answer.kind.value} ({answer.confidence:.2f})"
        return _has_expected(case, answer)
    if not case.in_scope:
        # Out of scope: any reply that states no fact is right (I don't know, small talk, the
        # sources lack it, a refusal, the language reply).
        if not answer.matched:
            return True, ""
        return False, f"answered {answer.intent} ({answer.confidence:.2f}) instead of declining"
    if (answer.kind is ReplyKind.ANSWER and (answer.intent or "").startswith(COMPUTED)
            and case.expect and not case.entity):
        # A computed answer has no intent of its own: it is right when it states what is expected.
        return _has_expected(case, answer)
    if answer.kind not in UNDERSTOOD or answer.intent not in case.intents:
        got = answer.intent if answer.kind in UNDERSTOOD else answer.kind.value
        return False, f"got {got} ({answer.confidence:.2f})"
    if case.entity and answer.kind is ReplyKind.ANSWER and (
            answer.entity is None or answer.entity.key != case.entity):
        return False, f"entity {answer.entity.key if answer.entity else None}, expected {case.entity}"
    return _has_expected(case, answer)


def evaluate(engine: Engine, cases: list[Case]) -> Report:
    report = Report()
    for case in cases:
        answer = engine.ask(case.question)
        correct, problem = judge(case, answer)
        report.outcomes.append(Outcome(case, answer, correct, problem))
    return report


def evaluate_conversations(engine: Engine, conversations: list[list[Case]]) -> Report:
    """Each conversation runs in its own context, turn by turn, in order."""
    report = Report()
    for turns in conversations:
        context = Conversation(engine.config.context_ttl_seconds, engine.config.context_max_turns)
        for case in turns:
            answer = engine.ask(case.question, context)
            correct, problem = judge(case, answer)
            report.outcomes.append(Outcome(case, answer, correct, problem))
    return report


def evaluate_file(engine: Engine, path: Path) -> Report:
    if is_conversation_file(path):
        return evaluate_conversations(engine, load_conversations(path))
    return evaluate(engine, load_cases(path))
