"""Port: count how often each result is served, to know which are worth keeping warm."""

from __future__ import annotations

from typing import Protocol

from domain.request import ResultKey


class AccessCounter(Protocol):
    """Counts accesses per result key and answers the most accessed ones."""

    def record(self, key: ResultKey) -> None:
        """Count one access; never waits on I/O (a remote store is written in batches)."""
        ...

    async def top(self, limit: int, min_count: int = 1) -> list[ResultKey]:
        """The `limit` most accessed keys accessed at least `min_count` times, most accessed
        first ([] when unreachable)."""
        ...

    async def forget_tenant(self, tenant: str) -> int:
        """Drop the counts of `tenant`'s keys; raises `CacheUnavailable` when unreachable."""
        ...

    async def close(self) -> None:
        """Write what is still buffered."""
        ...
