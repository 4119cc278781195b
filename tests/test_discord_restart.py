"""The real bot process stopped and started again against one fake: buttons sent by the first
process work in the second, SIGTERM finishes the answers in flight, and a flood from one user
is spread out without holding anyone else up."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio

from bot.core.misses import Vote
from bot.core.misses_sqlite import SqliteMissStore
from tests.fake_discord import BotProcess, FakeDiscord, FakeUser, Recorded
from tests.test_discord_e2e import buttons, eventually, question_labels


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def start_bot(fake: FakeDiscord, workdir: Path, **env: str) -> BotProcess:
    bot = BotProcess(fake, workdir, env=env)
    await bot.start()
    await bot.wait_ready()
    return bot


async def ready_again(fake: FakeDiscord, identifies: int) -> None:
    """Until a new process has identified and received its guilds."""
    await fake.wait_for(
        lambda: fake.count_ops(2) > identifies
        and any(f["t"] == "GUILD_CREATE" for f in fake.shard_sessions[0].sent),
        timeout=30, what="the restarted bot",
    )  # fmt: skip


async def first_response(fake: FakeDiscord, interaction: dict[str, Any]) -> Recorded:
    return await fake.wait_for(
        lambda: next((r for r in fake.responses_to(interaction) if r.path.endswith("/callback")),
                     None),
        what="a response",
    )  # fmt: skip


async def press(fake: FakeDiscord, record: Recorded, prefix: str, user: FakeUser,
                label: str | None = None) -> Recorded:
    message = fake.message_for(record)
    custom_id = next(b["custom_id"] for b in buttons(message)
                     if str(b["custom_id"]).startswith(prefix) and label in (None, b.get("label")))
    return await first_response(fake, await fake.click(message, custom_id, user=user))


async def test_buttons_sent_before_a_restart_still_answer(fake: FakeDiscord, tmp_path: Path) -> None:
    bot = await start_bot(fake, tmp_path)
    asker, bot_user = fake.user("asker"), fake.bot_user
    try:
        missed_id = await fake.post_message(asker, f"{bot_user.mention} what is the best pizza topping",
                                            mentions=[bot_user])  # fmt: skip
        missed = await fake.wait_reply(missed_id)
        answered = await first_response(
            fake, await fake.slash("ask", {"question": "who founded the cnrp"}, user=asker))
        deletable = await first_response(
            fake, await fake.slash("ask", {"question": "who leads the cnrp"}, user=asker))
        table = await first_response(fake, await fake.slash("policies", {}, user=asker))
    finally:
        assert await bot.stop() == 0, bot.log()
    identifies = fake.count_ops(2)
    bot = await start_bot(fake, tmp_path)
    try:
        await ready_again(fake, identifies)
        label = question_labels(fake.message_for(missed))[0]
        clicked = await press(fake, missed, "cnrp:ask:", asker, label)
        assert clicked.body["type"] == 7, "a suggestion answers in place after the restart"
        assert clicked.body["data"]["embeds"][0]["title"] == label
        related = await press(fake, answered, "cnrp:rel:", asker)
        assert related.body["type"] == 4 and question_labels(fake.message_for(related))
        turned = await press(fake, table, "cnrp:page:", asker, "Next ▶")
        assert turned.body["data"]["embeds"][0]["footer"]["text"] == "Page 2 of 2"
        voted = await press(fake, answered, "cnrp:vote:", asker)
        assert voted.body["type"] == 7
        await press(fake, deletable, "cnrp:del:", asker)
        await fake.wait_for(lambda: deletable.message_id in fake.deleted, what="the deletion")
        store = SqliteMissStore(bot.misses_db)
        try:
            clicks = await eventually(
                lambda: [f for f in store.feedback() if f.vote is Vote.CLICKED], "the click")
            assert clicks[0].suggestion == label and clicks[0].server == fake.guild_id
            assert await eventually(lambda: [f for f in store.feedback() if f.vote is Vote.UP],
                                    "the vote")  # fmt: skip
        finally:
            store.close()
    finally:
        assert await bot.stop() == 0, bot.log()
    assert "Traceback" not in bot.log()


async def test_sigterm_finishes_the_answers_in_flight(fake: FakeDiscord, tmp_path: Path) -> None:
    # One answer a minute: the second question's reply is held when the bot is told to stop.
    bot = await start_bot(fake, tmp_path, RATE_LIMIT_BURST="1", RATE_LIMIT_SECONDS="60")
    user, me = fake.user("impatient"), fake.bot_user
    first = await fake.post_message(user, f"{me.mention} who founded the cnrp", mentions=[me])
    await fake.wait_reply(first)
    held = await fake.post_message(user, f"{me.mention} who leads the cnrp", mentions=[me])
    await eventually(lambda: bot.log().count("answered via=") == 2, "the held answer")
    assert fake.replies_to(held) == []
    assert await bot.stop() == 0, bot.log()
    assert len(fake.replies_to(held)) == 1, "the held reply went out before the bot stopped"
    lines = re.findall(r".*SIGTERM.*", bot.log())
    assert len(lines) == 1 and "finished 1 answer(s) in flight" in lines[0], bot.log()


async def test_a_flood_from_one_user_is_slowed_and_starves_no_one(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    bot = await start_bot(fake, tmp_path, RATE_LIMIT_BURST="2", RATE_LIMIT_SECONDS="1")
    try:
        flooder, other = fake.user("flooder"), fake.user("other")
        flood = [await fake.post_message(flooder, f"who founded the cnrp {n}", dm=True)
                 for n in range(8)]  # fmt: skip
        calm = await fake.post_message(other, "who leads the cnrp", dm=True)
        replies = await asyncio.gather(*(fake.wait_reply(m, timeout=30) for m in flood))
        calm_reply = await fake.wait_reply(calm)
        assert [len(fake.replies_to(m)) for m in flood] == [1] * 8, "none dropped, none doubled"
        # Two replies a second: each pair goes out after the pair before it (within a pair
        # the two are sent at once, so either may land first).
        arrival = [r.at for r in replies]
        for pair in range(3):
            assert max(arrival[2 * pair: 2 * pair + 2]) < min(arrival[2 * pair + 2: 2 * pair + 4])
        assert calm_reply.at < arrival[-1], "the other user did not wait for the flood"
    finally:
        assert await bot.stop() == 0, bot.log()
