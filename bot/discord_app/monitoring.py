"""What the bot measures about itself, in Prometheus' terms, and the status a health check reads.

Counters and the latency histogram are updated where things happen (an answer, a miss kept, a
vote, a reload); the gateway and the knowledge base are read when scraped, from a `Status`
the health module builds from the running bot. Each bot has its own registry, so tests and
several bots in one process never count into each other. Nothing here imports discord.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
)
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.core.engine import Engine
from bot.core.misses import Vote
from bot.core.records import record
from bot.core.resources import knowledge_version

# The engine answers in about a millisecond; the top buckets catch a machine under load.
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
RELOAD_RESULTS = ("ok", "refused")


@record
class KnowledgeInfo:
    """The knowledge base being served: which (a digest of its files), when and how fast it loaded."""

    version: str
    loaded_at: datetime
    load_seconds: float
    intents: int

    @classmethod
    def timed(cls, load: Callable[[], Engine]) -> tuple[Engine, KnowledgeInfo]:
        """Load an engine with `load` (blocking), and say what was loaded."""
        started = time.perf_counter()
        engine = load()
        seconds = time.perf_counter() - started
        return engine, cls.of(engine, seconds)

    @classmethod
    def of(cls, engine: Engine, load_seconds: float) -> KnowledgeInfo:
        return cls(knowledge_version(Path(engine.kb.root)), datetime.now(UTC), load_seconds,
                   len(engine.kb.intents))


@record
class ShardStatus:
    id: int
    connected: bool
    latency: float | None  # seconds; None before the first heartbeat is acknowledged


@record
class Status:
    """The bot as a health check sees it, at one moment."""

    logged_in: bool  # every shard has had READY once
    shards: tuple[ShardStatus, ...]
    knowledge: KnowledgeInfo | None

    @property
    def connected(self) -> bool:
        return self.logged_in and bool(self.shards) and all(s.connected for s in self.shards)

    @property
    def ready(self) -> bool:
        """Serving: every shard connected to the gateway and a knowledge base loaded."""
        return self.connected and self.knowledge is not None


class Metrics:
    """The bot's metrics, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        for standard in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            # The process's CPU, memory and file descriptors, Python's version and its GC:
            # the default registry has them, so this one does too.
            self.registry.register(standard)
        self.answers = Counter(
            "cnrp_answers", "Questions answered, by reply kind and by how they were asked (route)",
            ("kind", "route"), registry=self.registry,
        )
        self.latency = Histogram(
            "cnrp_answer_latency_seconds", "Time the engine took to answer one question",
            buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.misses = Counter(
            "cnrp_misses", "Unanswered or low-confidence questions kept for the curators",
            registry=self.registry,
        )
        self.feedback = Counter(
            "cnrp_feedback", "Feedback kept: votes on answers and suggestions clicked after a miss",
            ("vote",), registry=self.registry,
        )
        self.store_errors = Counter(
            "cnrp_store_errors", "Misses or feedback the store failed to keep", registry=self.registry,
        )
        self.reloads = Counter(
            "cnrp_reloads", "Knowledge reloads by /reload, ok or refused (the old one kept serving)",
            ("result",), registry=self.registry,
        )
        # Every label value shows from the start (as 0), so a rate() never begins at a gap.
        for vote in Vote:
            self.feedback.labels(vote.value)
        for result in RELOAD_RESULTS:
            self.reloads.labels(result)

    def answered(self, kind: str, route: str, seconds: float) -> None:
        self.answers.labels(kind, route).inc()
        self.latency.observe(seconds)

    def watch(self, status: Callable[[], Status]) -> None:
        """Read the gateway and the knowledge base from `status` at every scrape."""
        self.registry.register(StatusCollector(status))


class StatusCollector(Collector):
    """Gauges read at scrape time: readiness, each shard's gateway latency, the knowledge base."""

    def __init__(self, status: Callable[[], Status]) -> None:
        self.status = status

    def collect(self) -> Iterator[Metric]:
        status = self.status()
        yield GaugeMetricFamily("cnrp_ready", "1 when every shard is connected and the knowledge "
                                "base is loaded", value=1.0 if status.ready else 0.0)
        connected = GaugeMetricFamily("cnrp_shard_connected", "1 when the shard's gateway "
                                      "connection is open", labels=("shard",))
        latency = GaugeMetricFamily("cnrp_gateway_latency_seconds", "Time between a gateway "
                                    "heartbeat and its acknowledgement", labels=("shard",))
        for shard in status.shards:
            connected.add_metric((str(shard.id),), 1.0 if shard.connected else 0.0)
            if shard.latency is not None:
                latency.add_metric((str(shard.id),), shard.latency)
        yield connected
        yield latency
        knowledge = status.knowledge
        if knowledge is not None:
            yield InfoMetricFamily("cnrp_knowledge", "The knowledge base being served",
                                   value={"version": knowledge.version})
            yield GaugeMetricFamily("cnrp_knowledge_loaded_timestamp_seconds", "When the knowledge "
                                    "base being served was loaded", value=knowledge.loaded_at.timestamp())
            yield GaugeMetricFamily("cnrp_knowledge_load_seconds", "How long loading it took",
                                    value=knowledge.load_seconds)
            yield GaugeMetricFamily("cnrp_knowledge_intents", "Intents in it",
                                    value=float(knowledge.intents))
