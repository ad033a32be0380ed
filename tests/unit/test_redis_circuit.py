"""The Redis circuit's state machine, driven by commands that fail or answer on cue.

The commands here never touch the client, so no Redis is needed: what is tested is when
the circuit lets a command through, and what it answers when it does not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from adapters.redis import RedisCircuit
from application.errors import CacheUnavailable


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class ScriptedCommand:
    """Commands that record their calls and answer or fail as scripted."""

    def __init__(self) -> None:
        self.calls = 0
        self.failure: Exception | None = None

    def command(self) -> Callable[[Redis], Awaitable[str]]:
        async def run(client: Redis) -> str:
            self.calls += 1
            if self.failure is not None:
                raise self.failure
            return "answer"

        return run


def circuit(clock: Clock) -> RedisCircuit:
    return RedisCircuit(Redis.from_url("redis://127.0.0.1:1/0"), retry_after=1.0, clock=clock)


def call(breaker: RedisCircuit, redis: ScriptedCommand) -> str:
    return asyncio.run(breaker.call(redis.command(), otherwise="fallback"))


@pytest.mark.parametrize(
    "failure", [RedisConnectionError("refused"), RedisTimeoutError("slow"), OSError("reset")]
)
def test_a_failure_skips_redis_until_the_pause_is_over_then_one_call_probes(
    failure: Exception,
) -> None:
    clock, redis = Clock(), ScriptedCommand()
    breaker = circuit(clock)
    redis.failure = failure

    assert call(breaker, redis) == "fallback"
    assert [call(breaker, redis) for _ in range(5)] == ["fallback"] * 5
    assert redis.calls == 1
    assert breaker.state().up is False
    assert breaker.state().retry_in == pytest.approx(1.0)

    clock.now += 1.0
    redis.failure = None
    assert call(breaker, redis) == "answer"
    assert call(breaker, redis) == "answer"
    assert redis.calls == 3
    assert breaker.state().up is True


def test_each_failed_probe_doubles_the_pause_up_to_eight_times() -> None:
    clock, redis = Clock(), ScriptedCommand()
    breaker = circuit(clock)
    redis.failure = RedisConnectionError("refused")
    pauses = []
    call(breaker, redis)
    for _ in range(5):
        pauses.append(breaker.state().retry_in)
        clock.now += breaker.state().retry_in
        call(breaker, redis)
    assert pauses == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert redis.calls == 6


def test_only_one_probe_runs_at_a_time() -> None:
    clock = Clock()
    breaker = circuit(clock)
    started = 0

    async def fail(client: Redis) -> str:
        raise RedisConnectionError("refused")

    async def slow_probe(client: Redis) -> str:
        nonlocal started
        started += 1
        await asyncio.sleep(0.05)
        return "answer"

    async def scenario() -> list[str]:
        await breaker.call(fail, otherwise="fallback")
        clock.now += 1.0
        return await asyncio.gather(*(breaker.call(slow_probe, "fallback") for _ in range(4)))

    assert asyncio.run(scenario()) == ["answer", "fallback", "fallback", "fallback"]
    assert started == 1


def test_calls_in_flight_when_redis_went_count_as_one_failure() -> None:
    clock = Clock()
    breaker = circuit(clock)

    async def fail_later(client: Redis) -> str:
        await asyncio.sleep(0.01)
        raise RedisTimeoutError("slow")

    async def scenario() -> None:
        await asyncio.gather(*(breaker.call(fail_later, "fallback") for _ in range(10)))

    asyncio.run(scenario())
    assert breaker.state().failures == 1
    assert breaker.state().retry_in == pytest.approx(1.0)


def test_a_refused_command_is_not_an_outage() -> None:
    clock, redis = Clock(), ScriptedCommand()
    breaker = circuit(clock)
    redis.failure = ResponseError("WRONGTYPE")

    assert call(breaker, redis) == "fallback"
    assert call(breaker, redis) == "fallback"
    assert redis.calls == 2
    assert breaker.state().up is True


def test_require_tries_even_while_open_and_raises_cache_unavailable() -> None:
    clock, redis = Clock(), ScriptedCommand()
    breaker = circuit(clock)
    redis.failure = RedisConnectionError("refused")
    call(breaker, redis)

    with pytest.raises(CacheUnavailable, match="unreachable"):
        asyncio.run(breaker.require(redis.command()))
    redis.failure = ResponseError("NOPERM")
    with pytest.raises(CacheUnavailable, match="refused"):
        asyncio.run(breaker.require(redis.command()))
    redis.failure = None
    assert asyncio.run(breaker.require(redis.command())) == "answer"
    assert redis.calls == 4
    assert breaker.state().up is True


def test_a_pause_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RedisCircuit(Redis.from_url("redis://127.0.0.1:1/0"), retry_after=0)
