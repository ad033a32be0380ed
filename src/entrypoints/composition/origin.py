"""Ring 3, origin: where originals come from, and the guards in front of it (allow-list,
tenants' domains, circuit breakers)."""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.httpx import (
    HttpxOriginFetcher,
    HttpxProbeIndicator,
    HttpxTenantDomainSource,
    OriginTimeouts,
    SystemHostResolver,
)
from adapters.localdir import LocalDirectoryOriginFetcher
from adapters.localdir.health import LocalDirectoryOriginIndicator
from application.health_indicators import ConfiguredOriginIndicator
from application.origin_admission import OriginAdmission
from application.origin_circuits import OriginCircuits
from application.origin_hosts import OriginHosts
from application.ports.clock import Clock
from application.ports.health import HealthIndicator
from application.ports.host_resolver import HostResolver
from application.ports.metrics import Metrics
from application.ports.origin_fetcher import OriginFetcher
from application.ports.tenant_domain_source import TenantDomainSource
from application.tenant_domains import RefreshTenantDomains, TenantDomains
from entrypoints.composition.resources import closing
from entrypoints.settings import LiveHostAllowList, LiveSettings, Settings
from entrypoints.settings.origin import breaker_policy, retry_policy, source_caps


def origin_fetcher(
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


def origin_hosts(live: LiveSettings, tenants: TenantDomains) -> OriginHosts:
    """VALIDATION_ALLOWED_DOMAINS (or the BACKEND_URL host), as reloaded, and tenants' domains."""
    return OriginHosts(LiveHostAllowList(live), tenants)


def origin_admission(
    settings: Settings, hosts: OriginHosts, live: LiveSettings, tenants: TenantDomains
) -> OriginAdmission:
    """The BACKEND_URL host against the allow-list, decided again on reloads and refreshes."""
    admission = OriginAdmission(settings.backend_host, hosts)
    live.subscribe(lambda _reloaded: admission.recheck())
    tenants.subscribe(admission.recheck)
    return admission


def tenant_domain_source(settings: Settings) -> TenantDomainSource | None:
    """The tenant-domain list (`Settings.tenant_domains_url`), or None when there is none."""
    if not settings.tenant_domains_url:
        return None
    return HttpxTenantDomainSource(
        settings.tenant_domains_url,
        settings.INTERNAL_DOMAINS_SECRET,
        timeout=settings.EXTERNAL_REQUEST_TIMEOUT / 1000,
    )


def tenant_refresh(
    source: TenantDomainSource | None, domains: TenantDomains, clock: Clock
) -> RefreshTenantDomains | None:
    """The refresh use case, or None when no tenant-domain list is configured."""
    if source is None:
        return None
    return RefreshTenantDomains(source=source, domains=domains, clock=clock)


def origin_indicator(settings: Settings, allowed_hosts: OriginHosts) -> HealthIndicator:
    """The directory check for a file:// origin, the allow-list check for an HTTP one."""
    directory = settings.backend_directory
    if directory is not None:
        return LocalDirectoryOriginIndicator(directory)
    return ConfiguredOriginIndicator(settings.backend_host, allowed_hosts)


def upstream_indicator(settings: Settings) -> HealthIndicator | None:
    """Probes of HTTP_HEALTH_CHECK_URLS, or None when none are configured."""
    if not settings.HTTP_HEALTH_CHECK_URLS:
        return None
    return HttpxProbeIndicator(
        settings.HTTP_HEALTH_CHECK_URLS, timeout=settings.HTTP_HEALTH_CHECK_TIMEOUT / 1000
    )


def origin_circuits(settings: Settings, clock: Clock, metrics: Metrics) -> OriginCircuits:
    return OriginCircuits(breaker_policy(settings), clock, metrics)


class Origin(containers.DeclarativeContainer):
    """The origin and its guards; the state here is per process."""

    core = providers.DependenciesContainer()
    tenant_domains = providers.Singleton(
        lambda settings: TenantDomains(enabled=bool(settings.tenant_domains_url)),
        core.settings,
    )
    hosts = providers.Singleton(origin_hosts, core.live_settings, tenant_domains)
    admission = providers.Singleton(
        origin_admission, core.settings, hosts, core.live_settings, tenant_domains
    )
    circuits = providers.Singleton(origin_circuits, core.settings, core.clock, core.metrics)
    resolver = providers.Singleton(SystemHostResolver)
    # Each `built_*` is the part as made (what tests override); the resource next to it is
    # what the other rings use, opened and closed by the container.
    built_fetcher = providers.Singleton(origin_fetcher, core.settings, hosts, circuits, resolver)
    fetcher = providers.Resource(closing, built_fetcher)
    built_tenant_domain_source = providers.Singleton(tenant_domain_source, core.settings)
    tenant_domain_source = providers.Resource(closing, built_tenant_domain_source)
    refresh_tenant_domains = providers.Singleton(
        tenant_refresh, tenant_domain_source, tenant_domains, core.clock
    )
    indicator = providers.Singleton(origin_indicator, core.settings, hosts)
    upstream_indicator = providers.Singleton(upstream_indicator, core.settings)
