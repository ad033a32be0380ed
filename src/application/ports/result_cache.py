"""Port: one layer of the result cache."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from domain.request import ResultKey
from domain.result import CacheLayer, ImageResult


@dataclass(frozen=True, slots=True)
class LayerUsage:
    """How many results a layer holds and how many bytes they take."""

    entries: int
    bytes: int


class ResultCache(Protocol):
    """Keeps results by key; `get` answers None on a miss and never raises for a lost entry."""

    @property
    def layer(self) -> CacheLayer:
        """Which tier this is (a hit here answers `layer.hit`)."""
        ...

    async def get(self, key: ResultKey) -> ImageResult | None: ...

    async def put(self, key: ResultKey, result: ImageResult) -> None: ...

    async def contains(self, key: ResultKey) -> bool:
        """Whether `key` is held, without counting it as a use."""
        ...

    async def delete_tenant(self, tenant: str) -> int:
        """Remove every result of `tenant`; answer how many were removed.

        Raises `CacheUnavailable` when the layer cannot be reached.
        """
        ...

    async def usage(self) -> LayerUsage:
        """What the layer holds now; raises `CacheUnavailable` when it cannot be reached."""
        ...
