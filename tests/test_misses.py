"""The misses log: only misses are written, files rotate, similar wordings group."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.engine import Engine
from bot.core.misses import MissLog, cluster, log_from_env


def test_only_misses_are_logged_without_user_ids(engine: Engine, tmp_path: Path) -> None:
    log = MissLog(tmp_path / "misses.jsonl")
    assert not log.record(engine.ask("who founded the cnrp"), user="123")
    assert log.record(engine.ask("what is the weather like"), user="123")
    (line,) = (tmp_path / "misses.jsonl").read_text().splitlines()
    data = json.loads(line)
    assert data["text"] == "what is the weather like" and "user" not in data
    assert set(data) == {"at", "text", "kind", "confidence", "candidates"}


def test_user_ids_only_when_configured(engine: Engine, tmp_path: Path) -> None:
    log = MissLog(tmp_path / "misses.jsonl", record_users=True)
    log.record(engine.ask("what is the weather like"), user="123")
    assert log.read()[0].user == "123"


def test_rotation_keeps_backups(engine: Engine, tmp_path: Path) -> None:
    log = MissLog(tmp_path / "misses.jsonl", max_bytes=200, backups=2)
    for _ in range(10):
        log.record(engine.ask("what is the weather like"))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["misses.jsonl", "misses.jsonl.1", "misses.jsonl.2"]
    assert 2 <= len(log.read()) < 10


def test_since_and_clusters(engine: Engine, tmp_path: Path) -> None:
    log = MissLog(tmp_path / "misses.jsonl")
    old = datetime(2020, 1, 1, tzinfo=UTC)
    log.record(engine.ask("who is the king of cambodia"), now=old)
    for text in ("what is the weather like", "what is the weather like today", "how is the weather"):
        log.record(engine.ask(text))
    recent = log.read(since=datetime.now(UTC) - timedelta(days=1))
    assert len(recent) == 3
    groups = cluster(recent)
    assert groups[0].count == 3 and len(groups) == 1


def test_low_confidence_answers_are_logged_too(engine: Engine, tmp_path: Path) -> None:
    log = MissLog(tmp_path / "misses.jsonl", low_confidence=1.01)
    answer = engine.ask("who founded the cnrp")
    assert answer.matched and log.record(answer)
    assert log.read()[0].kind == "answer"


def test_log_settings_from_the_environment(tmp_path: Path) -> None:
    log = log_from_env({"CNRP_MISSES_LOG": str(tmp_path / "m.jsonl"), "MISSES_LOG_USERS": "1",
                        "MISSES_LOW_CONFIDENCE": "0.8"})
    assert (log.path, log.record_users, log.low_confidence) == (tmp_path / "m.jsonl", True, 0.8)
    assert log_from_env({}).low_confidence == 0.75
