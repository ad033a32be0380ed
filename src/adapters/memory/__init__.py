"""In-memory adapters: real implementations of the ports that keep everything in the process.

The embedded default uses some of them (the memory result cache, the system clock, and, with
no Redis, the negative cache, work leases, flush broadcast and access counter); tests use
them instead of mocks.
"""

from adapters.memory.access_counter import MemoryAccessCounter
from adapters.memory.clock import FixedClock, SystemClock
from adapters.memory.flush_broadcast import MemoryFlushBroadcast
from adapters.memory.host_resolver import MemoryHostResolver
from adapters.memory.negative_cache import MemoryNegativeCache
from adapters.memory.origin_fetcher import MemoryOriginFetcher
from adapters.memory.result_cache import CacheStats, MemoryResultCache
from adapters.memory.tenant_domain_source import MemoryTenantDomainSource
from adapters.memory.work_leases import MemoryWorkLeases

__all__ = [
    "CacheStats",
    "FixedClock",
    "MemoryAccessCounter",
    "MemoryFlushBroadcast",
    "MemoryHostResolver",
    "MemoryNegativeCache",
    "MemoryOriginFetcher",
    "MemoryResultCache",
    "MemoryTenantDomainSource",
    "MemoryWorkLeases",
    "SystemClock",
]
