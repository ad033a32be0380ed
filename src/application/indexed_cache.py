"""The disk layer and the access counter, as seen through the access index (ADR 22)."""

from __future__ import annotations

import asyncio
import logging

from application.access_recorder import AccessRecorder
from application.errors import AccessIndexUnavailable, CacheUnavailable
from application.ports.access_counter import AccessCounter
from application.ports.access_index import AccessIndex
from application.ports.clock import Clock
from application.ports.result_cache import LayerUsage, ResultCache
from application.ports.result_files import ResultFiles
from application.provenance import current
from domain.request import ResultKey
from domain.result import CacheLayer, ImageResult
from domain.storage import StoredResult

log = logging.getLogger(__name__)


class IndexedResultCache(ResultCache):
    """A layer (the disk) whose stores are recorded in the access index.

    After a write, the file's size is read back: a write the layer dropped (disk full) makes
    no row. A tenant's removal drops its pending stores.
    """

    def __init__(
        self,
        layer: ResultCache,
        files: ResultFiles,
        recorder: AccessRecorder,
        index: AccessIndex,
        clock: Clock,
    ) -> None:
        self._layer = layer
        self._files = files
        self._recorder = recorder
        self._index = index
        self._clock = clock

    @property
    def layer(self) -> CacheLayer:
        return self._layer.layer

    async def get(self, key: ResultKey) -> ImageResult | None:
        return await self._layer.get(key)

    async def put(self, key: ResultKey, result: ImageResult) -> None:
        await self._layer.put(key, result)
        size = await asyncio.to_thread(self._files.size, key)
        if size is None:
            return
        made = current()
        now = self._clock.now()
        self._recorder.stored(
            StoredResult(
                key,
                result.format.value,
                size,
                created_at=now,
                last_access_at=now,
                cost_seconds=made.cost_seconds if made else 0.0,
                source=made.source if made else "",
            )
        )

    async def contains(self, key: ResultKey) -> bool:
        return await self._layer.contains(key)

    async def delete_tenant(self, tenant: str) -> int:
        # The rows go with the flush's `AccessCounter.forget_tenant` (which reports their
        # count); a node told of another's flush leaves them to cleanup's orphan rows.
        removed = await self._layer.delete_tenant(tenant)
        self._recorder.forget_stores(tenant)
        return removed

    async def usage(self) -> LayerUsage:
        return await self._layer.usage()


class IndexedAccessCounter(AccessCounter):
    """Accesses counted by the recorder into the access index; the most popular are the
    index's top rows by decayed score (what warming copies upwards)."""

    def __init__(self, recorder: AccessRecorder, index: AccessIndex) -> None:
        self._recorder = recorder
        self._index = index

    def record(self, key: ResultKey) -> None:
        self._recorder.hit(key)

    async def top(self, limit: int, min_count: int = 1) -> list[ResultKey]:
        await self._recorder.flush()
        try:
            return await self._index.top(limit, min_count)
        except AccessIndexUnavailable:
            log.warning("no warming candidates: the access index is away")
            return []

    async def forget_tenant(self, tenant: str) -> int:
        pending = self._recorder.forget_tenant(tenant)
        try:
            return max(pending, await self._index.forget_tenant(tenant))
        except AccessIndexUnavailable as exc:
            raise CacheUnavailable(str(exc)) from exc

    async def close(self) -> None:
        await self._recorder.stop()
