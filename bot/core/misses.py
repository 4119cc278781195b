"""The questions the bot could not answer well, kept so a curator can add phrasings.

A local JSONL file, rotated by size: one line per unanswered or low-confidence question with
its time, normalised text and top candidates. User ids only when the operator opts in.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from bot.core.models import Answer, ReplyKind

MISS_KINDS = frozenset({ReplyKind.UNKNOWN, ReplyKind.AMBIGUOUS, ReplyKind.CLARIFY})


@dataclass(frozen=True)
class Miss:
    at: datetime
    text: str
    kind: str
    confidence: float
    candidates: tuple[tuple[str, float], ...]
    user: str | None = None


@dataclass(frozen=True)
class Cluster:
    text: str  # the most frequent wording
    count: int
    examples: tuple[str, ...]
    intents: tuple[tuple[str, int], ...]  # the intents the matcher leaned towards


class MissLog:
    def __init__(self, path: Path, *, max_bytes: int = 1_000_000, backups: int = 3,
                 record_users: bool = False, low_confidence: float = 0.0) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self.record_users = record_users
        # A fact stated with less confidence than this is logged too.
        self.low_confidence = low_confidence

    def is_miss(self, answer: Answer) -> bool:
        if answer.kind in MISS_KINDS:
            return True
        return answer.matched and answer.confidence < self.low_confidence

    def record(self, answer: Answer, user: str | None = None, now: datetime | None = None) -> bool:
        """Append the answer if it is a miss; True when something was written."""
        if not self.is_miss(answer) or not answer.normalized:
            return False
        entry: dict[str, Any] = {
            "at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
            "text": answer.normalized[:500],
            "kind": answer.kind.value,
            "confidence": round(answer.confidence, 4),
            "candidates": [{"intent": c.intent, "score": c.score} for c in answer.candidates[:3]],
        }
        if self.record_users and user is not None:
            entry["user"] = user
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._rotate_if_full()
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return True

    def _rotate_if_full(self) -> None:
        if not self.path.exists() or self.path.stat().st_size < self.max_bytes:
            return
        for index in range(self.backups, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{index}")
            newer = self.path.with_name(f"{self.path.name}.{index - 1}") if index > 1 else self.path
            if newer.exists():
                os.replace(newer, older)

    def files(self) -> list[Path]:
        rotated = [self.path.with_name(f"{self.path.name}.{i}") for i in range(self.backups, 0, -1)]
        return [p for p in (*rotated, self.path) if p.exists()]

    def read(self, since: datetime | None = None) -> list[Miss]:
        misses: list[Miss] = []
        for path in self.files():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    data = json.loads(line)
                    at = datetime.fromisoformat(data["at"])
                    miss = Miss(at, str(data["text"]), str(data.get("kind", "")),
                                float(data.get("confidence", 0.0)),
                                tuple((str(c["intent"]), float(c["score"]))
                                      for c in data.get("candidates", [])),
                                data.get("user"))
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by a crash is not worth failing over
                if since is None or at >= since:
                    misses.append(miss)
        return misses


DEFAULT_LOG = Path(__file__).resolve().parents[2] / "data" / "misses.jsonl"


DEFAULT_LOW_CONFIDENCE = 0.75
# The settings the misses log reads (documented in .env.example with the bot's own).
ENV_KEYS = ("CNRP_MISSES_LOG", "MISSES_LOG_USERS", "MISSES_LOW_CONFIDENCE")


def log_from_env(environ: Mapping[str, str] | None = None) -> MissLog:
    """The log the operator configured: CNRP_MISSES_LOG (path), MISSES_LOG_USERS (1 to keep
    ids), MISSES_LOW_CONFIDENCE (answers stated with less confidence are logged too)."""
    env = dict(os.environ if environ is None else environ)
    path = Path(env["CNRP_MISSES_LOG"]) if env.get("CNRP_MISSES_LOG") else DEFAULT_LOG
    users = env.get("MISSES_LOG_USERS", "").strip().lower() in ("1", "true", "yes", "on")
    try:
        low = float(env.get("MISSES_LOW_CONFIDENCE") or DEFAULT_LOW_CONFIDENCE)
    except ValueError:
        low = DEFAULT_LOW_CONFIDENCE
    return MissLog(path, record_users=users, low_confidence=low)


def cluster(misses: Iterable[Miss], similarity: float = 75.0) -> list[Cluster]:
    """Group similar wordings (rapidfuzz token_set_ratio), biggest group first."""
    misses = list(misses)
    counts = Counter(m.text for m in misses)
    leanings: dict[str, Counter[str]] = {}
    for miss in misses:
        if miss.candidates:
            leanings.setdefault(miss.text, Counter())[miss.candidates[0][0]] += 1
    remaining = [text for text, _ in counts.most_common()]
    clusters: list[Cluster] = []
    while remaining:
        head = remaining[0]
        similar = process.extract(head, remaining, scorer=fuzz.token_set_ratio, processor=None,
                                  score_cutoff=similarity, limit=None)
        members = [text for text, _, _ in similar] or [head]
        intents: Counter[str] = Counter()
        for text in members:
            intents.update(leanings.get(text, Counter()))
        clusters.append(Cluster(head, sum(counts[t] for t in members), tuple(members[:5]),
                                tuple(intents.most_common(3))))
        taken = set(members)
        remaining = [text for text in remaining if text not in taken]
    clusters.sort(key=lambda c: c.count, reverse=True)
    return clusters


def format_clusters(groups: list[Cluster], total: int, limit_chars: int = 1900) -> str:
    """The groups as plain text for a curator, biggest first, cut to fit `limit_chars`."""
    lines = [f"{total} misses in {len(groups)} groups:"]
    for group in groups:
        leaning = ", ".join(f"{intent} ×{n}" for intent, n in group.intents) or "no candidate"
        block = [f"{group.count:4}  {group.text!r}  (closest: {leaning})"]
        block += [f"        also: {example!r}" for example in group.examples[1:]]
        if len("\n".join([*lines, *block])) > limit_chars:
            lines.append(f"… and {len(groups) - (len(lines) - 1)} more groups")
            break
        lines.extend(block)
    return "\n".join(lines)
