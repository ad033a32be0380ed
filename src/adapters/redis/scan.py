"""Walking keys by pattern without blocking Redis (SCAN, never KEYS)."""

from __future__ import annotations

from redis.asyncio import Redis

SCAN_COUNT = 1000
BATCH = 500


async def unlink_matching(client: Redis, pattern: str) -> int:
    """Remove every key matching `pattern`, a batch at a time; answer how many went."""
    removed = 0
    batch: list[bytes] = []
    async for name in client.scan_iter(match=pattern, count=SCAN_COUNT):
        batch.append(name)
        if len(batch) >= BATCH:
            removed += await client.unlink(*batch)
            batch = []
    if batch:
        removed += await client.unlink(*batch)
    return removed


async def measure_matching(client: Redis, pattern: str) -> tuple[int, int]:
    """How many keys match `pattern` and the total length of their (string) values."""
    count = total = 0
    batch: list[bytes] = []
    async for name in client.scan_iter(match=pattern, count=SCAN_COUNT):
        batch.append(name)
        if len(batch) >= BATCH:
            count, total = count + len(batch), total + await _lengths(client, batch)
            batch = []
    if batch:
        count, total = count + len(batch), total + await _lengths(client, batch)
    return count, total


async def _lengths(client: Redis, names: list[bytes]) -> int:
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.strlen(name)
    return sum(int(length) for length in await pipe.execute())
