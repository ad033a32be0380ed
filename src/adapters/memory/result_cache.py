"""The fastest result cache layer: a least-recently-used map bounded by bytes and by entries."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from application.ports.result_cache import ResultCache
from domain.request import ResultKey
from domain.result import CacheStatus, ImageResult


@dataclass(frozen=True, slots=True)
class CacheStats:
    """A snapshot of a memory cache: its counters since creation and what it holds now."""

    hits: int
    misses: int
    evictions: int
    entries: int
    size: int


class MemoryResultCache(ResultCache):
    """Keeps results in process memory, evicting the least recently used first.

    Bounded by `max_bytes` (sum of the results' sizes) and `max_keys`; a bound of 0 stores
    nothing, and a result larger than `max_bytes` is never stored. `get` and `put` are O(1);
    `delete_tenant` scans every entry (rare, administrative). Not thread-safe: it is used from
    one event loop.
    """

    def __init__(self, *, max_bytes: int, max_keys: int) -> None:
        if max_bytes < 0 or max_keys < 0:
            raise ValueError(f"cache bounds must be >= 0, got {max_bytes=} {max_keys=}")
        self._max_bytes = max_bytes
        self._max_keys = max_keys
        self._entries: OrderedDict[ResultKey, ImageResult] = OrderedDict()
        self._size = 0
        self._hits = 0
        self._misses = 0
        self._evictions = 0

    @property
    def hit_status(self) -> CacheStatus:
        return CacheStatus.HIT_MEMORY

    async def get(self, key: ResultKey) -> ImageResult | None:
        result = self._entries.get(key)
        if result is None:
            self._misses += 1
            return None
        self._entries.move_to_end(key)
        self._hits += 1
        return result

    async def put(self, key: ResultKey, result: ImageResult) -> None:
        # The old value goes even when the new one is not kept: it must never be served again.
        self._remove(key)
        if result.size > self._max_bytes or self._max_keys == 0:
            return
        self._entries[key] = result
        self._size += result.size
        while self._size > self._max_bytes or len(self._entries) > self._max_keys:
            _, evicted = self._entries.popitem(last=False)
            self._size -= evicted.size
            self._evictions += 1

    async def delete_tenant(self, tenant: str) -> int:
        doomed = [key for key in self._entries if key.tenant == tenant]
        for key in doomed:
            self._remove(key)
        return len(doomed)

    def stats(self) -> CacheStats:
        """The counters and current occupancy."""
        return CacheStats(
            hits=self._hits,
            misses=self._misses,
            evictions=self._evictions,
            entries=len(self._entries),
            size=self._size,
        )

    def _remove(self, key: ResultKey) -> None:
        removed = self._entries.pop(key, None)
        if removed is not None:
            self._size -= removed.size
