"""The composition root: the one place that picks concrete adapters and wires the use cases.

HTTP, CLI and tests all build a `Container`; tests swap adapters with `provider.override(...)`.
Nothing here connects or reads the environment until a provider is called.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dependency_injector import containers, providers

from adapters.disk import DiskResultCache
from adapters.httpx import (
    HttpxOriginFetcher,
    HttpxTenantDomainSource,
    OriginTimeouts,
    SystemHostResolver,
)
from adapters.localdir import LocalDirectoryOriginFetcher
from adapters.memory import MemoryResultCache, SystemClock
from adapters.pillow import PillowImageProcessor
from application.origin_circuits import OriginCircuits
from application.origin_hosts import OriginHosts
from application.ports.clock import Clock
from application.ports.host_resolver import HostResolver
from application.ports.origin_fetcher import OriginFetcher
from application.ports.tenant_domain_source import TenantDomainSource
from application.serve_image import ServeImage
from application.tenant_domains import RefreshTenantDomains, TenantDomains
from application.tiered_cache import TieredResultCache
from domain.breaker import BreakerPolicy
from domain.originals import SourceByteCaps
from domain.policy import HostAllowList
from domain.retry import RetryPolicy
from entrypoints.settings import Settings

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
        circuits=circuits,
        retry=retry_policy(settings),
        caps=source_caps(settings),
        timeouts=OriginTimeouts(
            connect=settings.HTTP_CONNECT_TIMEOUT / 1000,
            read=settings.HTTP_READ_TIMEOUT / 1000,
            pool=settings.HTTP_POOL_TIMEOUT / 1000,
            total=settings.EXTERNAL_REQUEST_TIMEOUT / 1000,
        ),
        max_connections=settings.HTTP_POOL_MAX_SOCKETS,
    )


def retry_policy(settings: Settings) -> RetryPolicy:
    """HTTP_MAX_RETRIES, HTTP_RETRY_DELAY and HTTP_MAX_RETRY_DELAY (ms) as a policy."""
    return RetryPolicy(
        max_retries=settings.HTTP_MAX_RETRIES,
        base_delay=settings.HTTP_RETRY_DELAY / 1000,
        max_delay=settings.HTTP_MAX_RETRY_DELAY / 1000,
    )


def breaker_policy(settings: Settings) -> BreakerPolicy:
    """The HTTP_CIRCUIT_BREAKER_* settings (durations in ms) as a policy."""
    return BreakerPolicy(
        window=settings.HTTP_CIRCUIT_BREAKER_MONITORING_PERIOD / 1000,
        minimum_requests=settings.HTTP_CIRCUIT_BREAKER_MIN_REQUESTS,
        failure_percentage=settings.HTTP_CIRCUIT_BREAKER_FAILURE_THRESHOLD,
        open_for=settings.HTTP_CIRCUIT_BREAKER_RESET_TIMEOUT / 1000,
        half_open_probes=settings.HTTP_CIRCUIT_BREAKER_HALF_OPEN_REQUESTS,
    )


def source_caps(settings: Settings) -> SourceByteCaps:
    """The per-format MAX_SOURCE_BYTES_* caps; MAX_SOURCE_BYTES for every other format."""
    return SourceByteCaps(
        jpeg=settings.MAX_SOURCE_BYTES_JPEG,
        png=settings.MAX_SOURCE_BYTES_PNG,
        webp=settings.MAX_SOURCE_BYTES_WEBP,
        gif=settings.MAX_SOURCE_BYTES_GIF,
        svg=settings.MAX_SOURCE_BYTES_SVG,
        other=settings.MAX_SOURCE_BYTES,
    )


def make_origin_hosts(settings: Settings, tenants: TenantDomains) -> OriginHosts:
    """VALIDATION_ALLOWED_DOMAINS (or the BACKEND_URL host) and the tenants' domains."""
    return OriginHosts(HostAllowList.of(settings.allowed_domains), tenants)


def make_tenant_domain_source(settings: Settings) -> TenantDomainSource | None:
    """The tenant-domain list at TENANT_DOMAINS_REFRESH_URL, or None when that is unset."""
    if not settings.TENANT_DOMAINS_REFRESH_URL:
        return None
    return HttpxTenantDomainSource(
        settings.TENANT_DOMAINS_REFRESH_URL,
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


class Core(containers.DeclarativeContainer):
    """Settings and the process-wide resources built from them."""

    settings = providers.Dependency(instance_of=Settings)
    clock = providers.Singleton(SystemClock)
    image_pool = providers.Singleton(
        ThreadPoolExecutor,
        max_workers=settings.provided.IMAGE_WORKER_THREADS,
        thread_name_prefix="pillow",
    )

    # Origin guards: state shared by the HTTP origin and the /health/* routes, per process.
    tenant_domains = providers.Singleton(
        lambda settings: TenantDomains(enabled=bool(settings.TENANT_DOMAINS_REFRESH_URL)),
        settings,
    )
    origin_hosts = providers.Singleton(make_origin_hosts, settings, tenant_domains)
    circuits = providers.Singleton(
        lambda settings, clock: OriginCircuits(breaker_policy(settings), clock), settings, clock
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
    )
    memory_cache = providers.Singleton(
        MemoryResultCache,
        max_bytes=core.settings.provided.CACHE_MEMORY_MAX_SIZE,
        max_keys=core.settings.provided.CACHE_MEMORY_MAX_KEYS,
    )
    disk_cache = providers.Singleton(DiskResultCache, core.settings.provided.CACHE_FILE_DIRECTORY)
    result_cache = providers.Singleton(TieredResultCache, providers.List(memory_cache, disk_cache))


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
        allowed_hosts=core.origin_hosts,
        fallback_original=providers.Callable(FALLBACK_IMAGE.read_bytes),
    )

    # Origin guards: keeps the tenants' domains current (None when no list is configured).
    refresh_tenant_domains = providers.Singleton(
        make_tenant_refresh, adapters.tenant_domain_source, core.tenant_domains, core.clock
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
    tenant_domain_source = container.adapters.tenant_domain_source()
    if tenant_domain_source is not None:
        await tenant_domain_source.close()
