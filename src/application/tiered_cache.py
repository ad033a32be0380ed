"""The result cache as one thing: its layers read top-down, written all at once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from application.errors import CacheUnavailable
from application.ports.metrics import NO_METRICS, Metrics
from application.ports.result_cache import ResultCache
from application.timing import record
from domain.request import ResultKey
from domain.result import CacheStatus, ImageResult

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LayerCounters:
    """Lookups one layer answered with a result (hits) or without (misses)."""

    hits: int = 0
    misses: int = 0

    @property
    def hit_ratio(self) -> float | None:
        """hits / (hits + misses), None before the first lookup."""
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else None


def layer_name(layer: ResultCache) -> str:
    """`memory`, `redis` or `disk`: the tier's name in metrics and reports."""
    return layer.layer.value


class TieredResultCache:
    """Reads layers in order (fastest first); a hit below is copied into the layers above.

    The copy runs in the background, so a hit in a slow layer is answered at once. Writes go
    to every layer. Each layer's hits and misses are counted here, the same way for all.

    A tenant flush moves the tenant's epoch on; a write that began before (a result fetched
    from the origin before the flush, a copy of an entry read before it) is dropped, so a
    flush is never undone by work that was in flight.
    """

    def __init__(self, layers: Sequence[ResultCache], metrics: Metrics = NO_METRICS) -> None:
        self._layers = list(layers)
        self._metrics = metrics
        self._names = [layer_name(layer) for layer in self._layers]
        self._hits = dict.fromkeys(self._names, 0)
        self._misses = dict.fromkeys(self._names, 0)
        self._epochs: dict[str, int] = {}
        self._background: set[asyncio.Task[None]] = set()

    @property
    def layers(self) -> list[ResultCache]:
        return list(self._layers)

    async def get(
        self, key: ResultKey, *, counted: bool = True
    ) -> tuple[ImageResult, CacheStatus] | None:
        """The result and the layer that held it; `counted=False` for a re-check."""
        epoch = self.epoch(key.tenant)
        for depth, layer in enumerate(self._layers):
            started = time.perf_counter()
            result = await layer.get(key)
            outcome = "hit" if result else "miss"
            self._observe(self._names[depth], "get", outcome, started, counted=counted)
            if counted:
                counts = self._misses if result is None else self._hits
                counts[self._names[depth]] += 1
            if result is not None:
                if depth:
                    self._promote(key, result, self._layers[:depth], epoch)
                return result, layer.layer.hit
        return None

    async def put(self, key: ResultKey, result: ImageResult, *, epoch: int | None = None) -> None:
        """Store in every layer, unless the tenant was flushed since `epoch`."""
        if epoch is not None and epoch != self.epoch(key.tenant):
            log.info("not storing %s: its tenant was flushed while it was made", key)
            return
        await asyncio.gather(*(self._timed_put(layer, key, result) for layer in self._layers))

    async def _timed_put(self, layer: ResultCache, key: ResultKey, result: ImageResult) -> None:
        started = time.perf_counter()
        await layer.put(key, result)
        self._observe(layer_name(layer), "set", "success", started)

    def _observe(
        self, layer: str, operation: str, outcome: str, started: float, *, counted: bool = True
    ) -> None:
        """Time the call as the `cache` phase; count it unless it is a coalescing re-check."""
        seconds = time.perf_counter() - started
        record("cache", seconds)
        if counted:
            self._metrics.cache_operation(
                layer=layer, operation=operation, outcome=outcome, seconds=seconds
            )

    def epoch(self, tenant: str) -> int:
        """How many times `tenant` was flushed through this cache."""
        return self._epochs.get(tenant, 0)

    async def flush_tenant(
        self, tenant: str, layers: Sequence[ResultCache] | None = None
    ) -> dict[str, int | None]:
        """Remove `tenant` from `layers` (default: all): the count per layer name, None for a
        layer that could not be reached."""
        self._epochs[tenant] = self.epoch(tenant) + 1
        chosen = self._layers if layers is None else list(layers)
        counts = await asyncio.gather(*(_delete_tenant(layer, tenant) for layer in chosen))
        return {layer_name(layer): count for layer, count in zip(chosen, counts, strict=True)}

    async def warm(self, key: ResultKey) -> bool:
        """Copy `key` from the highest layer holding it into those above; True if it copied."""
        epoch = self.epoch(key.tenant)
        for depth, layer in enumerate(self._layers):
            if not await layer.contains(key):
                continue
            if depth == 0:
                return False
            result = await layer.get(key)
            if result is None:
                return False
            await self._copy(key, result, self._layers[:depth], epoch)
            return True
        return False

    def counters(self) -> dict[str, LayerCounters]:
        """Hits and misses per layer name, since start."""
        return {name: LayerCounters(self._hits[name], self._misses[name]) for name in self._names}

    async def drain(self) -> None:
        """Wait for copies still being made into upper layers."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    def _promote(
        self, key: ResultKey, result: ImageResult, upper: list[ResultCache], epoch: int
    ) -> None:
        if not upper:
            return
        task = asyncio.create_task(self._copy(key, result, upper, epoch))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _copy(
        self, key: ResultKey, result: ImageResult, upper: list[ResultCache], epoch: int
    ) -> None:
        if epoch != self.epoch(key.tenant):
            return
        try:
            await asyncio.gather(*(layer.put(key, result) for layer in upper))
        except Exception:
            log.exception("copying %s into upper cache layers failed", key)


async def _delete_tenant(layer: ResultCache, tenant: str) -> int | None:
    try:
        return await layer.delete_tenant(tenant)
    except CacheUnavailable:
        log.warning("flushing %s from the %s layer failed", tenant, layer_name(layer))
        return None
