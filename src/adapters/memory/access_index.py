"""The access index in a dict: the unit tests' index, and the reference the SQL one matches."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from application.errors import AccessIndexUnavailable
from application.ports.access_index import AccessBatch, AccessIndex, UsageGroup
from domain.request import ResultKey
from domain.storage import StoredResult, heated


class MemoryAccessIndex(AccessIndex):
    """Keeps rows in the process; behaves as `SqlAccessIndex` does (the contract tests run
    on both). Test-only: `unavailable = True` makes every call raise `AccessIndexUnavailable`,
    as a database that is away does."""

    def __init__(self) -> None:
        self._rows: dict[ResultKey, StoredResult] = {}
        self.unavailable = False
        self.batches = 0

    async def record(self, batch: AccessBatch, half_life: float) -> None:
        self._check()
        for stored in batch.stores:
            known = self._rows.get(stored.key)
            if known is not None:
                stored = dataclasses.replace(
                    stored,
                    access_count=known.access_count,
                    heat=known.heat,
                    last_access_at=known.last_access_at,
                )
            self._rows[stored.key] = stored
        for key, hits in batch.hits.items():
            row = self._rows.get(key)
            if row is None or hits.count <= 0:
                continue
            self._rows[key] = dataclasses.replace(
                row,
                access_count=row.access_count + hits.count,
                last_access_at=max(row.last_access_at, hits.last_at),
                heat=heated(row.heat, hits.count, batch.at, half_life),
            )
        self.batches += 1

    async def get(self, key: ResultKey) -> StoredResult | None:
        self._check()
        return self._rows.get(key)

    async def page(self, after: ResultKey | None, limit: int) -> list[StoredResult]:
        self._check()
        ordered = sorted(self._rows, key=_order)
        if after is not None:
            ordered = [key for key in ordered if _order(key) > _order(after)]
        return [self._rows[key] for key in ordered[: max(limit, 0)]]

    async def top(self, limit: int, min_count: int = 1) -> list[ResultKey]:
        self._check()
        eligible = [row for row in self._rows.values() if row.access_count >= min_count]
        eligible.sort(key=lambda row: (-row.heat, _order(row.key)))
        return [row.key for row in eligible[: max(limit, 0)]]

    async def usage(self) -> list[UsageGroup]:
        self._check()
        groups: dict[tuple[str, str], list[int]] = {}
        for row in self._rows.values():
            totals = groups.setdefault((row.key.tenant, row.format), [0, 0])
            totals[0] += row.size
            totals[1] += 1
        return [
            UsageGroup(tenant, fmt, size, files)
            for (tenant, fmt), (size, files) in sorted(groups.items())
        ]

    async def remove(
        self, keys: Sequence[ResultKey], *, unused_before: float | None = None
    ) -> list[ResultKey]:
        self._check()
        removed = []
        for key in dict.fromkeys(keys):
            row = self._rows.get(key)
            if row is None or (unused_before is not None and row.last_used_at >= unused_before):
                continue
            del self._rows[key]
            removed.append(key)
        return removed

    async def forget_tenant(self, tenant: str) -> int:
        self._check()
        doomed = [key for key in self._rows if key.tenant == tenant]
        for key in doomed:
            del self._rows[key]
        return len(doomed)

    async def close(self) -> None:
        return None

    def _check(self) -> None:
        if self.unavailable:
            raise AccessIndexUnavailable("the in-memory index was made unavailable")


def _order(key: ResultKey) -> tuple[str, str]:
    return key.tenant, key.digest
