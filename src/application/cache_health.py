"""Health of the result cache as a whole: hits and misses of every layer."""

from __future__ import annotations

from application.ports.health import Detail, HealthIndicator, HealthReport, HealthStatus
from application.tiered_cache import TieredResultCache


class CacheLayersIndicator(HealthIndicator):
    """`cache`: always `up` (a failing layer is reported by its own indicator), with counters."""

    def __init__(self, cache: TieredResultCache) -> None:
        self._cache = cache

    @property
    def name(self) -> str:
        return "cache"

    async def check(self) -> HealthReport:
        details: dict[str, Detail] = {}
        for layer, counters in self._cache.counters().items():
            details[f"{layer}Hits"] = counters.hits
            details[f"{layer}Misses"] = counters.misses
        return HealthReport(HealthStatus.UP, details)
