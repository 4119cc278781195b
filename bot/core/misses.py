"""The questions the bot could not answer well, kept so a curator can add phrasings.

Pure: the records kept, the store's interface, and how similar wordings are grouped for a
curator; what counts as a miss is the policy's (`bot.core.misspolicy`). The SQLite store is
`bot.core.misses_sqlite`; another backend implements `MissStore` and nothing else changes.

Each miss keeps its time, the server it was asked in (None for a direct message or the
offline console, which no server's admins may read), the normalised question, the matcher's
top candidates, and a user id only when the operator opts in. Feedback (a 👍/👎 on an answer,
or the suggestion someone clicked after a miss) is kept with the miss it concerns.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

from rapidfuzz import fuzz, process

from bot.core.records import record

try:
    from _blake2 import blake2b  # hashlib's own, without hashlib's OpenSSL (see `new_miss_id`)
except ImportError:  # an interpreter without the module (none of CPython's builds)
    from hashlib import blake2b

MAX_TEXT_CHARS = 500
# Which misses a reader may see: one server's (its id), the private ones (direct messages
# and the console), or all of them (the bot's owner, from the command line).
Scope = int | Literal["private", "all"]


def scope_filter(scope: Scope, since: datetime | None, placeholder: str,
                 moment: Callable[[datetime], Any]) -> tuple[str, list[Any]]:
    """The WHERE clause and its arguments that keep one scope's misses since a moment, for a
    store whose driver marks parameters with `placeholder` and stores moments as `moment` makes
    them."""
    clauses: list[str] = []
    args: list[Any] = []
    if scope == "private":
        clauses.append("server IS NULL")
    elif isinstance(scope, int):
        clauses.append(f"server = {placeholder}")
        args.append(scope)
    if since is not None:
        clauses.append(f"at >= {placeholder}")
        args.append(moment(since))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


class Vote(StrEnum):
    UP = "up"  # 👍 on an answer
    DOWN = "down"  # 👎 on an answer
    CLICKED = "clicked"  # a suggestion clicked after a miss: a phrasing to learn


@record
class Miss:
    """A question the bot could not answer, or answered with low confidence, as kept."""

    at: datetime
    text: str
    kind: str
    confidence: float
    candidates: tuple[tuple[str, float], ...]
    user: str | None = None
    server: int | None = None
    # Chosen when the miss is made, so a reply's buttons can name it before it is written;
    # 53 random bits: no collision in any store's lifetime, and exact in JSON numbers.
    id: int | None = None


@record
class Feedback:
    """A vote or a click on an answer's buttons, as kept."""

    at: datetime
    vote: Vote
    server: int | None = None
    miss_id: int | None = None  # the miss it concerns; None for a vote on a confident answer
    intent: str | None = None  # the answer voted on
    suggestion: str | None = None  # the question clicked (Vote.CLICKED)


def new_miss_id() -> int:
    # 53 random bits (an id a JavaScript reader keeps exact) from the system's source, as
    # `secrets.randbits` draws them, without importing `secrets`: it brings hmac and with it
    # OpenSSL (some 3.6 MiB of a process that only answers).
    return int.from_bytes(os.urandom(7)) >> 3 or 1


class MissStore(Protocol):
    """Where misses and feedback are kept. Safe to call from worker threads; writes from
    several processes at once must neither interleave nor be lost."""

    def add(self, miss: Miss) -> None:
        """Keep a miss under its id (a new one if it has none)."""
        ...

    def add_feedback(self, feedback: Feedback) -> None: ...

    def misses(self, scope: Scope = "all", since: datetime | None = None) -> list[Miss]:
        """Oldest first."""
        ...

    def feedback(self, scope: Scope = "all", since: datetime | None = None) -> list[Feedback]: ...

    def purge(self, before: datetime) -> int:
        """Forget misses and feedback older than `before`; returns how many misses went."""
        ...

    def close(self) -> None: ...


# ---------------------------------------------------------------- grouping


@record
class Cluster:
    """Misses worded alike, grouped for the report."""

    text: str  # the most frequent wording
    count: int
    examples: tuple[str, ...]
    intents: tuple[tuple[str, int], ...]  # the intents the matcher leaned towards
    clicked: tuple[tuple[str, int], ...] = ()  # suggestions people clicked after these misses
    votes: tuple[int, int] = (0, 0)  # 👍, 👎 on the low-confidence answers among them


@dataclass
class Report:
    """What a curator reads: the groups, and the votes on confident answers by intent."""

    total: int
    groups: list[Cluster]
    answer_votes: dict[str, tuple[int, int]] = field(default_factory=dict)


# A word in more wordings than this is too common to say two wordings are alike ("what",
# "the", "cnrp"); wordings are compared only when they share a rarer word or word stem.
COMMON_WORD_WORDINGS = 50
STEM_CHARS = 4
SHOWN_WORDING_CHARS = 120  # a wording longer than this is cut in the report


def _keys(text: str) -> set[str]:
    words = set(text.split())
    # Stems catch plurals and typos past the fourth letter ("weather"/"wether" do not, but
    # "weather"/"weathr" do): enough for a curator's grouping, at a fraction of the cost.
    return words | {f"{w[:STEM_CHARS]}…" for w in words if len(w) > STEM_CHARS}


def cluster(misses: Iterable[Miss], similarity: float = 75.0,
            feedback: Iterable[Feedback] = ()) -> list[Cluster]:
    """Group similar wordings (rapidfuzz token_set_ratio ≥ `similarity`), biggest group first.

    Greedy: the most frequent wording not yet grouped takes every remaining wording alike to
    it. Comparing every pair is quadratic (6,000 unrelated misses took 13 s), so only
    wordings that share an uncommon word or stem are compared.
    """
    misses = list(misses)
    counts = Counter(m.text for m in misses)
    leanings: dict[str, Counter[str]] = defaultdict(Counter)
    for miss in misses:
        if miss.candidates:
            leanings[miss.text][miss.candidates[0][0]] += 1
    clicks, votes = _feedback_by_text(misses, feedback)
    order = [text for text, _ in counts.most_common()]
    postings: dict[str, list[int]] = defaultdict(list)
    keys = [_keys(text) for text in order]
    for index, text_keys in enumerate(keys):
        for key in text_keys:
            postings[key].append(index)
    common = {key for key, where in postings.items() if len(where) > COMMON_WORD_WORDINGS}
    rare = [text_keys - common for text_keys in keys]
    # Wordings with nothing rare to go on ("what is it") are compared with each other.
    plain = [index for index, keys_left in enumerate(rare) if not keys_left]
    taken = [False] * len(order)
    clusters: list[Cluster] = []
    for index, head in enumerate(order):
        if taken[index]:
            continue
        if rare[index]:
            nearby = sorted({other for key in rare[index] for other in postings[key]
                             if other > index and not taken[other]})
        else:
            nearby = [other for other in plain if other > index and not taken[other]]
        similar = process.extract(head, [order[o] for o in nearby], scorer=fuzz.token_set_ratio,
                                  processor=None, score_cutoff=similarity,
                                  limit=None) if nearby else []
        members = [index, *(nearby[position] for _, _, position in similar)]
        for member in members:
            taken[member] = True
        texts = [order[m] for m in members]
        intents: Counter[str] = Counter()
        clicked: Counter[str] = Counter()
        up = down = 0
        for text in texts:
            intents.update(leanings.get(text, Counter()))
            clicked.update(clicks.get(text, Counter()))
            up += votes.get(text, (0, 0))[0]
            down += votes.get(text, (0, 0))[1]
        clusters.append(Cluster(head, sum(counts[t] for t in texts), tuple(texts[:5]),
                                tuple(intents.most_common(3)), tuple(clicked.most_common(3)),
                                (up, down)))
    clusters.sort(key=lambda c: c.count, reverse=True)
    return clusters


def _feedback_by_text(
    misses: Sequence[Miss], feedback: Iterable[Feedback]
) -> tuple[dict[str, Counter[str]], dict[str, tuple[int, int]]]:
    text_of = {m.id: m.text for m in misses if m.id is not None}
    clicks: dict[str, Counter[str]] = defaultdict(Counter)
    votes: dict[str, tuple[int, int]] = {}
    for item in feedback:
        text = text_of.get(item.miss_id) if item.miss_id is not None else None
        if text is None:
            continue
        if item.vote is Vote.CLICKED and item.suggestion:
            clicks[text][item.suggestion] += 1
        elif item.vote in (Vote.UP, Vote.DOWN):
            up, down = votes.get(text, (0, 0))
            votes[text] = (up + (item.vote is Vote.UP), down + (item.vote is Vote.DOWN))
    return clicks, votes


def answer_votes(feedback: Iterable[Feedback]) -> dict[str, tuple[int, int]]:
    """👍/👎 on confident answers (those kept as no miss), by intent, most disliked first."""
    tally: dict[str, tuple[int, int]] = {}
    for item in feedback:
        if item.miss_id is not None or item.intent is None or item.vote is Vote.CLICKED:
            continue
        up, down = tally.get(item.intent, (0, 0))
        tally[item.intent] = (up + (item.vote is Vote.UP), down + (item.vote is Vote.DOWN))
    return dict(sorted(tally.items(), key=lambda kv: (-kv[1][1], kv[1][0], kv[0])))


def report(misses: Sequence[Miss], feedback: Sequence[Feedback] = ()) -> Report:
    return Report(len(misses), cluster(misses, feedback=feedback), answer_votes(feedback))


def format_report(found: Report, limit_chars: int = 1900, max_groups: int | None = None) -> str:
    """The groups as plain text for a curator, biggest first, cut to fit `limit_chars`."""
    groups = found.groups if max_groups is None else found.groups[:max_groups]
    lines = [f"{found.total} misses in {len(found.groups)} groups:"]
    # Room for the "… and N more groups" line, so the whole stays within the limit.
    budget = limit_chars - len(f"\n… and {len(found.groups)} more groups")
    shown = 0
    for group in groups:
        leaning = ", ".join(f"{intent} ×{n}" for intent, n in group.intents) or "no candidate"
        block = [f"{group.count:4}  {_short(group.text)}  (closest: {leaning})"]
        block += [f"        also: {_short(example)}" for example in group.examples[1:]]
        block += [f"        clicked: {_short(question)} ×{n}" for question, n in group.clicked]
        if any(group.votes):
            block.append(f"        votes: 👍 {group.votes[0]} 👎 {group.votes[1]}")
        if len("\n".join([*lines, *block])) > budget:
            break
        lines.extend(block)
        shown += 1
    if shown < len(found.groups):
        lines.append(f"… and {len(found.groups) - shown} more groups")
    if found.answer_votes:
        votes = ["Votes on answers (👍 / 👎):"]
        votes += [f"  {intent}: {up} / {down}" for intent, (up, down) in found.answer_votes.items()]
        for line in votes:
            if len("\n".join([*lines, line])) > limit_chars:
                break
            lines.append(line)
    return "\n".join(lines)


def _short(text: str, limit: int = SHOWN_WORDING_CHARS) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


# ---------------------------------------------------------------- JSON lines (export, import)


def miss_to_json(miss: Miss) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": miss.id,
        "at": miss.at.isoformat(timespec="seconds"),
        "server": miss.server,
        "text": miss.text,
        "kind": miss.kind,
        "confidence": miss.confidence,
        "candidates": [{"intent": i, "score": s} for i, s in miss.candidates],
    }
    if miss.user is not None:
        entry["user"] = miss.user
    return entry


def misses_from_jsonl(lines: Iterable[str]) -> Iterator[Miss]:
    """Misses from JSON lines (an export, or the log earlier versions wrote); a line cut short
    by a crash is skipped. Lines without a server are private: no server's admins see them.
    A line without an id gets one from its content, so importing a file twice adds it once."""
    for line in lines:
        try:
            data = json.loads(line)
            at = datetime.fromisoformat(data["at"])
            digest = blake2b(line.strip().encode(), digest_size=8).digest()
            yield Miss(
                at if at.tzinfo else at.replace(tzinfo=UTC), str(data["text"]),
                str(data.get("kind", "")), float(data.get("confidence", 0.0)),
                tuple((str(c["intent"]), float(c["score"])) for c in data.get("candidates", [])),
                None if data.get("user") is None else str(data["user"]),
                None if data.get("server") is None else int(data["server"]),
                int(data["id"]) if data.get("id") else (int.from_bytes(digest) >> 11) or 1,
            )  # fmt: skip
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
