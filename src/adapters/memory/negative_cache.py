"""Missing originals remembered in process memory, each until its time runs out."""

from __future__ import annotations

from collections import OrderedDict

from application.ports.clock import Clock
from application.ports.negative_cache import Missing, NegativeCache
from domain.request import ImageSource
from domain.result import FallbackReason


class MemoryNegativeCache(NegativeCache):
    """Keeps `source -> expiry` in a dict bounded by `max_entries` (the oldest goes first).

    Expired entries are dropped when met. Time comes from `clock`, so tests can move it.
    """

    def __init__(self, clock: Clock, *, max_entries: int = 10_000) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, got {max_entries}")
        self._clock = clock
        self._max_entries = max_entries
        self._until: OrderedDict[ImageSource, Missing] = OrderedDict()

    async def remember(
        self,
        source: ImageSource,
        seconds: float,
        reason: FallbackReason = FallbackReason.ORIGIN_NOT_FOUND,
    ) -> None:
        if seconds <= 0:
            return
        self._until.pop(source, None)
        self._until[source] = (self._clock.now() + seconds, reason)
        while len(self._until) > self._max_entries:
            self._until.popitem(last=False)

    async def recall(self, source: ImageSource) -> Missing | None:
        entry = self._until.get(source)
        if entry is None:
            return None
        until, reason = entry
        left = until - self._clock.now()
        if left <= 0:
            del self._until[source]
            return None
        return left, reason

    async def remaining(self, source: ImageSource) -> float | None:
        missing = await self.recall(source)
        return None if missing is None else missing[0]

    async def forget_tenant(self, tenant: str) -> int:
        doomed = [source for source in self._until if source.tenant == tenant]
        for source in doomed:
            del self._until[source]
        return len(doomed)

    async def clear(self) -> int:
        """Forget everything; answer how many entries there were."""
        count = len(self._until)
        self._until.clear()
        return count
