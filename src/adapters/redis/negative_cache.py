"""Missing originals remembered in Redis, so no node asks the origin for them meanwhile."""

from __future__ import annotations

from redis.asyncio import Redis

from adapters.redis.circuit import RedisCircuit
from adapters.redis.keys import RedisKeys
from adapters.redis.scan import unlink_matching
from application.ports.negative_cache import NegativeCache
from domain.request import ImageSource


class RedisNegativeCache(NegativeCache):
    """One small key per missing original, expiring by itself (`SET ... PX`, read by `PTTL`).

    While Redis is away nothing is remembered here (the in-process layer still is).
    """

    def __init__(self, circuit: RedisCircuit, keys: RedisKeys) -> None:
        self._circuit = circuit
        self._keys = keys

    async def remember(self, source: ImageSource, seconds: float) -> None:
        if seconds <= 0:
            return
        name, ms = self._keys.missing(source), max(1, int(seconds * 1000))
        await self._circuit.call(lambda client: client.set(name, b"1", px=ms), None)

    async def remaining(self, source: ImageSource) -> float | None:
        name = self._keys.missing(source)

        async def time_left(client: Redis) -> int:
            return await client.pttl(name)

        ms = await self._circuit.call(time_left, otherwise=-2)
        return ms / 1000 if ms > 0 else None

    async def forget_tenant(self, tenant: str) -> int:
        pattern = self._keys.missing_of(tenant)
        return await self._circuit.require(lambda client: unlink_matching(client, pattern))
