"""Port: one layer of the result cache."""

from __future__ import annotations

from typing import Protocol

from domain.request import ResultKey
from domain.result import CacheStatus, ImageResult


class ResultCache(Protocol):
    """Keeps results by key; `get` answers None on a miss and never raises for a lost entry."""

    @property
    def hit_status(self) -> CacheStatus:
        """The `X-Cache` value of a hit in this layer."""
        ...

    async def get(self, key: ResultKey) -> ImageResult | None: ...

    async def put(self, key: ResultKey, result: ImageResult) -> None: ...

    async def delete_tenant(self, tenant: str) -> int:
        """Remove every result of `tenant`; answer how many were removed."""
        ...
