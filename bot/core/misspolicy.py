"""What counts as a miss and what of it is kept: the misses' policy, which the settings hold.

Apart from `bot.core.misses` (the records, the store's interface, the curator's grouping),
which a policy imports only when it makes a record: every start reads the settings, the
command line's `ask` too, and would otherwise import all of it (2% of the instructions of a
start that answers a question).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.core.models import ReplyKind
from bot.core.records import record

if TYPE_CHECKING:
    from bot.core.misses import Miss
    from bot.core.models import Answer

MISS_KINDS = frozenset({ReplyKind.UNKNOWN, ReplyKind.AMBIGUOUS, ReplyKind.CLARIFY})
DEFAULT_LOW_CONFIDENCE = 0.75
DEFAULT_RETENTION_DAYS = 90


@record
class MissPolicy:
    """What is kept: misses and low-confidence answers, with user ids only when asked for."""

    low_confidence: float = DEFAULT_LOW_CONFIDENCE
    record_users: bool = False
    retention_days: int = DEFAULT_RETENTION_DAYS  # 0: nothing is kept

    @property
    def keeps_anything(self) -> bool:
        return self.retention_days > 0

    def is_miss(self, answer: Answer) -> bool:
        if answer.kind in MISS_KINDS:
            return True
        return answer.matched and answer.confidence < self.low_confidence

    def miss_for(self, answer: Answer, *, server: int | None = None, user: str | None = None,
                 now: datetime | None = None) -> Miss | None:
        """The record to keep for this answer, or None when it is not a miss."""
        if not self.keeps_anything or not self.is_miss(answer) or not answer.normalized:
            return None
        from bot.core.misses import MAX_TEXT_CHARS, Miss, new_miss_id  # only when one is kept

        return Miss(
            at=now or datetime.now(UTC),
            text=answer.normalized[:MAX_TEXT_CHARS],
            kind=answer.kind.value,
            confidence=round(answer.confidence, 4),
            candidates=tuple((c.intent, c.score) for c in answer.candidates[:3]),
            user=user if self.record_users else None,
            server=server,
            id=new_miss_id(),
        )

    def cutoff(self, now: datetime | None = None) -> datetime:
        """Records older than this are past the retention period."""
        return (now or datetime.now(UTC)) - timedelta(days=self.retention_days)
