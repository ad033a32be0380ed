"""Port: the access index, one row per result on disk with how it is used (ADR 22)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from domain.request import ResultKey
from domain.storage import StoredResult


@dataclass(frozen=True, slots=True)
class Hits:
    """Accesses of one result since the last batch: how many, and the last one's time."""

    count: int
    last_at: float


@dataclass(frozen=True, slots=True)
class AccessBatch:
    """What one flush writes: results stored (inserted, or replacing the row's file facts
    while keeping its counts) and results accessed (counted onto existing rows only), as of
    `at` (epoch seconds)."""

    at: float
    stores: Sequence[StoredResult] = ()
    hits: Mapping[ResultKey, Hits] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.stores) + len(self.hits)


@dataclass(frozen=True, slots=True)
class UsageGroup:
    """Bytes and files of one tenant's results in one format."""

    tenant: str
    format: str
    bytes: int
    files: int


class AccessIndex(Protocol):
    """Rows of stored results and their use; every method raises `AccessIndexUnavailable`
    when the index cannot be reached."""

    async def record(self, batch: AccessBatch, half_life: float) -> None:
        """Write a batch atomically; hits decay with `half_life` seconds (domain.storage)."""
        ...

    async def get(self, key: ResultKey) -> StoredResult | None: ...

    async def page(self, after: ResultKey | None, limit: int) -> list[StoredResult]:
        """Up to `limit` rows in key order (tenant, digest), after `after`."""
        ...

    async def top(self, limit: int, min_count: int = 1) -> list[ResultKey]:
        """The `limit` most popular keys now (decayed score) accessed `min_count` times or more."""
        ...

    async def usage(self) -> list[UsageGroup]:
        """Bytes and files by tenant and format."""
        ...

    async def remove(
        self, keys: Sequence[ResultKey], *, unused_before: float | None = None
    ) -> list[ResultKey]:
        """Delete the rows of `keys` (only those neither stored nor accessed since
        `unused_before`, when given); answer the keys whose rows were deleted."""
        ...

    async def forget_tenant(self, tenant: str) -> int:
        """Delete every row of `tenant`; answer how many."""
        ...

    async def close(self) -> None: ...
