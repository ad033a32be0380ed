"""Use case: the cache figures anyone may read (the playground's status panel, ADR 29).

Aggregates only: per layer hits, misses and hit ratio since the node started, what the memory
tier holds, and what the disk holds by the access index. No key, tenant, path or setting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from application.errors import AccessIndexUnavailable
from application.storage_usage import MeasureStorage
from application.tiered_cache import LayerCounters, TieredResultCache
from domain.storage import Footprint, StorageLevel


@dataclass(frozen=True, slots=True)
class MemoryFigures:
    """What the memory tier holds now, against its bound (CACHE_MEMORY_MAX_SIZE)."""

    bytes: int
    entries: int
    max_bytes: int


@dataclass(frozen=True, slots=True)
class StoredFigures:
    """What the disk tier holds, and its level against the STORAGE_* thresholds."""

    used: Footprint
    level: StorageLevel


@dataclass(frozen=True, slots=True)
class CacheFigures:
    """Hits and misses per layer (`memory`, `redis`, `disk`, fastest first), the memory tier's
    bytes and entries, and the disk's (None without an access index or while it is down)."""

    layers: dict[str, LayerCounters]
    memory: MemoryFigures
    stored: StoredFigures | None


class ReportCacheFigures:
    """Read the node's cache figures; never fails because the access index is down."""

    def __init__(
        self,
        cache: TieredResultCache,
        memory: Callable[[], MemoryFigures],
        measure: MeasureStorage | None = None,
    ) -> None:
        self._cache = cache
        self._memory = memory
        self._measure = measure

    async def __call__(self) -> CacheFigures:
        return CacheFigures(self._cache.counters(), self._memory(), await self._stored())

    async def _stored(self) -> StoredFigures | None:
        if self._measure is None:
            return None
        try:
            report = await self._measure()
        except AccessIndexUnavailable:
            return None
        return StoredFigures(report.used, report.level)
