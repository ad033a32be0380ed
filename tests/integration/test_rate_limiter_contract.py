"""The RateLimiter contract on the in-memory limiter and on Redis; then Redis going away."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import redis
from redis.asyncio import Redis

from adapters.memory.clock import FixedClock
from adapters.memory.rate_limiter import MemoryRateLimiter
from adapters.redis.rate_limiter import RedisRateLimiter
from application.errors import RateLimitStoreDown
from application.failover_rate_limiter import FailoverRateLimiter
from application.ports.rate_limiter import RateLimiter
from domain.rate_limit import RateLimitRule, WindowStrategy
from tests.support.redis_private import (
    SHARED_URL,
    RedisServer,
    delete_prefixed,
    shared_redis_or_fail,
    unique_prefix,
)

pytestmark = pytest.mark.integration

FIXED = RateLimitRule(3, 10_000, WindowStrategy.FIXED)
SLIDING = RateLimitRule(10, 10_000, WindowStrategy.SLIDING)
START = 1_800_000_000.0  # on a window boundary: 10 s windows start at whole ten seconds

Scenario = Callable[[RateLimiter, FixedClock], Awaitable[None]]


@pytest.fixture(scope="module")
def prefix() -> Iterator[str]:
    """One prefix for the module's keys in the shared Redis, all deleted at the end."""
    client = shared_redis_or_fail()
    chosen = unique_prefix()
    try:
        yield chosen
    finally:
        delete_prefixed(client, chosen)
        client.close()


@asynccontextmanager
async def limiter_of(kind: str, clock: FixedClock, prefix: str) -> AsyncIterator[RateLimiter]:
    if kind == "memory":
        yield MemoryRateLimiter(clock)
        return
    client = Redis.from_url(SHARED_URL)
    try:
        yield RedisRateLimiter(client, clock, prefix=prefix)
    finally:
        await client.aclose()


@pytest.fixture(params=["memory", "redis"])
def run(request: pytest.FixtureRequest, prefix: str) -> Callable[[Scenario], None]:
    """Runs a scenario against a fresh limiter of each kind, its clock at `START`."""
    test_prefix = f"{prefix}{request.node.name}:"

    def run_scenario(scenario: Scenario) -> None:
        async def main() -> None:
            clock = FixedClock(START)
            async with limiter_of(request.param, clock, test_prefix) as limiter:
                await scenario(limiter, clock)

        asyncio.run(main())

    return run_scenario


async def allowed(limiter: RateLimiter, key: str, rule: RateLimitRule, times: int) -> list[bool]:
    return [(await limiter.hit(key, rule)).allowed for _ in range(times)]


# --- the contract ----------------------------------------------------------------------------


def test_a_fixed_window_admits_the_limit_then_refuses_until_the_next(
    run: Callable[[Scenario], None],
) -> None:
    async def scenario(limiter: RateLimiter, clock: FixedClock) -> None:
        assert await allowed(limiter, "a", FIXED, 5) == [True, True, True, False, False]
        clock.advance(9.999)
        assert await allowed(limiter, "a", FIXED, 1) == [False]
        clock.advance(0.001)
        assert await allowed(limiter, "a", FIXED, 4) == [True, True, True, False]

    run(scenario)


def test_decisions_carry_limit_remaining_reset_and_retry_after(
    run: Callable[[Scenario], None],
) -> None:
    async def scenario(limiter: RateLimiter, clock: FixedClock) -> None:
        clock.advance(2.5)
        decisions = [await limiter.hit("b", FIXED) for _ in range(4)]

        assert [decision.remaining for decision in decisions] == [2, 1, 0, 0]
        assert {decision.limit for decision in decisions} == {3}
        assert {decision.reset_at for decision in decisions} == {int(START) + 10}
        assert decisions[-1].retry_after == 8  # 7.5 s to the next window, rounded up
        assert decisions[0].retry_after == 0

    run(scenario)


def test_buckets_are_independent(run: Callable[[Scenario], None]) -> None:
    async def scenario(limiter: RateLimiter, clock: FixedClock) -> None:
        assert await allowed(limiter, "c:1", FIXED, 4) == [True, True, True, False]
        assert await allowed(limiter, "c:2", FIXED, 1) == [True]

    run(scenario)


def test_a_sliding_window_carries_the_previous_window_over(
    run: Callable[[Scenario], None],
) -> None:
    async def scenario(limiter: RateLimiter, clock: FixedClock) -> None:
        assert await allowed(limiter, "d", SLIDING, 10) == [True] * 10
        clock.advance(12.5)  # a quarter into the next window: 7.5 of the 10 still count
        assert await allowed(limiter, "d", SLIDING, 3) == [True, True, False]
        clock.advance(2.5)  # half-way: 5 count, 2 were added
        assert await allowed(limiter, "d", SLIDING, 4) == [True, True, True, False]
        clock.advance(15)  # two windows on: nothing counts any more
        assert await allowed(limiter, "d", SLIDING, 10) == [True] * 10

    run(scenario)


def test_refused_hits_are_not_counted(run: Callable[[Scenario], None]) -> None:
    async def scenario(limiter: RateLimiter, clock: FixedClock) -> None:
        await allowed(limiter, "e", SLIDING, 50)  # 10 admitted, 40 refused
        clock.advance(15)  # half of the previous window counts: 10 / 2 = 5
        assert await allowed(limiter, "e", SLIDING, 6) == [True] * 5 + [False]

    run(scenario)


def test_a_tightened_limit_applies_to_the_counts_so_far(run: Callable[[Scenario], None]) -> None:
    async def scenario(limiter: RateLimiter, clock: FixedClock) -> None:
        loose = RateLimitRule(10, 10_000, WindowStrategy.FIXED)
        tight = RateLimitRule(4, 10_000, WindowStrategy.FIXED)
        assert await allowed(limiter, "f", loose, 3) == [True] * 3
        assert await allowed(limiter, "f", tight, 2) == [True, False]
        assert await allowed(limiter, "f", loose, 1) == [True]

    run(scenario)


def test_concurrent_hits_never_admit_more_than_the_limit(
    run: Callable[[Scenario], None],
) -> None:
    async def scenario(limiter: RateLimiter, clock: FixedClock) -> None:
        rule = RateLimitRule(25, 10_000, WindowStrategy.SLIDING)
        decisions = await asyncio.gather(*(limiter.hit("g", rule) for _ in range(100)))
        assert sum(decision.allowed for decision in decisions) == 25

    run(scenario)


# --- Redis only ------------------------------------------------------------------------------


def test_two_nodes_share_one_count_in_redis(prefix: str) -> None:
    async def main() -> None:
        clock = FixedClock(START)
        first, second = Redis.from_url(SHARED_URL), Redis.from_url(SHARED_URL)
        try:
            node_a = RedisRateLimiter(first, clock, prefix=prefix + "shared:")
            node_b = RedisRateLimiter(second, clock, prefix=prefix + "shared:")
            answers = [await (node_a if n % 2 else node_b).hit("h", FIXED) for n in range(4)]
        finally:
            await first.aclose()
            await second.aclose()
        assert [answer.allowed for answer in answers] == [True, True, True, False]

    asyncio.run(main())


def test_counters_live_under_the_prefix_and_expire_after_two_windows(prefix: str) -> None:
    async def main() -> None:
        client = Redis.from_url(SHARED_URL)
        try:
            limiter = RedisRateLimiter(client, FixedClock(START), prefix=prefix + "ttl:")
            await limiter.hit("image:acme:192.0.2.1", FIXED)
            keys = [key async for key in client.scan_iter(match=prefix + "ttl:*")]
            ttl = await client.pttl(keys[0])
        finally:
            await client.aclose()
        assert [key.decode() for key in keys] == [
            f"{prefix}ttl:{{image:acme:192.0.2.1}}:{int(START * 1000)}"
        ]
        assert 19_000 < ttl <= 20_000

    asyncio.run(main())


def run_async(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


def test_a_stopped_redis_is_reported_at_once_and_the_failover_keeps_counting() -> None:
    with RedisServer() as private:
        direct = redis.Redis.from_url(private.url)
        direct.ping()
        direct.close()

        async def main() -> None:
            clock = FixedClock(START)
            client = Redis.from_url(private.url, socket_connect_timeout=1, socket_timeout=1)
            shared = RedisRateLimiter(client, clock, prefix="mstest:stopped:")
            limiter = FailoverRateLimiter(shared, MemoryRateLimiter(clock), clock, budget=0.5)
            try:
                assert await allowed(limiter, "k", FIXED, 2) == [True, True]
                private.stop()

                started = time.monotonic()
                with pytest.raises(RateLimitStoreDown):
                    await shared.hit("k", FIXED)
                assert time.monotonic() - started < 1.0  # refused, not a timeout

                started = time.monotonic()
                answers = await allowed(limiter, "k", FIXED, 50)
                assert time.monotonic() - started < 1.0  # one failure, then local counting
                assert answers == [True] * 3 + [False] * 47  # the local count starts afresh
                assert not limiter.shared_in_use
            finally:
                await client.aclose()

        run_async(main)
