"""Port: remember, for a while, the originals the origin said it does not have."""

from __future__ import annotations

from typing import Protocol

from domain.request import ImageSource


class NegativeCache(Protocol):
    """Remembers missing originals for a given time; an unreachable store forgets, never fails."""

    async def remember(self, source: ImageSource, seconds: float) -> None:
        """Remember `source` as missing for `seconds` (nothing when `seconds` <= 0)."""
        ...

    async def remaining(self, source: ImageSource) -> float | None:
        """Seconds `source` is still remembered as missing, or None when it is not."""
        ...

    async def forget_tenant(self, tenant: str) -> int:
        """Forget every missing original of `tenant`; raises `CacheUnavailable` if unreachable."""
        ...
