"""The fastest result cache layer: a tenant-fair LRU map bounded by bytes and by entries."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from application.ports.result_cache import LayerUsage, ResultCache
from domain.request import ResultKey
from domain.result import CacheLayer, ImageResult


@dataclass(frozen=True, slots=True)
class CacheStats:
    """A snapshot of a memory cache: its counters since creation and what it holds now."""

    hits: int
    misses: int
    evictions: int
    entries: int
    size: int


@dataclass(slots=True)
class _Shelf:
    """One tenant's entries, least recently used first, and their total size."""

    entries: OrderedDict[ResultKey, ImageResult] = field(default_factory=OrderedDict)
    size: int = 0


class MemoryResultCache(ResultCache):
    """Keeps results in process memory; when full, evicts from the tenant holding the most.

    Bounded by `max_bytes` (sum of the results' sizes) and `max_keys`; a bound of 0 stores
    nothing, and a result larger than `max_bytes` is never stored. When a bound is exceeded,
    the victim is the least recently used entry of the tenant holding the most bytes (or the
    most entries, for the key bound): that tenant is the furthest above its fair share, the
    bound divided by the tenants present, so one busy tenant cannot push the others out
    (ADR 7). The entry just stored is never its own victim. With one tenant this is plain LRU.

    `get` and `put` are O(1) plus O(tenants) per eviction; `delete_tenant` is O(that tenant's
    entries). Not thread-safe: it is used from one event loop.

    With `ttl` (seconds, 0 = none) an entry is dropped when read after it has been held that
    long (`CACHE_MEMORY_TTL`), so a long-lived node refreshes it from the layers below.

    `layer` is MEMORY unless told otherwise: tests use a second instance, standing in for
    the REDIS tier, as the shared layer of several simulated nodes.
    """

    def __init__(
        self,
        *,
        max_bytes: int,
        max_keys: int,
        layer: CacheLayer = CacheLayer.MEMORY,
        ttl: float = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_bytes < 0 or max_keys < 0:
            raise ValueError(f"cache bounds must be >= 0, got {max_bytes=} {max_keys=}")
        self._max_bytes = max_bytes
        self._max_keys = max_keys
        self._layer = layer
        self._ttl = ttl
        self._clock = clock
        self._expires: dict[ResultKey, float] = {}
        self._shelves: dict[str, _Shelf] = {}
        self._size = 0
        self._count = 0
        self._hits = 0
        self._misses = 0
        self._evictions = 0

    @property
    def layer(self) -> CacheLayer:
        return self._layer

    @property
    def max_bytes(self) -> int:
        return self._max_bytes

    @property
    def max_keys(self) -> int:
        return self._max_keys

    async def get(self, key: ResultKey) -> ImageResult | None:
        shelf = self._shelves.get(key.tenant)
        result = shelf.entries.get(key) if shelf is not None else None
        if shelf is None or result is None or self._expired(key):
            self._misses += 1
            return None
        shelf.entries.move_to_end(key)
        self._hits += 1
        return result

    async def put(self, key: ResultKey, result: ImageResult) -> None:
        # The old value goes even when the new one is not kept: it must never be served again.
        self._remove(key)
        if result.size > self._max_bytes or self._max_keys == 0:
            return
        shelf = self._shelves.setdefault(key.tenant, _Shelf())
        shelf.entries[key] = result
        if self._ttl > 0:
            self._expires[key] = self._clock() + self._ttl
        shelf.size += result.size
        self._size += result.size
        self._count += 1
        while self._size > self._max_bytes or self._count > self._max_keys:
            self._evict_one(spare=key)

    async def contains(self, key: ResultKey) -> bool:
        shelf = self._shelves.get(key.tenant)
        return shelf is not None and key in shelf.entries and not self._expired(key)

    async def delete_tenant(self, tenant: str) -> int:
        shelf = self._shelves.pop(tenant, None)
        if shelf is None:
            return 0
        for key in shelf.entries:
            self._expires.pop(key, None)
        self._size -= shelf.size
        self._count -= len(shelf.entries)
        return len(shelf.entries)

    async def usage(self) -> LayerUsage:
        return LayerUsage(entries=self._count, bytes=self._size)

    async def clear(self) -> int:
        """Drop every entry; answer how many there were."""
        dropped = self._count
        self._shelves.clear()
        self._expires.clear()
        self._size = self._count = 0
        return dropped

    def stats(self) -> CacheStats:
        """The counters and current occupancy."""
        return CacheStats(
            hits=self._hits,
            misses=self._misses,
            evictions=self._evictions,
            entries=self._count,
            size=self._size,
        )

    def tenant_sizes(self) -> dict[str, int]:
        """Bytes held per tenant, largest first."""
        ranked = sorted(self._shelves.items(), key=lambda item: item[1].size, reverse=True)
        return {tenant: shelf.size for tenant, shelf in ranked}

    def _expired(self, key: ResultKey) -> bool:
        """Whether `key` has outlived the ttl; an expired entry is removed."""
        expires = self._expires.get(key)
        if expires is None or expires > self._clock():
            return False
        self._remove(key)
        return True

    def _evict_one(self, spare: ResultKey) -> None:
        by_bytes = self._size > self._max_bytes
        candidates = [
            shelf
            for shelf in self._shelves.values()
            if len(shelf.entries) > 1 or spare not in shelf.entries
        ]
        victim = max(candidates, key=lambda s: s.size if by_bytes else len(s.entries))
        # `spare` was stored last, so it is never the oldest of a shelf holding others.
        self._remove(next(iter(victim.entries)))
        self._evictions += 1

    def _remove(self, key: ResultKey) -> None:
        self._expires.pop(key, None)
        shelf = self._shelves.get(key.tenant)
        removed = shelf.entries.pop(key, None) if shelf is not None else None
        if shelf is None or removed is None:
            return
        shelf.size -= removed.size
        self._size -= removed.size
        self._count -= 1
        if not shelf.entries:
            del self._shelves[key.tenant]
