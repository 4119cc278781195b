"""The misses' policy: what counts as a miss, and what of it is kept."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.engine import Engine
from bot.core.misspolicy import MissPolicy

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_only_misses_are_kept_without_user_ids(engine: Engine) -> None:
    policy = MissPolicy()
    assert policy.miss_for(engine.ask("who founded the cnrp"), user="123") is None
    kept = policy.miss_for(engine.ask("what is the weather like"), server=42, user="123", now=NOW)
    assert kept is not None
    assert (kept.text, kept.server, kept.user, kept.at) == ("what is the weather like", 42, None, NOW)
    assert kept.id and 0 < kept.id < 2**53, "an id chosen up front, exact in JSON"


def test_user_ids_only_when_configured(engine: Engine) -> None:
    kept = MissPolicy(record_users=True).miss_for(engine.ask("what is the weather like"), user="123")
    assert kept is not None and kept.user == "123"


def test_low_confidence_answers_are_misses_too(engine: Engine) -> None:
    answer = engine.ask("who founded the cnrp")
    assert answer.matched
    kept = MissPolicy(low_confidence=1.01).miss_for(answer)
    assert kept is not None and kept.kind == "answer"


def test_a_retention_of_zero_keeps_nothing(engine: Engine) -> None:
    policy = MissPolicy(retention_days=0)
    assert not policy.keeps_anything
    assert policy.miss_for(engine.ask("what is the weather like")) is None
    assert MissPolicy(retention_days=90).cutoff(NOW) == NOW - timedelta(days=90)


def test_reading_the_settings_imports_no_misses_records() -> None:
    """A start that only answers (the command line's `ask`) reads the settings, which hold the
    policy, but keeps no miss: the records, the store's interface and the grouping
    (`bot.core.misses`) are imported when a policy makes a record, or a store is opened."""
    code = "import sys, bot.cli; print('bot.core.misses' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).parents[1])
    assert done.stdout.strip() == "False"
