"""Health of the in-memory result cache layer."""

from __future__ import annotations

from adapters.memory.result_cache import MemoryResultCache
from application.ports.health import HealthIndicator, HealthReport, HealthStatus


class MemoryResultCacheIndicator(HealthIndicator):
    """`memory_cache`: always `up` (it cannot fail), with its occupancy and hit ratio."""

    def __init__(self, cache: MemoryResultCache, *, max_bytes: int, max_keys: int) -> None:
        self._cache = cache
        self._max_bytes = max_bytes
        self._max_keys = max_keys

    @property
    def name(self) -> str:
        return "memory_cache"

    async def check(self) -> HealthReport:
        stats = self._cache.stats()
        lookups = stats.hits + stats.misses
        return HealthReport(
            HealthStatus.UP,
            {
                "entries": stats.entries,
                "maxEntries": self._max_keys,
                "bytes": stats.size,
                "maxBytes": self._max_bytes,
                "hits": stats.hits,
                "misses": stats.misses,
                "evictions": stats.evictions,
                "hitRatio": round(stats.hits / lookups, 4) if lookups else 0.0,
            },
        )
