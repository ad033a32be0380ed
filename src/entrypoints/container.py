"""The composition root: the one place that picks concrete adapters and wires the use cases.

HTTP, CLI and tests all build a `Container`; tests swap adapters with `provider.override(...)`.
Nothing here connects or reads the environment until a provider is called.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path

from dependency_injector import containers, providers
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from adapters.disk import DiskResultCache
from adapters.httpx import (
    HttpxOriginFetcher,
    HttpxProbeIndicator,
    HttpxTenantDomainSource,
    OriginTimeouts,
    SystemHostResolver,
)
from adapters.localdir import LocalDirectoryOriginFetcher
from adapters.localdir.health import LocalDirectoryOriginIndicator
from adapters.memory import (
    MemoryAccessCounter,
    MemoryFlushBroadcast,
    MemoryNegativeCache,
    MemoryResultCache,
    MemoryWorkLeases,
    SystemClock,
)
from adapters.memory.health import MemoryResultCacheIndicator
from adapters.memory.rate_limiter import MemoryRateLimiter
from adapters.pillow import PillowImageProcessor, RenderProcesses, SourceLimits
from adapters.pillow.health import PillowCodecsIndicator
from adapters.prometheus import PrometheusMetrics
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
from adapters.system import ProcfsProcessStats, StatvfsDiskSpace, WritableDirectoryIndicator
from adapters.system.load_gauge import SystemLoadGauge
from application.admit_request import AdmitRequest
from application.breaker_health import OriginBreakerIndicator
from application.cache_health import CacheLayersIndicator
from application.failover_rate_limiter import FailoverRateLimiter
from application.flush_tenant import FlushTenant, ForgetFlushedTenants
from application.health import CheckHealth
from application.health_indicators import (
    ConfiguredOriginIndicator,
    DiskSpaceIndicator,
    MemoryIndicator,
    UsageLimits,
)
from application.monitoring import Monitoring
from application.origin_circuits import OriginCircuits
from application.origin_hosts import OriginHosts
from application.performance import PerformanceIndicator, PerformanceLimits, PerformanceWatch
from application.ports.clock import Clock
from application.ports.health import HealthIndicator
from application.ports.host_resolver import HostResolver
from application.ports.image_processor import ImageProcessor
from application.ports.load_gauge import LoadGauge
from application.ports.metrics import Metrics
from application.ports.origin_fetcher import Original, OriginFetcher
from application.ports.rate_limiter import RateLimiter
from application.ports.tenant_domain_source import TenantDomainSource
from application.ports.work_leases import WorkLeases
from application.render_gate import RenderGate
from application.resources import ResourceSampler
from application.serve_image import Outcome, ServeImage, SharedCaching
from application.shared_flight import SharedFlight
from application.single_flight import SingleFlight
from application.tenant_domains import RefreshTenantDomains, TenantDomains
from application.tiered_cache import TieredResultCache
from application.tiered_negative_cache import TieredNegativeCache
from application.warm_cache import WarmCache
from domain.clients import TrustedProxies
from entrypoints.features import Features
from entrypoints.lifecycle import Lifecycle
from entrypoints.settings import LiveHostAllowList, LiveSettings, Settings
from entrypoints.settings.origin import breaker_policy, retry_policy, source_caps
from entrypoints.settings.protection import rate_limit_policy

STATIC_DIRECTORY = Path(__file__).resolve().parent / "http" / "static"
FALLBACK_IMAGE = STATIC_DIRECTORY / "default.png"


def make_origin(
    settings: Settings, hosts: OriginHosts, circuits: OriginCircuits, resolver: HostResolver
) -> OriginFetcher:
    """A local-directory origin for file:// BACKEND_URLs, else the pooled HTTP one."""
    directory = settings.backend_directory
    if directory is not None:
        return LocalDirectoryOriginFetcher(directory, max_bytes=settings.MAX_SOURCE_BYTES)
    return HttpxOriginFetcher(
        settings.BACKEND_URL,
        hosts=hosts,
        resolver=resolver,
        circuits=circuits if settings.HTTP_CIRCUIT_BREAKER_ENABLED else None,
        retry=retry_policy(settings),
        caps=source_caps(settings),
        timeouts=OriginTimeouts(
            connect=settings.HTTP_CONNECT_TIMEOUT / 1000,
            read=settings.HTTP_READ_TIMEOUT / 1000,
            pool=settings.HTTP_POOL_TIMEOUT / 1000,
            total=settings.EXTERNAL_REQUEST_TIMEOUT / 1000,
            attempt=settings.HTTP_TIMEOUT / 1000 or None,
            keep_alive=settings.HTTP_POOL_KEEP_ALIVE_MS / 1000,
        ),
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


def make_origin_hosts(live: LiveSettings, tenants: TenantDomains) -> OriginHosts:
    """VALIDATION_ALLOWED_DOMAINS (or the BACKEND_URL host), as reloaded, and tenants' domains."""
    return OriginHosts(LiveHostAllowList(live), tenants)


def make_tenant_domain_source(settings: Settings) -> TenantDomainSource | None:
    """The tenant-domain list (`Settings.tenant_domains_url`), or None when there is none."""
    if not settings.tenant_domains_url:
        return None
    return HttpxTenantDomainSource(
        settings.tenant_domains_url,
        settings.INTERNAL_DOMAINS_SECRET,
        timeout=settings.EXTERNAL_REQUEST_TIMEOUT / 1000,
    )


def make_tenant_refresh(
    source: TenantDomainSource | None, domains: TenantDomains, clock: Clock
) -> RefreshTenantDomains | None:
    """The refresh use case, or None when no tenant-domain list is configured."""
    if source is None:
        return None
    return RefreshTenantDomains(source=source, domains=domains, clock=clock)


def make_image_pool(settings: Settings) -> Executor:
    """Where renders run: IMAGE_RENDER_PROCESSES processes (ADR 21), or threads of this one."""
    if settings.IMAGE_RENDER_PROCESSES > 0:
        limits = SourceLimits(
            settings.MAX_SOURCE_PIXELS,
            settings.MAX_ANIMATION_FRAMES,
            settings.MAX_ANIMATION_PIXELS,
            settings.IMAGE_PROCESSING_TIMEOUT / 1000,
        )
        return RenderProcesses(settings.IMAGE_RENDER_PROCESSES, limits)
    return ThreadPoolExecutor(
        max_workers=settings.IMAGE_WORKER_THREADS, thread_name_prefix="pillow"
    )


def make_render_gate(
    processor: ImageProcessor, settings: Settings, metrics: Metrics | None = None
) -> RenderGate:
    """The processor behind a bounded queue and the processing time budget."""
    return RenderGate(
        processor,
        workers=settings.IMAGE_WORKER_THREADS,
        queue_max=settings.IMAGE_QUEUE_MAX,
        budget=settings.IMAGE_PROCESSING_TIMEOUT / 1000,
        metrics=metrics,
    )


def make_rate_limiter(settings: Settings, redis: Redis | None, clock: Clock) -> RateLimiter:
    """Counters in Redis (shared by every node) with an in-process fallback, or in-process
    only when there is no Redis."""
    local = MemoryRateLimiter(clock)
    if redis is None:
        return local
    shared = RedisRateLimiter(redis, clock, prefix=settings.RATE_LIMIT_KEY_PREFIX)
    return FailoverRateLimiter(shared, local, clock)


def make_admit_request(
    live: LiveSettings,
    limiter: RateLimiter,
    gauge: LoadGauge,
    metrics: Metrics,
    tenant_domains: TenantDomains,
) -> AdmitRequest:
    """The rate-limit use case on the settings in force; reloaded limits apply at once."""
    settings = live.current
    admit = AdmitRequest(
        policy=rate_limit_policy(settings),
        limiter=limiter,
        gauge=gauge,
        proxies=TrustedProxies.parse(settings.TRUSTED_PROXIES),
        metrics=metrics,
        tenant_hosts=tenant_domains,
    )
    live.subscribe(lambda reloaded: admit.use_policy(rate_limit_policy(reloaded)))
    return admit


class Core(containers.DeclarativeContainer):
    """Settings and the process-wide resources built from them."""

    settings = providers.Dependency(instance_of=Settings)
    clock = providers.Singleton(SystemClock)
    live_settings = providers.Singleton(LiveSettings, settings)
    image_pool = providers.Singleton(make_image_pool, settings)
    # per origin path: the image and info routes share each original's fetch (ADR 24)
    original_fetches: providers.Singleton[SingleFlight[Original]] = providers.Singleton(
        SingleFlight
    )

    # What the service records for dashboards (ADR 11); every layer reports into it.
    metrics = providers.Singleton(
        PrometheusMetrics,
        multiprocess_directory=providers.Callable(os.environ.get, "PROMETHEUS_MULTIPROC_DIR"),
    )

    # The shared Redis client (None without Redis); rate limiting uses it too.
    redis = providers.Singleton(make_redis, settings)
    # Origin guards: state shared by the HTTP origin and the /health/* routes, per process.
    tenant_domains = providers.Singleton(
        lambda settings: TenantDomains(enabled=bool(settings.tenant_domains_url)),
        settings,
    )
    origin_hosts = providers.Singleton(make_origin_hosts, live_settings, tenant_domains)
    circuits = providers.Singleton(
        lambda settings, clock, metrics: OriginCircuits(breaker_policy(settings), clock, metrics),
        settings,
        clock,
        metrics,
    )


class Adapters(containers.DeclarativeContainer):
    """Concrete implementations of the ports."""

    core = providers.DependenciesContainer()
    resolver = providers.Singleton(SystemHostResolver)
    tenant_domain_source = providers.Singleton(make_tenant_domain_source, core.settings)
    origin = providers.Singleton(
        make_origin, core.settings, core.origin_hosts, core.circuits, resolver
    )
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
        ttl=core.settings.provided.CACHE_MEMORY_TTL,
    )
    disk_cache = providers.Singleton(DiskResultCache, core.settings.provided.CACHE_FILE_DIRECTORY)
    result_cache = providers.Singleton(
        TieredResultCache,
        providers.Callable(present, memory_cache, redis_cache, disk_cache),
        core.metrics,
    )

    # abuse protection: the processor behind the render queue, rate-limit counters, load
    render_gate = providers.Singleton(make_render_gate, processor, core.settings, core.metrics)
    rate_limiter = providers.Singleton(make_rate_limiter, core.settings, core.redis, core.clock)
    load_gauge = providers.Singleton(SystemLoadGauge, render_gate.provided.queue_fill)


class UseCases(containers.DeclarativeContainer):
    """The application's use cases, wired to the adapters."""

    core = providers.DependenciesContainer()
    adapters = providers.DependenciesContainer()
    serve_image = providers.Singleton(
        ServeImage,
        cache=adapters.result_cache,
        origin=adapters.origin,
        processor=adapters.render_gate,
        clock=core.clock,
        allowed_hosts=core.origin_hosts,
        fallback_original=providers.Callable(FALLBACK_IMAGE.read_bytes),
        shared=providers.Singleton(
            SharedCaching,
            flight=providers.Singleton(make_shared_flight, adapters.work_leases, core.settings),
            missing=adapters.negative_cache,
            missing_seconds=core.settings.provided.CACHE_IMAGE_NEGATIVE_TTL,
            access=adapters.access_counter,
        ),
        metrics=core.metrics,
        originals=core.original_fetches,
    )

    # Origin guards: keeps the tenants' domains current (None when no list is configured).
    refresh_tenant_domains = providers.Singleton(
        make_tenant_refresh, adapters.tenant_domain_source, core.tenant_domains, core.clock
    )

    # abuse protection: rate limits that tighten under load
    admit_request = providers.Singleton(
        make_admit_request,
        core.live_settings,
        adapters.rate_limiter,
        adapters.load_gauge,
        core.metrics,
        core.tenant_domains,
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
        min_accesses=core.settings.provided.CACHE_WARMING_THRESHOLD,
    )


# -- operations: metrics, health, monitoring, lifecycle ----------------------------------------


def disk_limits(live: LiveSettings) -> Callable[[], UsageLimits]:
    """The disk indicator's thresholds, read from the settings in force at each check."""
    return lambda: UsageLimits(
        live.current.HEALTH_DISK_WARN_PERCENT, live.current.HEALTH_DISK_DOWN_PERCENT
    )


def memory_limits(live: LiveSettings) -> Callable[[], UsageLimits]:
    """The memory indicator's thresholds, read from the settings in force at each check."""
    return lambda: UsageLimits(
        live.current.HEALTH_MEMORY_WARN_PERCENT, live.current.HEALTH_MEMORY_DOWN_PERCENT
    )


def performance_limits(live: LiveSettings) -> Callable[[], PerformanceLimits]:
    """The performance watch's limits, read from the settings in force at each evaluation."""

    def limits() -> PerformanceLimits:
        settings = live.current
        return PerformanceLimits(
            window_seconds=settings.PERFORMANCE_WINDOW,
            min_samples=settings.PERFORMANCE_MIN_SAMPLES,
            degradation_factor=settings.PERFORMANCE_DEGRADATION_FACTOR,
            thresholds={
                phase: ms / 1000 for phase, ms in settings.PERFORMANCE_THRESHOLDS_MS.items()
            },
        )

    return limits


def milliseconds_of(live: LiveSettings, name: str) -> Callable[[], float]:
    """A setting in milliseconds, as seconds, read from the settings in force at each use."""
    return lambda: float(getattr(live.current, name)) / 1000


def make_origin_indicator(settings: Settings, allowed_hosts: OriginHosts) -> HealthIndicator:
    """The directory check for a file:// origin, the allow-list check for an HTTP one."""
    directory = settings.backend_directory
    if directory is not None:
        return LocalDirectoryOriginIndicator(directory)
    return ConfiguredOriginIndicator(settings.backend_host, allowed_hosts)


def make_upstream_indicator(settings: Settings) -> HealthIndicator | None:
    """Probes of HTTP_HEALTH_CHECK_URLS, or None when none are configured."""
    if not settings.HTTP_HEALTH_CHECK_URLS:
        return None
    return HttpxProbeIndicator(
        settings.HTTP_HEALTH_CHECK_URLS, timeout=settings.HTTP_HEALTH_CHECK_TIMEOUT / 1000
    )


class Operations(containers.DeclarativeContainer):
    """What runs the service in production: metrics, health, monitoring, the node's lifecycle."""

    core = providers.DependenciesContainer()
    adapters = providers.DependenciesContainer()
    use_cases = providers.DependenciesContainer()
    lifecycle = providers.Singleton(Lifecycle)
    disk_space = providers.Singleton(StatvfsDiskSpace)
    process_stats = providers.Singleton(ProcfsProcessStats)
    performance_watch = providers.Singleton(
        PerformanceWatch,
        limits=providers.Callable(performance_limits, core.live_settings),
        clock=core.clock,
        metrics=core.metrics,
    )
    resource_sampler = providers.Singleton(
        ResourceSampler,
        process=process_stats,
        disk=disk_space,
        directory=core.settings.provided.CACHE_FILE_DIRECTORY,
        metrics=core.metrics,
    )
    monitoring = providers.Singleton(
        Monitoring,
        resource_sampler,
        performance_watch,
        providers.Callable(milliseconds_of, core.live_settings, "MONITORING_INTERVAL"),
        providers.Callable(milliseconds_of, core.live_settings, "MONITORING_PERFORMANCE_INTERVAL"),
    )
    # One line per indicator; other parts of the service register theirs here.
    health_indicators = providers.List(
        providers.Singleton(
            DiskSpaceIndicator,
            disk_space,
            core.settings.provided.CACHE_FILE_DIRECTORY,
            providers.Callable(disk_limits, core.live_settings),
        ),
        providers.Singleton(
            WritableDirectoryIndicator, core.settings.provided.CACHE_FILE_DIRECTORY
        ),
        providers.Singleton(
            MemoryIndicator, process_stats, providers.Callable(memory_limits, core.live_settings)
        ),
        providers.Singleton(
            MemoryResultCacheIndicator,
            adapters.memory_cache,
            max_bytes=core.settings.provided.CACHE_MEMORY_MAX_SIZE,
            max_keys=core.settings.provided.CACHE_MEMORY_MAX_KEYS,
            warn_percent=core.settings.provided.CACHE_MEMORY_WARNING_THRESHOLD,
        ),
        providers.Singleton(PillowCodecsIndicator),
        providers.Singleton(make_origin_indicator, core.settings, core.origin_hosts),
        providers.Singleton(PerformanceIndicator, performance_watch),
        providers.Singleton(CacheLayersIndicator, adapters.result_cache),
        providers.Singleton(OriginBreakerIndicator, core.circuits),
        providers.Singleton(
            RedisIndicator,
            providers.Selector(
                adapters.shared_state,
                redis=adapters.redis_circuit,
                memory=providers.Object(None),
            ),
            providers.Selector(
                adapters.shared_state,
                redis=adapters.flush_broadcast,
                memory=providers.Object(None),
            ),
        ),
    )
    check_health = providers.Singleton(
        CheckHealth,
        providers.Callable(
            lambda indicators, probes: [*indicators, *present(probes)],
            health_indicators,
            providers.Singleton(make_upstream_indicator, core.settings),
        ),
        timeout=providers.Callable(milliseconds_of, core.live_settings, "HEALTH_CHECK_TIMEOUT"),
    )


class Container(containers.DeclarativeContainer):
    """Everything the service is made of, for one settings object."""

    settings = providers.Dependency(instance_of=Settings)
    core = providers.Container(Core, settings=settings)
    adapters = providers.Container(Adapters, core=core)
    use_cases = providers.Container(UseCases, core=core, adapters=adapters)
    operations = providers.Container(Operations, core=core, adapters=adapters, use_cases=use_cases)
    # the opt-in features of ADR 24: the info route, signed URLs, presets
    features = providers.Container(Features, core=core, adapters=adapters)


def build_container(settings: Settings) -> Container:
    """A container for `settings`; call providers to build (and then `close_container`)."""
    return Container(settings=providers.Object(settings))


async def close_container(container: Container) -> None:
    """Release what the container built: pooled clients, the image pool, pending cache copies."""
    await container.operations.monitoring().stop()
    await container.adapters.result_cache().drain()
    await container.adapters.origin().close()
    await container.adapters.processor().close()
    container.core.image_pool().shutdown(wait=False, cancel_futures=True)
    metrics = container.core.metrics()
    if isinstance(metrics, PrometheusMetrics):
        metrics.close()
    # The shared cache: unsent access counts go out before the Redis client closes.
    await container.adapters.flush_broadcast().close()
    await container.adapters.access_counter().close()
    # abuse protection: the limiter's counters and the load probe, before the Redis client
    await container.use_cases.admit_request().close()
    redis = container.core.redis()
    if redis is not None:
        await redis.aclose()
    tenant_domain_source = container.adapters.tenant_domain_source()
    if tenant_domain_source is not None:
        await tenant_domain_source.close()
