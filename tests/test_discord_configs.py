"""The real bot process under other configurations, each against its own fake: intents, sync,
shards, follow-ups without a cooldown, and the ways start-up is refused (bad settings, broken
knowledge, wrong token, missing intent)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from bot.core.knowledge import DEFAULT_ROOT
from bot.core.misses_sqlite import SqliteMissStore
from bot.core.misses_store import open_store
from tests.fake_discord import BotProcess, FakeDiscord, FakeUser
from tests.test_discord_e2e import ALL_COMMANDS

MESSAGE_CONTENT = 1 << 15


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord(allow_message_content=False)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def run_bot(fake: FakeDiscord, tmp_path: Path, env: dict[str, str], *args: str) -> BotProcess:
    bot = BotProcess(fake, tmp_path, env=env, args=args)
    await bot.start()
    return bot


async def test_without_listen_channels_no_privileged_intent_is_needed(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    bot = await run_bot(fake, tmp_path, {})
    try:
        await bot.wait_ready()
        identify = next(e.data for e in fake.gateway_events if e.op == 2)
        assert not identify["intents"] & MESSAGE_CONTENT
        # Without the intent Discord blanks unaddressed guild messages; they are ignored…
        chatter = await fake.post_message(fake.user(), "who founded the cnrp",
                                          channel_id=fake.listen_channel_id)  # fmt: skip
        # …while a mention still arrives with its text and is answered.
        asked = await fake.post_message(
            fake.user(), f"{fake.bot_user.mention} who founded the cnrp", mentions=[fake.bot_user]
        )
        reply = await fake.wait_for(lambda: fake.replies_to(asked), what="a reply")
        assert "Sam Rainsy" in reply[0].body["embeds"][0]["description"]
        assert fake.replies_to(chatter) == []
    finally:
        assert await bot.stop() == 0, bot.log()


async def test_listen_channels_without_the_intent_enabled_stop_with_advice(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    bot = await run_bot(fake, tmp_path, {"LISTEN_CHANNEL_IDS": str(fake.listen_channel_id)})
    assert await bot.wait_exit() == 1
    log = bot.log()
    assert "Message Content intent" in log and "developer portal" in log


async def test_sync_global_only_when_asked_and_then_without_guild_copies(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    bot = await run_bot(fake, tmp_path, {}, "--sync-global")
    try:
        await bot.wait_ready()
        synced = [(r.path, len(r.body)) for r in fake.requests if r.method == "PUT"]
        assert synced == [
            (f"/applications/{fake.app_id}/commands", len(ALL_COMMANDS)),
            (f"/applications/{fake.app_id}/guilds/{fake.guild_id}/commands", 0),
        ]
    finally:
        assert await bot.stop() == 0, bot.log()


async def test_no_guild_and_no_global_sync_syncs_nothing(fake: FakeDiscord, tmp_path: Path) -> None:
    bot = await run_bot(fake, tmp_path, {"DEV_GUILD_ID": ""})
    try:
        await bot.wait_ready()
        assert not [r for r in fake.requests if r.method == "PUT"]
        assert "slash commands not synced" in bot.log()
    finally:
        assert await bot.stop() == 0, bot.log()


async def test_shard_settings_choose_the_shards_this_process_runs(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    fake.shard_count = 2
    bot = await run_bot(fake, tmp_path, {"SHARD_COUNT": "2", "SHARD_IDS": "1"})
    try:
        await fake.wait_for(lambda: fake.count_ops(2) >= 1, what="an IDENTIFY")
        identifies = [e.data["shard"] for e in fake.gateway_events if e.op == 2]
        assert identifies == [[1, 2]]
    finally:
        assert await bot.stop() == 0, bot.log()


async def test_a_broken_knowledge_base_never_goes_online(fake: FakeDiscord, tmp_path: Path) -> None:
    broken = tmp_path / "knowledge"
    broken.mkdir()
    (broken / "sources.yaml").write_text("sources: [\n", encoding="utf-8")
    bot = await run_bot(fake, tmp_path, {"CNRP_KNOWLEDGE_DIR": str(broken)})
    assert await bot.wait_exit() == 2
    assert "sources.yaml" in bot.log()
    assert fake.requests == [], "it did not even log in"


async def test_a_value_of_the_wrong_shape_is_reported_at_start_up(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_ROOT, knowledge)
    sources = knowledge / "sources.yaml"
    sources.write_text(sources.read_text().replace("id: wikipedia", "id: [wikipedia]", 1))
    bot = await run_bot(fake, tmp_path, {"CNRP_KNOWLEDGE_DIR": str(knowledge)})
    assert await bot.wait_exit() == 2
    log = bot.log()
    assert "expected text, found a list" in log and "Traceback" not in log
    assert fake.requests == []


async def test_bad_settings_are_all_reported_before_connecting(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    env = {"RATE_LIMIT_BURST": "soon", "SHARD_IDS": "0", "LOG_LEVEL": "LOUD",
           "MISSES_LOW_CONFIDENCE": "abc", "MISSES_LOG_USERS": "maybe"}  # fmt: skip
    bot = await run_bot(fake, tmp_path, env)
    assert await bot.wait_exit() == 2
    log = bot.log()
    for named in ("RATE_LIMIT_BURST", "SHARD_IDS needs SHARD_COUNT", "LOG_LEVEL",
                  "MISSES_LOW_CONFIDENCE", "MISSES_LOG_USERS"):  # fmt: skip
        assert named in log, named
    assert fake.requests == []


async def test_retired_settings_are_named_at_start_up(fake: FakeDiscord, tmp_path: Path) -> None:
    bot = await run_bot(fake, tmp_path, {"COOLDOWN_SECONDS": "3"})
    try:
        await bot.wait_ready()
        assert "COOLDOWN_SECONDS is no longer read" in bot.log()
    finally:
        assert await bot.stop() == 0, bot.log()


async def test_a_rejected_token_stops_with_advice_and_never_logs_the_token(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    wrong = "wrong-token.ZZZ.also-not-a-secret"
    bot = await run_bot(fake, tmp_path, {"DISCORD_TOKEN": wrong, "LOG_LEVEL": "DEBUG"})
    assert await bot.wait_exit() == 1
    log = bot.log()
    assert "DISCORD_TOKEN" in log and wrong not in log


async def test_a_token_the_gateway_refuses_stops_with_advice_not_a_traceback(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    fake.refuse_identify = True  # close code 4004 after REST accepted the token
    bot = await run_bot(fake, tmp_path, {})
    assert await bot.wait_exit() == 1
    log = bot.log()
    assert "Discord rejected DISCORD_TOKEN" in log and "Traceback" not in log, log


async def test_discord_out_of_reach_stops_with_advice_not_a_traceback(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    await fake.stop()  # nothing listens on its port any more
    bot = await run_bot(fake, tmp_path, {})
    assert await bot.wait_exit() == 1
    log = bot.log()
    assert "cannot reach Discord" in log and "Traceback" not in log, log


async def test_debug_logs_hold_no_interaction_token_message_text_or_user_id(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    bot = await run_bot(fake, tmp_path, {"LOG_LEVEL": "DEBUG", "RATE_LIMIT_BURST": "0"})
    try:
        await bot.wait_ready()
        user = fake.user("secretive")
        asked = await fake.post_message(
            user, f"{fake.bot_user.mention} who founded the cnrp zqxjvk", mentions=[fake.bot_user]
        )
        await fake.wait_reply(asked)
        interaction = await fake.slash("ask", {"question": "when was it banned wqpzv"}, user=user)
        await fake.wait_for(lambda: fake.responses_to(interaction), what="the /ask reply")
    finally:
        assert await bot.stop() == 0, bot.log()
    log = bot.log()
    assert " DEBUG " in log and "discord.gateway" in log and "discord.http" in log
    assert "zqxjvk" not in log and "wqpzv" not in log, "message text"
    assert str(interaction["token"]) not in log, "interaction token"
    assert str(user.id) not in log, "user id"
    assert fake.token not in log


async def test_follow_ups_use_the_askers_conversation_and_misses_are_kept(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    bot = await run_bot(fake, tmp_path, {"RATE_LIMIT_BURST": "0"})
    try:
        await bot.wait_ready()
        alice, bob = fake.user("alice"), fake.user("bob")

        async def ask(user: FakeUser, text: str) -> str:
            message_id = await fake.post_message(user, text, dm=True)
            reply = await fake.wait_reply(message_id)
            return str(reply.body["embeds"][0]["description"])

        assert "Kem Sokha" in await ask(alice, "who was the party's second leader?")
        follow_up = "when did his term end?"
        assert "16 November 2017" in await ask(alice, follow_up), "it follows Alice's conversation"
        assert "16 November 2017" not in await ask(bob, follow_up), "Bob has no conversation"
        assert (await ask(bob, "what is the best pizza topping")).startswith("I don't know that")
    finally:
        assert await bot.stop() == 0, bot.log()
    store = SqliteMissStore(bot.misses_db)
    try:
        misses = store.misses()
    finally:
        store.close()
    assert {m.text for m in misses} >= {"what is the best pizza topping"}
    assert all(m.user is None and m.server is None for m in misses), (
        "user ids only when the operator opts in; DMs belong to no server"
    )


async def test_a_misses_store_that_cannot_open_never_goes_online(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    bot = await run_bot(fake, tmp_path, {"CNRP_MISSES_DB": str(tmp_path / "a-file" / "m.sqlite3")})
    assert await bot.wait_exit() == 2
    assert "CNRP_MISSES_DB: cannot open" in bot.log() and "Traceback" not in bot.log()
    assert fake.requests == []


async def _one_miss_in_a_dm(fake: FakeDiscord, tmp_path: Path, env: dict[str, str]) -> BotProcess:
    """The bot started with `env`, asked one question it cannot answer in a DM, and stopped."""
    bot = await run_bot(fake, tmp_path, env)
    try:
        await bot.wait_ready()
        asked = await fake.post_message(fake.user(), "what is the best pizza topping", dm=True)
        await fake.wait_reply(asked)
    finally:
        assert await bot.stop() == 0, bot.log()
    return bot


async def test_a_retention_of_zero_keeps_no_store_at_all(fake: FakeDiscord, tmp_path: Path) -> None:
    bot = await _one_miss_in_a_dm(fake, tmp_path, {"MISSES_RETENTION_DAYS": "0"})
    assert not bot.misses_db.exists(), "nothing is kept, not even an empty file"


async def test_with_a_database_url_misses_go_to_postgresql(
    fake: FakeDiscord, tmp_path: Path, postgres_url: str
) -> None:
    # The test server trusts loopback, so the password is never checked; it must never show.
    url = postgres_url.replace("postgres@", "postgres:never-logged-pw@", 1)
    bot = await _one_miss_in_a_dm(fake, tmp_path, {"DATABASE_URL": url})
    store = open_store(postgres_url)
    try:
        assert [m.text for m in store.misses("private")] == ["what is the best pizza topping"]
    finally:
        store.close()
    assert not bot.misses_db.exists(), "nothing written to SQLite"
    assert "misses are kept in postgresql://postgres@127.0.0.1:" in bot.log()
    assert "never-logged-pw" not in bot.log()


async def test_a_database_that_cannot_be_reached_never_goes_online(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    url = "postgresql://bot:never-logged-pw@127.0.0.1:1/cnrp?connect_timeout=5"
    bot = await run_bot(fake, tmp_path, {"DATABASE_URL": url})
    assert await bot.wait_exit() == 2
    log = bot.log()
    assert "DATABASE_URL: cannot use postgresql://bot@127.0.0.1:1/cnrp" in log
    assert "never-logged-pw" not in log and "Traceback" not in log and fake.requests == []
