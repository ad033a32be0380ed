"""The composition root: the one place that picks concrete adapters and wires the use cases.

HTTP, CLI and tests all build a `Container`; tests swap adapters with `provider.override(...)`.
Nothing here connects or reads the environment until a provider is called.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dependency_injector import containers, providers
from redis.asyncio import Redis

from adapters.disk import DiskResultCache
from adapters.httpx import HttpxOriginFetcher
from adapters.localdir import LocalDirectoryOriginFetcher
from adapters.memory import MemoryResultCache, SystemClock
from adapters.memory.rate_limiter import MemoryRateLimiter
from adapters.pillow import PillowImageProcessor
from adapters.redis.rate_limiter import RedisRateLimiter
from adapters.system.load_gauge import SystemLoadGauge
from application.admit_request import AdmitRequest
from application.failover_rate_limiter import FailoverRateLimiter
from application.ports.clock import Clock
from application.ports.image_processor import ImageProcessor
from application.ports.origin_fetcher import OriginFetcher
from application.ports.rate_limiter import RateLimiter
from application.render_gate import RenderGate
from application.serve_image import ServeImage
from application.tiered_cache import TieredResultCache
from domain.clients import TrustedProxies
from domain.policy import HostAllowList
from domain.rate_limit import RateLimitPolicy
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
    """The one Redis client of the process for `REDIS_URL`; None when it is empty (no Redis).

    Creating it connects to nothing: connections are made on first use.
    """
    if not settings.REDIS_URL:
        return None
    return Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=1.0,
        socket_timeout=1.0,
        health_check_interval=30,
    )


def make_render_gate(processor: ImageProcessor, settings: Settings) -> RenderGate:
    """The processor behind a bounded queue and the processing time budget."""
    return RenderGate(
        processor,
        workers=settings.IMAGE_WORKER_THREADS,
        queue_max=settings.IMAGE_QUEUE_MAX,
        budget=settings.IMAGE_PROCESSING_TIMEOUT / 1000,
    )


def make_rate_limiter(settings: Settings, redis: Redis | None, clock: Clock) -> RateLimiter:
    """Counters in Redis (shared by every node) with an in-process fallback, or in-process
    only when there is no Redis."""
    local = MemoryRateLimiter(clock)
    if redis is None:
        return local
    shared = RedisRateLimiter(redis, clock, prefix=settings.RATE_LIMIT_KEY_PREFIX)
    return FailoverRateLimiter(shared, local, clock)


def make_rate_limit_policy(settings: Settings) -> RateLimitPolicy:
    """The `RATE_LIMIT_*` settings as the domain's policy."""
    return RateLimitPolicy(
        window_ms=settings.RATE_LIMIT_WINDOW_MS,
        max_requests=settings.RATE_LIMIT_MAX_REQUESTS,
        image_max_requests=settings.RATE_LIMIT_IMAGE_MAX_REQUESTS,
        strategy=settings.RATE_LIMIT_STRATEGY,
    )


class Core(containers.DeclarativeContainer):
    """Settings and the process-wide resources built from them."""

    settings = providers.Dependency(instance_of=Settings)
    clock = providers.Singleton(SystemClock)
    image_pool = providers.Singleton(
        ThreadPoolExecutor,
        max_workers=settings.provided.IMAGE_WORKER_THREADS,
        thread_name_prefix="pillow",
    )
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
        max_animation_pixels=core.settings.provided.MAX_ANIMATION_PIXELS,
        max_render_seconds=providers.Callable(
            lambda settings: settings.IMAGE_PROCESSING_TIMEOUT / 1000, core.settings
        ),
    )
    memory_cache = providers.Singleton(
        MemoryResultCache,
        max_bytes=core.settings.provided.CACHE_MEMORY_MAX_SIZE,
        max_keys=core.settings.provided.CACHE_MEMORY_MAX_KEYS,
    )
    disk_cache = providers.Singleton(DiskResultCache, core.settings.provided.CACHE_FILE_DIRECTORY)
    result_cache = providers.Singleton(TieredResultCache, providers.List(memory_cache, disk_cache))

    # abuse protection: the processor behind the render queue, rate-limit counters, load
    render_gate = providers.Singleton(make_render_gate, processor, core.settings)
    rate_limiter = providers.Singleton(make_rate_limiter, core.settings, core.redis, core.clock)
    load_gauge = providers.Singleton(SystemLoadGauge, render_gate.provided.queue_fill)


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
        processor=adapters.render_gate,
        clock=core.clock,
        allowed_hosts=allowed_hosts,
        fallback_original=providers.Callable(FALLBACK_IMAGE.read_bytes),
    )

    # abuse protection: rate limits that tighten under load
    admit_request = providers.Singleton(
        lambda settings, limiter, gauge: AdmitRequest(
            policy=make_rate_limit_policy(settings),
            limiter=limiter,
            gauge=gauge,
            proxies=TrustedProxies.parse(settings.TRUSTED_PROXIES),
        ),
        core.settings,
        adapters.rate_limiter,
        adapters.load_gauge,
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
    # abuse protection: the limiter's counters and the load probe, then the shared client
    await container.use_cases.admit_request().close()
    redis = container.core.redis()
    if redis is not None:
        await redis.aclose()
