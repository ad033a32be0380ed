"""Access counts kept in process memory (lost on restart)."""

from __future__ import annotations

from collections import Counter

from application.ports.access_counter import AccessCounter
from domain.request import ResultKey


class MemoryAccessCounter(AccessCounter):
    """Counts in a `Counter` of at most `max_keys` keys.

    When it grows past the bound, the least counted tenth is dropped: a key must earn its
    place again, which is what a popularity ranking wants anyway.
    """

    def __init__(self, *, max_keys: int = 100_000) -> None:
        if max_keys < 1:
            raise ValueError(f"max_keys must be >= 1, got {max_keys}")
        self._max_keys = max_keys
        self._counts: Counter[ResultKey] = Counter()

    def record(self, key: ResultKey) -> None:
        self._counts[key] += 1
        if len(self._counts) > self._max_keys:
            keep = self._max_keys - max(1, self._max_keys // 10)
            self._counts = Counter(dict(self._counts.most_common(keep)))

    async def top(self, limit: int, min_count: int = 1) -> list[ResultKey]:
        ranked = self._counts.most_common(max(limit, 0))
        return [key for key, count in ranked if count >= min_count]

    async def forget_tenant(self, tenant: str) -> int:
        doomed = [key for key in self._counts if key.tenant == tenant]
        for key in doomed:
            del self._counts[key]
        return len(doomed)

    async def close(self) -> None:
        return None

    def count(self, key: ResultKey) -> int:
        """How many accesses `key` has."""
        return self._counts[key]
