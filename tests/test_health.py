"""Health and metrics: /healthz and /metrics over loopback, from a stand-in bot and from the real
bot process against the fake Discord (held before the gateway says HELLO, then let through);
and the same process's log, with LOG_FORMAT=json, read back line by line."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from bot.core.context import ConversationStore
from bot.core.engine import Engine
from bot.core.resources import knowledge_version
from bot.discord_app.health import HealthServer, HealthServerError, health_json, status_of
from bot.discord_app.monitoring import KnowledgeInfo, ShardStatus, Status
from bot.discord_app.ratelimit import RateLimiter
from bot.discord_app.runtime import Runtime
from bot.discord_app.settings import Secret, Settings
from tests.fake_discord import BotProcess, FakeDiscord
from tests.fake_discord.payloads import ADMIN_PERMISSIONS

REPO = Path(__file__).resolve().parents[1]
ANSWER_FIELDS = {"event", "route", "intent", "kind", "confidence", "latency_ms", "shard", "server",
                 "channel"}
# Only guards against a bot that never answers: no test asserts how fast anything is.
GUARD_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus exposition, by name and labels."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


# ----------------------------------------------------------------------------- a stand-in bot


@dataclass
class StandInShard:
    id: int
    latency: float = float("inf")
    closed: bool = False

    def is_closed(self) -> bool:
        return self.closed


@dataclass
class StandInBot:
    shards: dict[int, Any] = field(default_factory=dict)
    shard_count: int | None = None
    ready: bool = False

    def is_ready(self) -> bool:
        return self.ready

    def is_closed(self) -> bool:
        return False


def stand_in_runtime(engine: Engine) -> Runtime:
    return Runtime(settings=Settings(token=Secret("x")), engine=engine, limiter=RateLimiter(0, 1.0),
                   conversations=ConversationStore(),
                   knowledge=KnowledgeInfo.of(engine, 0.25))


def test_ready_only_when_every_shard_is_connected_and_the_knowledge_loaded(engine: Engine) -> None:
    info = KnowledgeInfo.of(engine, 0.25)
    up, down = ShardStatus(0, True, 0.04), ShardStatus(1, False, None)
    assert not Status(False, (), info).ready, "before READY"
    assert not Status(True, (), info).ready, "no shard at all"
    assert not Status(True, (up, down), info).ready, "one shard down"
    assert not Status(True, (up,), None).ready, "no knowledge base"
    assert Status(True, (up,), info).ready
    body = health_json(Status(True, (up, down), info), shard_count=2, uptime_seconds=12.34)
    assert body["status"] == "disconnected" and body["ready"] is False
    assert body["shards"] == [{"id": 0, "connected": True, "latency_ms": 40.0},
                              {"id": 1, "connected": False, "latency_ms": None}]
    assert body["latency_ms"] == 40.0 and body["shard_count"] == 2
    assert body["knowledge"]["version"] == knowledge_version(Path(engine.kb.root))
    assert body["knowledge"]["intents"] == len(engine.kb.intents)
    assert datetime.fromisoformat(body["knowledge"]["loaded_at"]).tzinfo == UTC


def test_status_reads_the_bot(engine: Engine) -> None:
    bot = StandInBot({1: StandInShard(1, 0.05), 0: StandInShard(0)}, 2, ready=True)
    status = status_of(bot, stand_in_runtime(engine))
    assert status.shards == (ShardStatus(0, True, None), ShardStatus(1, True, 0.05)), (
        "in shard order; no latency before the first heartbeat is acknowledged")
    assert status.ready


async def test_the_endpoint_answers_on_loopback(engine: Engine) -> None:
    bot = StandInBot({0: StandInShard(0, 0.02)}, 1)
    runtime = stand_in_runtime(engine)
    port = free_port()
    server = HealthServer(bot, runtime, "127.0.0.1", port)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 503 and (await response.json())["status"] == "starting"
            bot.ready = True
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 200 and (await response.json())["status"] == "ready"
            runtime.metrics.answered("answer", "dm", 0.0012)
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                assert response.status == 200
                assert response.headers["Content-Type"] == CONTENT_TYPE_LATEST  # Prometheus' text
                found = samples(await response.text())
        assert found[("cnrp_answers_total", (("kind", "answer"), ("route", "dm")))] == 1
        assert found[("cnrp_answer_latency_seconds_count", ())] == 1
        assert found[("cnrp_ready", ())] == 1
        assert found[("cnrp_gateway_latency_seconds", (("shard", "0"),))] == 0.02
        assert found[("cnrp_reloads_total", (("result", "refused"),))] == 0, "shown from the start"
        assert any(name == "python_info" for name, _ in found), "the standard collectors too"
    finally:
        await server.stop()


async def test_a_port_in_use_is_one_clear_error(engine: Engine) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = HealthServer(StandInBot(), stand_in_runtime(engine), "127.0.0.1", port)
        with pytest.raises(HealthServerError, match=f"METRICS_PORT: cannot listen on 127.0.0.1:{port}"):
            await server.start()


# ----------------------------------------------------------------------------- the real bot

# One bot process serves the tests below, so they share the module's event loop.
in_the_bots_loop = pytest.mark.asyncio(loop_scope="module")


@dataclass
class Env:
    fake: FakeDiscord
    bot: BotProcess
    knowledge: Path
    port: int
    http: aiohttp.ClientSession

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(f"http://127.0.0.1:{self.port}{path}") as response:
            return response.status, await response.text()

    async def health(self, wanted: int) -> dict[str, Any]:
        """/healthz once it answers with `wanted` (the server may not be listening yet)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + GUARD_SECONDS
        seen = "nothing"
        while loop.time() < deadline:
            try:
                status, body = await self.get("/healthz")
            except aiohttp.ClientConnectionError:
                status, body = 0, "not listening"
            if status == wanted:
                return dict(json.loads(body))
            seen = f"{status} {body}"
            await asyncio.sleep(0.05)
        raise AssertionError(f"/healthz never said {wanted}; last: {seen}\n{self.bot.log()}")

    async def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        status, body = await self.get("/metrics")
        assert status == 200
        return samples(body)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Env]:
    fake = FakeDiscord()
    await fake.start()
    fake.gateway_open.clear()  # the bot starts, but no shard connects until a test says so
    work = tmp_path_factory.mktemp("bot")
    knowledge = work / "knowledge"
    shutil.copytree(REPO / "knowledge", knowledge)
    port = free_port()
    bot = BotProcess(fake, work, env={"CNRP_KNOWLEDGE_DIR": str(knowledge), "METRICS_PORT": str(port),
                                      "LOG_FORMAT": "json", "RATE_LIMIT_BURST": "0"})
    await bot.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield Env(fake, bot, knowledge, port, http)
    finally:
        await bot.stop()
        await fake.stop()


@in_the_bots_loop
async def test_healthz_says_starting_until_the_gateway_connects_then_ready(env: Env) -> None:
    starting = await env.health(503)
    assert starting["status"] == "starting" and starting["ready"] is False
    assert starting["knowledge"]["version"] == knowledge_version(env.knowledge), "loaded first"
    env.fake.gateway_open.set()
    await env.bot.wait_ready()
    ready = await env.health(200)
    assert ready["status"] == "ready" and ready["ready"] is True
    assert ready["shards"][0]["id"] == 0 and ready["shards"][0]["connected"] is True
    assert ready["knowledge"]["intents"] > 0 and ready["knowledge"]["load_seconds"] > 0
    # A heartbeat the gateway asks for is acknowledged at once: then there is a latency.
    await env.fake.send_op(1)
    await env.fake.wait_for(lambda: env.fake.count_ops(1) >= 1, what="a heartbeat")
    latency = await env.health(200)
    assert latency["latency_ms"] is not None and latency["shards"][0]["latency_ms"] is not None


@in_the_bots_loop
async def test_metrics_count_answers_misses_votes_and_reloads(env: Env) -> None:
    await env.health(200)
    before = await env.metrics()
    fake = env.fake
    asker = fake.user("asker")
    known = await fake.post_message(asker, "who founded the cnrp", dm=True)
    await fake.wait_reply(known)
    unknown = await fake.post_message(asker, "what is the best pizza topping", dm=True)
    await fake.wait_reply(unknown)
    mention = await fake.post_message(asker, f"{fake.bot_user.mention} who founded the cnrp",
                                      mentions=[fake.bot_user])
    message = fake.message_for(await fake.wait_reply(mention))
    thumbs_up = next(b["custom_id"] for row in message["components"] for b in row["components"]
                     if str(b.get("custom_id", "")).startswith(f"cnrp:vote:{asker.id}:up:"))
    await fake.click(message, thumbs_up, user=asker)
    reload = await fake.slash("reload", {}, user=fake.user("admin"), permissions=ADMIN_PERMISSIONS)
    token = reload["token"]
    await fake.wait_request(lambda r: r.method == "PATCH" and f"/{token}/messages/@original" in r.path,
                            what="the reload")

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    loop = asyncio.get_running_loop()
    deadline = loop.time() + GUARD_SECONDS
    while True:  # the miss and the vote are kept just after their replies; nothing announces it
        after = await env.metrics()
        kept = grew("cnrp_misses_total") >= 1 and grew("cnrp_feedback_total", vote="up") >= 1
        if kept or loop.time() > deadline:
            break
        await asyncio.sleep(0.05)
    assert grew("cnrp_answers_total", kind="answer", route="dm") == 1
    assert grew("cnrp_answers_total", kind="unknown", route="dm") == 1
    assert grew("cnrp_answers_total", kind="answer", route="mention") == 1
    assert grew("cnrp_answer_latency_seconds_count") == 3
    assert grew("cnrp_misses_total") == 1
    assert grew("cnrp_feedback_total", vote="up") == 1 and grew("cnrp_feedback_total", vote="down") == 0
    assert grew("cnrp_reloads_total", result="ok") == 1
    assert ("cnrp_knowledge_info", (("version", knowledge_version(env.knowledge)),)) in after
    assert after[("cnrp_shard_connected", (("shard", "0"),))] == 1


@in_the_bots_loop
async def test_json_logs_one_object_per_line_without_users_questions_or_the_token(env: Env) -> None:
    await env.health(200)
    fake = env.fake
    asker = fake.user("private-person")
    question = "who were the founders of the party"
    in_dm = await fake.post_message(asker, question, dm=True)
    await fake.wait_reply(in_dm)
    in_server = await fake.post_message(asker, f"{fake.bot_user.mention} {question}",
                                        mentions=[fake.bot_user])
    await fake.wait_reply(in_server)
    assert await env.bot.stop() == 0
    text = env.bot.log()
    lines = [line for line in text.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(entry) for entry in entries)
    answered = [e for e in entries if e.get("event") == "answered"]
    assert answered and all(set(e) >= ANSWER_FIELDS for e in answered)
    dm = next(e for e in answered if e["route"] == "dm" and e["intent"] == "party.founders")
    assert dm["server"] is None and dm["channel"] is None, "a DM's channel stands for its user"
    guild = next(e for e in answered if e["route"] == "mention")
    assert guild["server"] == fake.guild_id and guild["channel"] == fake.channel_id
    assert guild["shard"] == 0 and guild["kind"] == "answer" and 0 < guild["confidence"] <= 1
    assert str(asker.id) not in text, "no user ids"
    assert question not in text and "best pizza topping" not in text, "no question text"
    assert fake.token not in text, "never the token"
    assert any(e["message"].startswith("health and metrics on http://127.0.0.1:") for e in entries)
