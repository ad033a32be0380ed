"""Result cache layers that misbehave on purpose, for the tiered cache's tests.

Test-only features:

- `SlowResultCache` wraps a real layer and sleeps `put_delay` seconds before each write;
- `UnreachableResultCache` is a layer whose store is gone: reads miss, writes are dropped, and
  the administrative calls raise `CacheUnavailable`, as the Redis layer does with Redis away.
"""

from __future__ import annotations

import asyncio

from application.errors import CacheUnavailable
from application.ports.result_cache import LayerUsage, ResultCache
from domain.request import ResultKey
from domain.result import CacheLayer, ImageResult


class SlowResultCache(ResultCache):
    """A real layer whose writes take `put_delay` seconds."""

    def __init__(self, inner: ResultCache, put_delay: float) -> None:
        self.inner = inner
        self.put_delay = put_delay

    @property
    def layer(self) -> CacheLayer:
        return self.inner.layer

    async def get(self, key: ResultKey) -> ImageResult | None:
        return await self.inner.get(key)

    async def put(self, key: ResultKey, result: ImageResult) -> None:
        await asyncio.sleep(self.put_delay)
        await self.inner.put(key, result)

    async def contains(self, key: ResultKey) -> bool:
        return await self.inner.contains(key)

    async def delete_tenant(self, tenant: str) -> int:
        return await self.inner.delete_tenant(tenant)

    async def usage(self) -> LayerUsage:
        return await self.inner.usage()


class UnreachableResultCache(ResultCache):
    """A layer whose store cannot be reached."""

    def __init__(self, layer: CacheLayer = CacheLayer.REDIS) -> None:
        self._layer = layer

    @property
    def layer(self) -> CacheLayer:
        return self._layer

    async def get(self, key: ResultKey) -> ImageResult | None:
        return None

    async def put(self, key: ResultKey, result: ImageResult) -> None:
        return None

    async def contains(self, key: ResultKey) -> bool:
        return False

    async def delete_tenant(self, tenant: str) -> int:
        raise CacheUnavailable("the store is gone")

    async def usage(self) -> LayerUsage:
        raise CacheUnavailable("the store is gone")
