"""In-memory adapters: real implementations of the ports that keep everything in the process.

The embedded default uses some of them (the memory result cache, the system clock); tests use
them instead of mocks.
"""

from adapters.memory.clock import FixedClock, SystemClock
from adapters.memory.host_resolver import MemoryHostResolver
from adapters.memory.origin_fetcher import MemoryOriginFetcher
from adapters.memory.result_cache import CacheStats, MemoryResultCache
from adapters.memory.tenant_domain_source import MemoryTenantDomainSource

__all__ = [
    "CacheStats",
    "FixedClock",
    "MemoryHostResolver",
    "MemoryOriginFetcher",
    "MemoryResultCache",
    "MemoryTenantDomainSource",
    "SystemClock",
]
