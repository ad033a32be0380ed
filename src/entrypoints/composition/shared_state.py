"""Ring 2, shared state: what the nodes of a cluster share, in Redis or (one node) in memory.

Both containers name the same providers, so the other rings do not know which one they got:
`build_container` makes the Redis-or-memory choice once, from `Settings.redis_url`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from dependency_injector import containers, providers
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from adapters.memory import (
    MemoryAccessCounter,
    MemoryFlushBroadcast,
    MemoryWorkLeases,
)
from adapters.memory.rate_limiter import MemoryRateLimiter
from adapters.redis import (
    RedisAccessCounter,
    RedisCircuit,
    RedisFlushBroadcast,
    RedisKeys,
    RedisNegativeCache,
    RedisResultCache,
    RedisWorkLeases,
)
from adapters.redis.health import RedisIndicator
from adapters.redis.rate_limiter import RedisRateLimiter
from application.failover_rate_limiter import FailoverRateLimiter
from application.ports.clock import Clock
from application.ports.rate_limiter import RateLimiter
from entrypoints.composition.resources import closed_after
from entrypoints.settings import Settings


def redis_client_for(settings: Settings) -> Redis:
    """A pooled Redis client for `Settings.redis_url` (not connected until first used).

    Short connect and command timeouts, and one immediate retry on a broken connection only
    (a pooled connection Redis closed when it restarted): a Redis that is away must cost a
    request milliseconds, not the client's 5-second default with ten retries.
    """
    if not settings.redis_url:
        raise ValueError("no Redis is configured (REDIS_URL or REDIS_HOST)")
    return Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT / 1000,
        socket_timeout=settings.REDIS_COMMAND_TIMEOUT / 1000,
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        client_name="media-stream",
    )


async def redis_client(settings: Settings) -> AsyncIterator[Redis]:
    """The node's one Redis client, closed after everything that uses it."""
    client = redis_client_for(settings)
    try:
        yield client
    finally:
        await client.aclose()


async def redis_circuit(client: Redis, settings: Settings) -> AsyncIterator[RedisCircuit]:
    """The client behind the circuit that pauses Redis calls while Redis is away (ADR 9)."""
    yield RedisCircuit(client, retry_after=settings.REDIS_RETRY_AFTER / 1000)


def shared_rate_limiter(settings: Settings, client: Redis, clock: Clock) -> RateLimiter:
    """Counters in Redis (shared by every node), in process while Redis is away."""
    shared = RedisRateLimiter(client, clock, prefix=settings.RATE_LIMIT_KEY_PREFIX)
    return FailoverRateLimiter(shared, MemoryRateLimiter(clock), clock)


class MemoryState(containers.DeclarativeContainer):
    """One node alone: nothing shared, no shared result tier, counters in process."""

    core = providers.DependenciesContainer()
    redis: providers.Provider[None] = providers.Object(None)
    circuit: providers.Provider[None] = providers.Object(None)
    keys: providers.Provider[None] = providers.Object(None)
    result_cache: providers.Provider[None] = providers.Object(None)
    negative_cache: providers.Provider[None] = providers.Object(None)
    work_leases = providers.Singleton(MemoryWorkLeases, core.clock)
    flush_broadcast = providers.Resource(closed_after, MemoryFlushBroadcast)
    access_counter = providers.Resource(closed_after, MemoryAccessCounter)
    rate_limiter = providers.Resource(closed_after, MemoryRateLimiter, core.clock)
    indicator = providers.Singleton(RedisIndicator, None)


class RedisState(containers.DeclarativeContainer):
    """Nodes sharing one Redis (ADR 8): results, misses, leases, flushes, counts, limits."""

    core = providers.DependenciesContainer()
    redis = providers.Resource(redis_client, core.settings)
    circuit = providers.Resource(redis_circuit, redis, core.settings)
    keys = providers.Singleton(RedisKeys, core.settings.provided.REDIS_KEY_PREFIX)
    result_cache = providers.Singleton(
        RedisResultCache, circuit, keys, ttl=core.settings.provided.CACHE_IMAGE_PRIVATE_TTL
    )
    negative_cache = providers.Singleton(RedisNegativeCache, circuit, keys)
    work_leases = providers.Singleton(RedisWorkLeases, circuit, keys)
    flush_broadcast = providers.Resource(closed_after, RedisFlushBroadcast, circuit, keys)
    # Unsent access counts go out before the client closes (a direct dependency orders it).
    access_counter = providers.Resource(closed_after, RedisAccessCounter, circuit, keys)
    rate_limiter = providers.Resource(
        closed_after, shared_rate_limiter, core.settings, redis, core.clock
    )
    indicator = providers.Singleton(RedisIndicator, circuit, flush_broadcast)


def shared_state_for(settings: Settings) -> type[containers.DeclarativeContainer]:
    """Which shared state a node uses: Redis when one is configured, else memory."""
    return RedisState if settings.redis_url else MemoryState
