"""HTTP adapters: originals from the shop's origin, the tenants' domain list, upstream probes."""

from adapters.httpx.guarded_network import AddressRefused, GuardedNetworkBackend
from adapters.httpx.health import HttpxProbeIndicator
from adapters.httpx.origin_fetcher import HttpxOriginFetcher, OriginTimeouts
from adapters.httpx.resolver import SystemHostResolver
from adapters.httpx.tenant_domain_source import HttpxTenantDomainSource

__all__ = [
    "AddressRefused",
    "GuardedNetworkBackend",
    "HttpxOriginFetcher",
    "HttpxProbeIndicator",
    "HttpxTenantDomainSource",
    "OriginTimeouts",
    "SystemHostResolver",
]
