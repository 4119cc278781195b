"""The bot's metrics: each bot counts in a registry of its own, and what is served is read from
the running bot at every scrape (the endpoint itself: test_health.py)."""

from __future__ import annotations

from pathlib import Path

from bot.core.engine import Engine
from bot.core.resources import knowledge_version
from bot.discord_app.monitoring import KnowledgeInfo, Metrics, ShardStatus, Status


def test_two_bots_never_count_into_each_other() -> None:
    first, second = Metrics(), Metrics()
    first.answered("answer", "slash", 0.001)
    assert first.registry.get_sample_value("cnrp_answers_total", {"kind": "answer", "route": "slash"}) == 1
    assert second.registry.get_sample_value("cnrp_answers_total", {"kind": "answer", "route": "slash"}) is None


def test_the_gateway_and_the_knowledge_are_read_at_each_scrape(engine: Engine) -> None:
    metrics = Metrics()
    status = [Status(False, (), None)]
    metrics.watch(lambda: status[0])
    value = metrics.registry.get_sample_value
    assert value("cnrp_ready") == 0 and value("cnrp_knowledge_load_seconds") is None
    info = KnowledgeInfo.of(engine, 0.5)
    status[0] = Status(True, (ShardStatus(0, True, 0.03), ShardStatus(1, True, None)), info)
    assert value("cnrp_ready") == 1 and value("cnrp_knowledge_load_seconds") == 0.5
    assert value("cnrp_gateway_latency_seconds", {"shard": "0"}) == 0.03
    assert value("cnrp_gateway_latency_seconds", {"shard": "1"}) is None, "no heartbeat yet"
    assert value("cnrp_knowledge_info", {"version": info.version}) == 1


def test_knowledge_info_times_a_load(engine: Engine) -> None:
    loaded, info = KnowledgeInfo.timed(lambda: engine)
    assert loaded is engine and info.load_seconds >= 0 and info.intents == len(engine.kb.intents)
    assert info.version == knowledge_version(Path(engine.kb.root))
