"""Health of the in-memory result cache layer."""

from __future__ import annotations

from adapters.memory.result_cache import MemoryResultCache
from application.ports.health import HealthIndicator, HealthReport, HealthStatus


class MemoryResultCacheIndicator(HealthIndicator):
    """`memory_cache`: `up` (it cannot fail), with its occupancy and hit ratio; `warn` once it
    holds `warn_percent` of either bound (`CACHE_MEMORY_WARNING_THRESHOLD`; 0 = never)."""

    def __init__(
        self, cache: MemoryResultCache, *, max_bytes: int, max_keys: int, warn_percent: float = 0
    ) -> None:
        self._cache = cache
        self._max_bytes = max_bytes
        self._max_keys = max_keys
        self._warn_percent = warn_percent

    @property
    def name(self) -> str:
        return "memory_cache"

    async def check(self) -> HealthReport:
        stats = self._cache.stats()
        lookups = stats.hits + stats.misses
        fill = max(_percent(stats.size, self._max_bytes), _percent(stats.entries, self._max_keys))
        warn = 0 < self._warn_percent <= fill
        return HealthReport(
            HealthStatus.WARN if warn else HealthStatus.UP,
            {
                "fillPercent": round(fill, 1),
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


def _percent(used: int, bound: int) -> float:
    return 100.0 * used / bound if bound > 0 else 0.0
