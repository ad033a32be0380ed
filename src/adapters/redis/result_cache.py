"""The shared result cache layer: every node reads what any node stored."""

from __future__ import annotations

import logging
from typing import cast

from redis.asyncio import Redis

from adapters.redis.circuit import RedisCircuit
from adapters.redis.codec import CorruptValue, decode_result, encode_result
from adapters.redis.keys import RedisKeys
from adapters.redis.scan import measure_matching, unlink_matching
from application.ports.result_cache import LayerUsage, ResultCache
from domain.request import ResultKey
from domain.result import CacheLayer, ImageResult

log = logging.getLogger(__name__)


class RedisResultCache(ResultCache):
    """Keeps each result as one Redis value (see `codec`) that expires after `ttl` seconds.

    Serving never waits on a Redis that is away: through the `RedisCircuit`, a failure is a
    miss or a dropped write. A value that does not decode is deleted and is a miss.
    """

    def __init__(self, circuit: RedisCircuit, keys: RedisKeys, *, ttl: float) -> None:
        if ttl <= 0:
            raise ValueError(f"ttl must be > 0, got {ttl}")
        self._circuit = circuit
        self._keys = keys
        self._ttl_ms = max(1, int(ttl * 1000))

    @property
    def layer(self) -> CacheLayer:
        return CacheLayer.REDIS

    async def get(self, key: ResultKey) -> ImageResult | None:
        name = self._keys.result(key)

        async def read(client: Redis) -> bytes | None:
            return cast(bytes | None, await client.get(name))

        value = await self._circuit.call(read, otherwise=None)
        if value is None:
            return None
        try:
            return decode_result(value)
        except CorruptValue as exc:
            log.warning("dropping an unreadable cached result %s: %s", name, exc)
            await self._circuit.call(lambda client: client.unlink(name), otherwise=0)
            return None

    async def put(self, key: ResultKey, result: ImageResult) -> None:
        value = encode_result(result)
        name = self._keys.result(key)
        await self._circuit.call(lambda client: client.set(name, value, px=self._ttl_ms), None)

    async def contains(self, key: ResultKey) -> bool:
        name = self._keys.result(key)
        return bool(await self._circuit.call(lambda client: client.exists(name), otherwise=0))

    async def delete_tenant(self, tenant: str) -> int:
        pattern = self._keys.results_of(tenant)
        return await self._circuit.require(lambda client: unlink_matching(client, pattern))

    async def usage(self) -> LayerUsage:
        pattern = self._keys.results_of()
        count, total = await self._circuit.require(lambda client: measure_matching(client, pattern))
        return LayerUsage(entries=count, bytes=total)
