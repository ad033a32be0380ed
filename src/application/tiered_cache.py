"""The result cache as one thing: its layers read top-down, written all at once."""

from __future__ import annotations

import asyncio
import logging

from application.ports.result_cache import ResultCache
from domain.request import ResultKey
from domain.result import CacheStatus, ImageResult

log = logging.getLogger(__name__)


class TieredResultCache:
    """Reads layers in order (fastest first); a hit below is copied into the layers above."""

    def __init__(self, layers: list[ResultCache]) -> None:
        self._layers = layers
        self._background: set[asyncio.Task[None]] = set()

    async def get(self, key: ResultKey) -> tuple[ImageResult, CacheStatus] | None:
        for depth, layer in enumerate(self._layers):
            result = await layer.get(key)
            if result is not None:
                self._promote(key, result, self._layers[:depth])
                return result, layer.hit_status
        return None

    async def put(self, key: ResultKey, result: ImageResult) -> None:
        await asyncio.gather(*(layer.put(key, result) for layer in self._layers))

    async def delete_tenant(self, tenant: str) -> int:
        counts = await asyncio.gather(*(layer.delete_tenant(tenant) for layer in self._layers))
        return sum(counts)

    async def drain(self) -> None:
        """Wait for copies still being made into upper layers."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    def _promote(self, key: ResultKey, result: ImageResult, upper: list[ResultCache]) -> None:
        if not upper:
            return
        task = asyncio.create_task(self._copy(key, result, upper))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _copy(self, key: ResultKey, result: ImageResult, upper: list[ResultCache]) -> None:
        try:
            await asyncio.gather(*(layer.put(key, result) for layer in upper))
        except Exception:
            log.exception("copying %s into upper cache layers failed", key)
