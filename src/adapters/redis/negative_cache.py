"""Missing originals remembered in Redis, so no node asks the origin for them meanwhile."""

from __future__ import annotations

from redis.asyncio import Redis

from adapters.redis.circuit import RedisCircuit
from adapters.redis.keys import RedisKeys
from adapters.redis.scan import unlink_matching
from application.ports.negative_cache import Missing, NegativeCache
from domain.request import ImageSource
from domain.result import FallbackReason


class RedisNegativeCache(NegativeCache):
    """One small key per missing original, expiring by itself (`SET ... PX`, read by `PTTL`).

    While Redis is away nothing is remembered here (the in-process layer still is).
    """

    def __init__(self, circuit: RedisCircuit, keys: RedisKeys) -> None:
        self._circuit = circuit
        self._keys = keys

    async def remember(
        self,
        source: ImageSource,
        seconds: float,
        reason: FallbackReason = FallbackReason.ORIGIN_NOT_FOUND,
    ) -> None:
        if seconds <= 0:
            return
        name, ms = self._keys.missing(source), max(1, int(seconds * 1000))
        value = reason.value.encode()
        await self._circuit.call(lambda client: client.set(name, value, px=ms), None)

    async def recall(self, source: ImageSource) -> Missing | None:
        name = self._keys.missing(source)

        async def read(client: Redis) -> tuple[bytes | None, int]:
            async with client.pipeline(transaction=False) as pipe:
                pipe.get(name)
                pipe.pttl(name)
                value, ms = await pipe.execute()
            return value, int(ms)

        nothing: tuple[bytes | None, int] = (None, -2)
        value, ms = await self._circuit.call(read, otherwise=nothing)
        if value is None or ms <= 0:
            return None
        return ms / 1000, _reason(value)

    async def remaining(self, source: ImageSource) -> float | None:
        missing = await self.recall(source)
        return None if missing is None else missing[0]

    async def forget_tenant(self, tenant: str) -> int:
        pattern = self._keys.missing_of(tenant)
        return await self._circuit.require(lambda client: unlink_matching(client, pattern))


def _reason(value: bytes) -> FallbackReason:
    """The stored reason; entries written before reasons were kept hold `1`: a 4xx."""
    try:
        return FallbackReason(value.decode())
    except (UnicodeDecodeError, ValueError):
        return FallbackReason.ORIGIN_NOT_FOUND
