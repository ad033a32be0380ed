"""Access counts in one Redis sorted set, shared by every node."""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from typing import cast

from redis.asyncio import Redis

from adapters.redis.circuit import RedisCircuit
from adapters.redis.keys import RedisKeys
from application.ports.access_counter import AccessCounter
from domain.request import ResultKey
from domain.tenant import TENANT_PATTERN

log = logging.getLogger(__name__)
MAX_PENDING = 10_000
BATCH = 500
_DIGEST = re.compile(r"[0-9a-f]{64}")


class RedisAccessCounter(AccessCounter):
    """`ZINCRBY {prefix}access n {tenant}:{digest}`, batched.

    `record` only counts in memory; the counts go to Redis in one pipeline `flush_every`
    seconds after the first unsent one (and before `top`, and on `close`), so serving never
    waits on Redis. The set keeps the `max_keys` most counted members. Counts that cannot be
    sent (Redis away) are kept for the next batch, up to 10 000 keys, then dropped.
    """

    def __init__(
        self,
        circuit: RedisCircuit,
        keys: RedisKeys,
        *,
        flush_every: float = 0.5,
        max_keys: int = 100_000,
    ) -> None:
        self._circuit = circuit
        self._keys = keys
        self._flush_every = flush_every
        self._max_keys = max_keys
        self._pending: Counter[str] = Counter()
        self._timer: asyncio.TimerHandle | None = None
        self._sending: set[asyncio.Task[None]] = set()

    def record(self, key: ResultKey) -> None:
        self._pending[f"{key.tenant}:{key.digest}"] += 1
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._flush_every, self._send_soon)

    async def top(self, limit: int, min_count: int = 1) -> list[ResultKey]:
        await self.flush()
        if limit <= 0:
            return []
        name = self._keys.access

        async def ranked(client: Redis) -> list[bytes]:
            ranked = await client.zrevrangebyscore(name, "+inf", min_count, start=0, num=limit)
            return cast(list[bytes], ranked)

        nothing: list[bytes] = []
        return [key for key in map(_key_of, await self._circuit.call(ranked, nothing)) if key]

    async def forget_tenant(self, tenant: str) -> int:
        mine = f"{tenant}:"
        for member in [member for member in self._pending if member.startswith(mine)]:
            del self._pending[member]
        name = self._keys.access

        async def drop(client: Redis) -> int:
            members = [m async for m, _ in client.zscan_iter(name, match=f"{tenant}:*")]
            batches = (members[i : i + BATCH] for i in range(0, len(members), BATCH))
            return sum([await client.zrem(name, *batch) for batch in batches])

        return await self._circuit.require(drop)

    async def flush(self) -> None:
        """Send the buffered counts now."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)
        await self._send()

    async def close(self) -> None:
        await self.flush()

    def _send_soon(self) -> None:
        self._timer = None
        task = asyncio.create_task(self._send())
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self) -> None:
        batch, self._pending = self._pending, Counter()
        if not batch:
            return
        name, keep = self._keys.access, self._max_keys

        async def increment(client: Redis) -> bool:
            pipe = client.pipeline(transaction=False)
            for member, count in batch.items():
                pipe.zincrby(name, count, member)
            pipe.zremrangebyrank(name, 0, -(keep + 1))
            await pipe.execute()
            return True

        if not await self._circuit.call(increment, otherwise=False):
            self._pending.update(batch)
            if len(self._pending) > MAX_PENDING:
                log.warning("dropping %d unsent access counts", len(self._pending))
                self._pending.clear()


def _key_of(member: bytes) -> ResultKey | None:
    """The key a member names, or None for a member this service did not write."""
    tenant, _, digest = member.decode("ascii", "replace").partition(":")
    if TENANT_PATTERN.fullmatch(tenant) is None or _DIGEST.fullmatch(digest) is None:
        return None
    return ResultKey(tenant, digest)
