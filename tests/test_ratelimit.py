"""The rate limiter on a fake clock: a burst passes, the rest waits its turn in order, nothing is
dropped, other users are never held up, and shutdown lets everyone go."""

from __future__ import annotations

import asyncio

from bot.discord_app.ratelimit import RateLimiter

ALICE, BOB = 1, 2


class FakeClock:
    """Time that moves only when someone sleeps on it; sleepers wake in order of their alarm."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def limiter(clock: FakeClock, burst: int = 3, per: float = 10.0) -> RateLimiter:
    return RateLimiter(burst, per, clock=clock, sleep=clock.sleep)


async def test_a_burst_passes_at_once() -> None:
    clock = FakeClock()
    limit = limiter(clock)
    assert [await limit.wait_turn(ALICE) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert clock.slept == []


async def test_past_the_burst_answers_wait_for_the_window_and_keep_their_order() -> None:
    clock = FakeClock()
    limit = limiter(clock, burst=2, per=10.0)
    order: list[int] = []

    async def ask(n: int) -> float:
        waited = await limit.wait_turn(ALICE)
        order.append(n)
        return waited

    waits = await asyncio.gather(*(ask(n) for n in range(6)))
    assert order == list(range(6)), "held answers go out in the order they came"
    assert waits[:2] == [0.0, 0.0] and all(w > 0 for w in waits[2:])
    assert clock.now - 1000.0 >= 20.0, "six answers, two per ten seconds: two windows waited"
    assert limit.waiting() == 0


async def test_one_users_flood_never_holds_up_another() -> None:
    clock = FakeClock()
    limit = limiter(clock, burst=1, per=10.0)
    await limit.wait_turn(ALICE)
    flood = asyncio.gather(*(limit.wait_turn(ALICE) for _ in range(5)))
    await asyncio.sleep(0)
    assert limit.would_wait(ALICE) and not limit.would_wait(BOB)
    assert await limit.wait_turn(BOB) == 0.0
    await flood


async def test_would_wait_says_when_a_slash_command_must_defer() -> None:
    clock = FakeClock()
    limit = limiter(clock, burst=2, per=5.0)
    assert not limit.would_wait(ALICE)
    await limit.wait_turn(ALICE)
    await limit.wait_turn(ALICE)
    assert limit.would_wait(ALICE)
    clock.now += 5.1
    assert not limit.would_wait(ALICE), "a quiet window later the burst is back"
    assert await limit.wait_turn(ALICE) == 0.0


async def test_a_burst_of_zero_turns_the_limit_off() -> None:
    clock = FakeClock()
    limit = limiter(clock, burst=0)
    assert [await limit.wait_turn(ALICE) for _ in range(50)] == [0.0] * 50
    assert not limit.would_wait(ALICE)


async def test_opening_the_limiter_releases_every_held_answer() -> None:
    clock = FakeClock()

    async def never(seconds: float) -> None:  # a sleep that only shutdown can cut short
        await asyncio.Event().wait()

    limit = RateLimiter(1, 60.0, clock=clock, sleep=never)
    await limit.wait_turn(ALICE)
    held = asyncio.gather(*(limit.wait_turn(ALICE) for _ in range(3)))
    await asyncio.sleep(0)
    assert limit.waiting() == 3
    limit.open()
    await asyncio.wait_for(held, 5)
    assert limit.waiting() == 0 and not limit.would_wait(ALICE)


async def test_a_clock_at_zero_still_counts() -> None:
    # discord.py reads a falsy time as "use time.time()"; the limiter must not be fooled.
    clock = FakeClock(start=0.0)
    limit = limiter(clock, burst=1, per=10.0)
    await limit.wait_turn(ALICE)
    assert limit.would_wait(ALICE)
