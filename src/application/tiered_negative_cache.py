"""Missing originals remembered in several places: in process first, then shared."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from application.gathering import settle_all
from application.ports.negative_cache import Missing, NegativeCache
from domain.request import ImageSource
from domain.result import FallbackReason


class TieredNegativeCache(NegativeCache):
    """Asks layers in order; a layer below that remembers copies what is left above.

    Remembering and forgetting reach every layer. A layer that cannot be reached when
    forgetting raises `CacheUnavailable` after the others are done.
    """

    def __init__(self, layers: Sequence[NegativeCache]) -> None:
        self._layers = list(layers)

    @property
    def layers(self) -> list[NegativeCache]:
        return list(self._layers)

    async def remember(
        self,
        source: ImageSource,
        seconds: float,
        reason: FallbackReason = FallbackReason.ORIGIN_NOT_FOUND,
    ) -> None:
        await asyncio.gather(*(layer.remember(source, seconds, reason) for layer in self._layers))

    async def recall(self, source: ImageSource) -> Missing | None:
        for depth, layer in enumerate(self._layers):
            missing = await layer.recall(source)
            if missing is not None:
                for upper in self._layers[:depth]:
                    await upper.remember(source, *missing)
                return missing
        return None

    async def remaining(self, source: ImageSource) -> float | None:
        missing = await self.recall(source)
        return None if missing is None else missing[0]

    async def forget_tenant(self, tenant: str) -> int:
        return await self.forget_tenant_in(tenant, self._layers)

    async def forget_tenant_in(self, tenant: str, layers: Sequence[NegativeCache]) -> int:
        """Forget `tenant` in `layers` only (those of this node, for a flush heard from another)."""
        return sum(await settle_all(layer.forget_tenant(tenant) for layer in layers))
