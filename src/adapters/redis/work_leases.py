"""Work leases in Redis: `SET NX PX` to take, token-checked scripts to renew and release."""

from __future__ import annotations

import secrets

from redis.asyncio import Redis

from adapters.redis.circuit import RedisCircuit
from adapters.redis.keys import RedisKeys
from application.ports.work_leases import WorkLeases

# Only the holder (the token) may extend or drop a lease; the check and the change are one
# atomic step, so a lease that expired and was taken by another node is never touched.
RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class RedisWorkLeases(WorkLeases):
    """A lease is the key `{prefix}lease:{name}` holding a random token, with a TTL (ADR 8).

    Fails open, as the port says: while Redis is away every `acquire` is granted, so each node
    works on its own rather than waiting for a coordinator that is not there.
    """

    def __init__(self, circuit: RedisCircuit, keys: RedisKeys) -> None:
        self._circuit = circuit
        self._keys = keys
        self._renew = circuit.client.register_script(RENEW)
        self._release = circuit.client.register_script(RELEASE)

    async def acquire(self, name: str, seconds: float) -> str | None:
        token, key, ms = secrets.token_hex(16), self._keys.lease(name), _ms(seconds)

        async def take(client: Redis) -> bool:
            return bool(await client.set(key, token, nx=True, px=ms))

        return token if await self._circuit.call(take, otherwise=True) else None

    async def renew(self, name: str, token: str, seconds: float) -> bool:
        key, ms = self._keys.lease(name), _ms(seconds)

        async def extend(client: Redis) -> bool:
            return bool(await self._renew(keys=[key], args=[token, ms]) == 1)

        return await self._circuit.call(extend, otherwise=True)

    async def release(self, name: str, token: str) -> None:
        key = self._keys.lease(name)

        async def drop(client: Redis) -> None:
            await self._release(keys=[key], args=[token])

        await self._circuit.call(drop, otherwise=None)

    async def is_held(self, name: str) -> bool:
        key = self._keys.lease(name)

        async def held(client: Redis) -> bool:
            return await client.exists(key) > 0

        return await self._circuit.call(held, otherwise=False)


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))
