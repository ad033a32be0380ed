"""Use case: keep the most asked-for results in the fast layers."""

from __future__ import annotations

import logging

from application.ports.access_counter import AccessCounter
from application.tiered_cache import TieredResultCache

log = logging.getLogger(__name__)


class WarmCache:
    """Copy the `top_n` most accessed results (of those accessed at least `min_accesses`
    times) from the layer holding them into those above.

    Run at start-up (a restarted node answers its hottest images from memory at once) and on a
    schedule (the memory tier of a busy node drifts from what is hot across all nodes).
    """

    def __init__(
        self, *, cache: TieredResultCache, access: AccessCounter, top_n: int, min_accesses: int = 1
    ) -> None:
        self._cache = cache
        self._access = access
        self._top_n = top_n
        self._min_accesses = min_accesses

    async def __call__(self) -> int:
        """Warm; answer how many results were copied upwards."""
        if self._top_n <= 0:
            return 0
        copied = 0
        for key in await self._access.top(self._top_n, self._min_accesses):
            if await self._cache.warm(key):
                copied += 1
        log.info("cache warming copied %d of the %d most accessed results", copied, self._top_n)
        return copied
