"""The composition root: the one place that picks concrete adapters and wires the use cases.

HTTP, CLI and tests all build a `Container`; tests swap adapters with `provider.override(...)`.
Nothing here connects or reads the environment until a provider is called.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dependency_injector import containers, providers
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from adapters.disk import DiskResultCache
from adapters.httpx import HttpxOriginFetcher
from adapters.localdir import LocalDirectoryOriginFetcher
from adapters.memory import (
    MemoryAccessCounter,
    MemoryFlushBroadcast,
    MemoryNegativeCache,
    MemoryResultCache,
    MemoryWorkLeases,
    SystemClock,
)
from adapters.pillow import PillowImageProcessor
from adapters.redis import (
    RedisAccessCounter,
    RedisCircuit,
    RedisFlushBroadcast,
    RedisKeys,
    RedisNegativeCache,
    RedisResultCache,
    RedisWorkLeases,
)
from application.flush_tenant import FlushTenant, ForgetFlushedTenants
from application.ports.origin_fetcher import OriginFetcher
from application.ports.work_leases import WorkLeases
from application.serve_image import Outcome, ServeImage, SharedCaching
from application.shared_flight import SharedFlight
from application.tiered_cache import TieredResultCache
from application.tiered_negative_cache import TieredNegativeCache
from application.warm_cache import WarmCache
from domain.policy import HostAllowList
from entrypoints.settings import Settings

STATIC_DIRECTORY = Path(__file__).resolve().parent / "http" / "static"
FALLBACK_IMAGE = STATIC_DIRECTORY / "default.png"


def make_origin(settings: Settings) -> OriginFetcher:
    """A local-directory origin for file:// BACKEND_URLs, else the pooled HTTP one."""
    directory = settings.backend_directory
    if directory is not None:
        return LocalDirectoryOriginFetcher(directory, max_bytes=settings.MAX_SOURCE_BYTES)
    return HttpxOriginFetcher(
        settings.BACKEND_URL,
        connect_timeout=settings.HTTP_CONNECT_TIMEOUT / 1000,
        read_timeout=settings.EXTERNAL_REQUEST_TIMEOUT / 1000,
        total_timeout=settings.EXTERNAL_REQUEST_TIMEOUT / 1000,
        max_bytes=settings.MAX_SOURCE_BYTES,
        max_connections=settings.HTTP_POOL_MAX_SOCKETS,
    )


def make_redis(settings: Settings) -> Redis | None:
    """The node's one pooled Redis client, or None when no Redis is configured.

    Short connect and command timeouts, and one immediate retry on a broken connection only
    (a pooled connection Redis closed when it restarted): a Redis that is away must cost a
    request milliseconds, not the client's 5-second default with ten retries.
    """
    url = settings.redis_url
    if not url:
        return None
    return Redis.from_url(
        url,
        socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT / 1000,
        socket_timeout=settings.REDIS_COMMAND_TIMEOUT / 1000,
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        client_name="media-stream",
    )


def redis_or_memory(settings: Settings) -> str:
    """Which implementation of the shared-state ports a node uses."""
    return "redis" if settings.redis_url else "memory"


def make_redis_circuit(client: Redis | None, settings: Settings) -> RedisCircuit:
    if client is None:
        raise RuntimeError("a Redis adapter was asked for, but no Redis is configured")
    return RedisCircuit(client, retry_after=settings.REDIS_RETRY_AFTER / 1000)


def make_shared_flight(leases: WorkLeases, settings: Settings) -> SharedFlight[Outcome]:
    return SharedFlight(
        leases,
        lease_seconds=settings.CACHE_LEASE_TTL / 1000,
        max_wait=settings.CACHE_LEASE_MAX_WAIT / 1000,
    )


def present(*candidates: object) -> list[object]:
    """The candidates that exist (an unconfigured optional layer is None)."""
    return [candidate for candidate in candidates if candidate is not None]


class Core(containers.DeclarativeContainer):
    """Settings and the process-wide resources built from them."""

    settings = providers.Dependency(instance_of=Settings)
    clock = providers.Singleton(SystemClock)
    image_pool = providers.Singleton(
        ThreadPoolExecutor,
        max_workers=settings.provided.IMAGE_WORKER_THREADS,
        thread_name_prefix="pillow",
    )

    # The shared Redis client (None without Redis); rate limiting uses it too.
    redis = providers.Singleton(make_redis, settings)


class Adapters(containers.DeclarativeContainer):
    """Concrete implementations of the ports."""

    core = providers.DependenciesContainer()
    origin = providers.Singleton(make_origin, core.settings)
    processor = providers.Singleton(
        PillowImageProcessor,
        core.image_pool,
        max_source_pixels=core.settings.provided.MAX_SOURCE_PIXELS,
        max_frames=core.settings.provided.MAX_ANIMATION_FRAMES,
    )
    # The shared cache (ADR 8): Redis implementations when Redis is configured, else memory.
    shared_state = providers.Callable(redis_or_memory, core.settings)
    redis_circuit = providers.Singleton(make_redis_circuit, core.redis, core.settings)
    redis_keys = providers.Singleton(RedisKeys, core.settings.provided.REDIS_KEY_PREFIX)
    redis_cache = providers.Selector(
        shared_state,
        redis=providers.Singleton(
            RedisResultCache,
            redis_circuit,
            redis_keys,
            ttl=core.settings.provided.CACHE_IMAGE_PRIVATE_TTL,
        ),
        memory=providers.Object(None),
    )
    memory_negative_cache = providers.Singleton(MemoryNegativeCache, core.clock)
    negative_cache = providers.Singleton(
        TieredNegativeCache,
        providers.Callable(
            present,
            memory_negative_cache,
            providers.Selector(
                shared_state,
                redis=providers.Singleton(RedisNegativeCache, redis_circuit, redis_keys),
                memory=providers.Object(None),
            ),
        ),
    )
    work_leases = providers.Selector(
        shared_state,
        redis=providers.Singleton(RedisWorkLeases, redis_circuit, redis_keys),
        memory=providers.Singleton(MemoryWorkLeases, core.clock),
    )
    flush_broadcast = providers.Selector(
        shared_state,
        redis=providers.Singleton(RedisFlushBroadcast, redis_circuit, redis_keys),
        memory=providers.Singleton(MemoryFlushBroadcast),
    )
    access_counter = providers.Selector(
        shared_state,
        redis=providers.Singleton(RedisAccessCounter, redis_circuit, redis_keys),
        memory=providers.Singleton(MemoryAccessCounter),
    )

    memory_cache = providers.Singleton(
        MemoryResultCache,
        max_bytes=core.settings.provided.CACHE_MEMORY_MAX_SIZE,
        max_keys=core.settings.provided.CACHE_MEMORY_MAX_KEYS,
    )
    disk_cache = providers.Singleton(DiskResultCache, core.settings.provided.CACHE_FILE_DIRECTORY)
    result_cache = providers.Singleton(
        TieredResultCache, providers.Callable(present, memory_cache, redis_cache, disk_cache)
    )


class UseCases(containers.DeclarativeContainer):
    """The application's use cases, wired to the adapters."""

    core = providers.DependenciesContainer()
    adapters = providers.DependenciesContainer()
    allowed_hosts = providers.Singleton(
        lambda settings: HostAllowList.of(settings.allowed_domains), core.settings
    )
    serve_image = providers.Singleton(
        ServeImage,
        cache=adapters.result_cache,
        origin=adapters.origin,
        processor=adapters.processor,
        clock=core.clock,
        allowed_hosts=allowed_hosts,
        fallback_original=providers.Callable(FALLBACK_IMAGE.read_bytes),
        shared=providers.Singleton(
            SharedCaching,
            flight=providers.Singleton(make_shared_flight, adapters.work_leases, core.settings),
            missing=adapters.negative_cache,
            missing_seconds=core.settings.provided.CACHE_IMAGE_NEGATIVE_TTL,
            access=adapters.access_counter,
        ),
    )

    # Flushes (ADR 8) and warming.
    flush_tenant = providers.Singleton(
        FlushTenant,
        cache=adapters.result_cache,
        missing=adapters.negative_cache,
        access=adapters.access_counter,
        broadcast=adapters.flush_broadcast,
    )
    forget_flushed_tenants = providers.Singleton(
        ForgetFlushedTenants,
        cache=adapters.result_cache,
        local_layers=providers.List(adapters.memory_cache, adapters.disk_cache),
        missing=adapters.negative_cache,
        local_missing=providers.List(adapters.memory_negative_cache),
        volatile=providers.List(
            adapters.memory_cache.provided.clear, adapters.memory_negative_cache.provided.clear
        ),
    )
    warm_cache = providers.Singleton(
        WarmCache,
        cache=adapters.result_cache,
        access=adapters.access_counter,
        top_n=core.settings.provided.CACHE_WARMING_TOP_N,
    )


class Container(containers.DeclarativeContainer):
    """Everything the service is made of, for one settings object."""

    settings = providers.Dependency(instance_of=Settings)
    core = providers.Container(Core, settings=settings)
    adapters = providers.Container(Adapters, core=core)
    use_cases = providers.Container(UseCases, core=core, adapters=adapters)


def build_container(settings: Settings) -> Container:
    """A container for `settings`; call providers to build (and then `close_container`)."""
    return Container(settings=providers.Object(settings))


async def close_container(container: Container) -> None:
    """Release what the container built: pooled clients, the image pool, pending cache copies."""
    await container.adapters.result_cache().drain()
    await container.adapters.origin().close()
    await container.adapters.processor().close()
    container.core.image_pool().shutdown(wait=False, cancel_futures=True)
    # The shared cache: unsent access counts go out before the Redis client closes.
    await container.adapters.flush_broadcast().close()
    await container.adapters.access_counter().close()
    redis = container.core.redis()
    if redis is not None:
        await redis.aclose()
