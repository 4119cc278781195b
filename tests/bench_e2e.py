"""Benchmark, not a test: questions through the real bot process over the loopback fake Discord.

    python -m tests.bench_e2e [--questions 2000] [--concurrency 32] [--users 200] [--channels 500]
                              [--chatter 0] [--requests FILE]

The questions are the labelled ones in tests/questions.yaml, cycled, asked as mentions spread
over `channels` channels of a server and as direct messages by `users` users (RATE_LIMIT_BURST=0:
the bot's own per-user limit is off). `concurrency` questions are in flight at once.

The fake answers with Discord's per-route rate-limit headers and enforces them with Discord's
limit on sending messages, 5 per 5 s in each channel (a DM is a channel too): discord.py then
sends to one channel as many replies at once as the bucket allows, as it does against Discord,
and a channel asked more often than that waits, as it would there. A bot answering hundreds of
questions a second is answering in hundreds of channels, so the defaults spread the questions
so that a run at the target rate stays within every channel's limit; the requests the fake
refused with a 429 are printed. With `--chatter N`, N messages that do not address the bot are
posted in the server's channels before each question, as Discord sends a bot every message in
the channels it can read (their text blanked, without the message-content intent).

Latency runs from the fake sending MESSAGE_CREATE to the reply's POST arriving back at it,
so it covers the gateway, the engine, the embed and the REST call. The
CPU each process spent per answer is printed too (the bot's from /proc, so Linux only): both
share the machine's cores, so a throughput figure alone hides which side got cheaper. The
bot's is also split between its event loop's thread and the others (the engine's workers).

With `--requests FILE`, every REST request the fake received is written to FILE, one a line and
sorted, with what differs from run to run by design replaced by a name: ids by what they stand
for (the bench's users, channels and questions), and nonces, timestamps and miss ids by a word.
Two runs of the same code write the same file, so comparing the files of two versions of the bot
shows whether anything it sends to Discord changed.

With `--replay`, the bot's engine answers each distinct question once, in a warm-up pass over
them all, and replays that answer whenever it is asked again (tests/fake_discord/launch.py):
the throughput of everything around the engine, which no work on the engine can pass.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

from tests.fake_discord import BotProcess, FakeDiscord, FakeUser
from tests.fake_discord.server import DISCORD_MESSAGE_LIMIT, Recorded

QUESTIONS = Path(__file__).with_name("questions.yaml")
USERS = 200
CHANNELS = 500  # Discord's most in one server
WARM_UP = 50
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """A process's user + system CPU time from /proc (None where there is no /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def thread_cpu(pid: int) -> dict[str, tuple[float, float]] | None:
    """User and system CPU seconds of the process's main thread (the event loop: discord.py,
    the adapter, logging) and of all its other threads together (the engine's workers, the
    misses store's executor); None without /proc."""
    spent = {"loop": (0.0, 0.0), "other threads": (0.0, 0.0)}
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            key = "loop" if task.name == str(pid) else "other threads"
            user, system = spent[key]
            spent[key] = (user + int(fields[11]) / CLOCK_TICKS, system + int(fields[12]) / CLOCK_TICKS)
    except OSError:
        return None
    return spent


def context_switches(pid: int) -> tuple[int, int] | None:
    """How often the process's threads gave up the CPU: waiting (for I/O, a lock, the GIL) and
    made to (the CPU went to another); None without /proc."""
    waited = forced = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for line in (task / "status").read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    waited += int(line.split(":")[1])
                elif line.startswith("nonvoluntary_ctxt_switches:"):
                    forced += int(line.split(":")[1])
    except OSError:
        return None
    return waited, forced


def load_questions() -> list[str]:
    entries = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    return [str(e["q"]) for e in entries if str(e.get("q") or "").strip()]


# A snowflake (17 to 20 digits), and the values that differ between runs of the same code.
_ID = re.compile(r"(?<![0-9])[0-9]{17,20}(?![0-9])")
_MISS_IN_ID = re.compile(r"^(cnrp:ask:[^:]+:|cnrp:vote:[^:]+:(?:up|down):)([1-9][0-9]*)")
# discord.py names a button that has no custom id of its own with 16 random bytes.
_RANDOM_ID = re.compile(r"^[0-9a-f]{32}$")


def _normalized(value: object, names: dict[str, str]) -> object:
    """A request body with its ids named, and its nonce, timestamp, miss ids and random
    custom ids as words."""
    if isinstance(value, dict):
        return {key: ("NONCE" if key == "nonce" else "TIMESTAMP" if key == "timestamp"
                      else _normalized(item, names)) for key, item in value.items()}
    if isinstance(value, list):
        return [_normalized(item, names) for item in value]
    if isinstance(value, str):
        value = _RANDOM_ID.sub("RANDOM", _MISS_IN_ID.sub(r"\1MISS", value))
        return _ID.sub(lambda match: names.get(match.group(), "ID"), value)
    if isinstance(value, int) and not isinstance(value, bool) and _ID.fullmatch(str(value)):
        return names.get(str(value), "ID")  # a snowflake sent as a number (message_reference)
    return value


def request_lines(requests: list[Recorded], names: dict[str, str]) -> list[str]:
    """Each request as one line (method, path, query, body, files), ids named, sorted."""
    lines = []
    for record in requests:
        path = _ID.sub(lambda match: names.get(match.group(), "ID"), record.path)
        body = json.dumps(_normalized(record.body, names), ensure_ascii=False)
        files = [(name, len(data)) for name, data in record.files]
        lines.append(f"{record.method} {path} {json.dumps(record.query, sort_keys=True)} {body}"
                     + (f" {files}" if files else ""))
    return sorted(lines)


async def ask(fake: FakeDiscord, user: FakeUser, question: str, channel: int | None,
              posted: dict[str, str] | None = None, name: str = "") -> float:
    """Ask in `channel`, or in a DM when it is None; the seconds until the reply landed. The
    question's id is named `name` in `posted`."""
    bot = fake.bot_user
    started = time.perf_counter()
    if channel is None:
        message_id = await fake.post_message(user, question, dm=True)
    else:
        message_id = await fake.post_message(user, f"{bot.mention} {question}", mentions=[bot],
                                             channel_id=channel)
    if posted is not None:
        posted[str(message_id)] = name
    reply = await fake.wait_reply(message_id, timeout=30)
    return reply.at - started


async def run(total: int, concurrency: int, users_count: int, channels_count: int,
              chatter: int = 0, requests_path: Path | None = None, replay: bool = False) -> int:
    asked = load_questions()
    distinct = list(dict.fromkeys(asked))
    questions = itertools.cycle(asked)
    fake = FakeDiscord(route_limit=DISCORD_MESSAGE_LIMIT, extra_channels=max(0, channels_count - 1))
    await fake.start()
    users = [fake.user(f"user{i}") for i in range(users_count)]
    channels = [fake.channel_id, *fake.extra_channel_ids]
    with tempfile.TemporaryDirectory(prefix="cnrp-bench-") as scratch:
        bot = BotProcess(fake, Path(scratch), env={"RATE_LIMIT_BURST": "0", "LOG_LEVEL": "INFO",
                                                   **({"REPLAY_ANSWERS": "1"} if replay else {})})
        await bot.start()
        try:
            await bot.wait_ready()
            gate = asyncio.Semaphore(concurrency)
            posted: dict[str, str] = {}

            async def one(index: int, question: str, run: str = "Q") -> float:
                async with gate:
                    for n in range(chatter):
                        await fake.post_message(users[(index + n + 1) % len(users)], "lol",
                                                channel_id=channels[(index + n + 1) % len(channels)])
                    channel = None if index % 3 == 2 else channels[index % len(channels)]
                    return await ask(fake, users[index % len(users)], question, channel, posted,
                                     f"{run}{index}")

            await asyncio.gather(*(one(i, next(questions), "W") for i in range(WARM_UP)))
            if replay:  # every answer computed once before the clock starts
                await asyncio.gather(*(one(i, question, "R") for i, question in enumerate(distinct)))
            assert bot.proc is not None
            bot_cpu, fake_cpu = cpu_seconds(bot.proc.pid), time.process_time()
            switches = context_switches(bot.proc.pid)
            threads = thread_cpu(bot.proc.pid)
            started = time.perf_counter()
            latencies = await asyncio.gather(*(one(i, next(questions)) for i in range(total)))
            elapsed = time.perf_counter() - started
            bot_after = cpu_seconds(bot.proc.pid)
            switches_after = context_switches(bot.proc.pid)
            threads_after = thread_cpu(bot.proc.pid)
            bot_used = None if bot_cpu is None or bot_after is None else bot_after - bot_cpu
            fake_used = time.process_time() - fake_cpu
        finally:
            code = await bot.stop()
            await fake.stop()
    duplicates = sum(1 for replies in fake._replies.values() if len(replies) != 1)
    if requests_path is not None:
        names = {str(fake.bot_user.id): "BOT", str(fake.owner.id): "OWNER",
                 str(fake.guild_id): "GUILD", str(fake.other_guild_id): "OTHER_GUILD",
                 str(fake.listen_channel_id): "LISTEN", str(fake.other_channel_id): "OTHER_CHANNEL",
                 **{str(channel): f"C{n}" for n, channel in enumerate(channels)},
                 **{str(user.id): f"U{n}" for n, user in enumerate(users)},
                 **{str(fake._dm_channels[user.id]): f"DM{n}" for n, user in enumerate(users)
                    if user.id in fake._dm_channels},
                 **posted}
        lines = request_lines(fake.requests, names)
        requests_path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        print(f"{len(lines)} requests written to {requests_path}")
    ms = sorted(latency * 1000 for latency in latencies)
    print(f"{total} questions, {concurrency} in flight, answered in {elapsed:.2f} s"
          + (f" ({chatter} messages not for the bot before each)" if chatter else ""))
    print(f"throughput: {total / elapsed:.0f} questions answered per second"
          + (" (answers replayed: the bot without its engine's cost)" if replay else ""))
    def at(share: float) -> float:
        return ms[min(len(ms) - 1, int(len(ms) * share))]

    print(f"reply latency: p10 {at(0.10):.1f} ms, median {statistics.median(ms):.1f} ms, p90 {at(0.90):.1f} ms, "
          f"p95 {at(0.95):.1f} ms, p99 {at(0.99):.1f} ms, max {ms[-1]:.1f} ms")
    dms = sorted(latency * 1000 for index, latency in enumerate(latencies) if index % 3 == 2)
    mentions = sorted(latency * 1000 for index, latency in enumerate(latencies) if index % 3 != 2)
    if dms and mentions:
        print(f"median reply latency: mentions ({len(channels)} channels) "
              f"{statistics.median(mentions):.1f} ms, DMs ({len(users)} users) "
              f"{statistics.median(dms):.1f} ms")
    edges = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]
    counts = [0] * (len(edges) + 1)
    for value in ms:
        counts[next((i for i, edge in enumerate(edges) if value < edge), len(edges))] += 1
    bounds = ["0", *map(str, edges)]
    print("latency histogram (ms): " + ", ".join(
        f"{bounds[i]}-{bounds[i + 1] if i < len(edges) else '…'}: {n}" for i, n in enumerate(counts) if n))
    # Both processes share the machine's cores, so the fake's CPU counts against the bot's too.
    bot_text = "?" if bot_used is None else f"{bot_used / total * 1000:.2f} ms ({bot_used / elapsed:.0%} of a core)"
    print(f"CPU per answer: bot {bot_text}, fake Discord {fake_used / total * 1000:.2f} ms "
          f"({fake_used / elapsed:.0%} of a core)")
    if threads is not None and threads_after is not None:
        # Threads that ended during the run drop out of the sums, so these are a lower bound.
        print("bot CPU per answer by thread (user + system): " + ", ".join(
            f"{name} {(threads_after[name][0] - threads[name][0]) / total * 1000:.2f} + "
            f"{(threads_after[name][1] - threads[name][1]) / total * 1000:.2f} ms"
            for name in threads))
    if switches is not None and switches_after is not None:
        # Waits are hand-offs between the bot's threads (the loop, the engine's workers) and
        # waits on I/O; forced ones grow with whatever else the machine runs.
        waited, forced = (after - before for after, before in zip(switches_after, switches, strict=True))
        print(f"bot context switches per answer: {waited / total:.1f} waiting, {forced / total:.1f} forced")
    print(f"requests refused as rate limited (429): {fake.rate_limited}")
    print(f"questions not answered exactly once: {duplicates}; bot exit code {code}")
    return 0 if duplicates == 0 and code == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--channels", type=int, default=CHANNELS)
    parser.add_argument("--chatter", type=int, default=0)
    parser.add_argument("--requests", type=Path, default=None,
                        help="write every REST request the fake received to this file, comparable "
                             "between runs")
    parser.add_argument("--replay", action="store_true",
                        help="replay each question's first answer: the bot's cost without the engine's")
    args = parser.parse_args(argv)
    return asyncio.run(run(args.questions, args.concurrency, max(1, args.users), max(1, args.channels),
                           max(0, args.chatter), args.requests, args.replay))


if __name__ == "__main__":
    sys.exit(main())
