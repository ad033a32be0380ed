"""Port: remember, for a while, the originals the origin said it does not have."""

from __future__ import annotations

from typing import Protocol

from domain.request import ImageSource
from domain.result import FallbackReason

Missing = tuple[float, FallbackReason]  # seconds left, and why the original is missing


class NegativeCache(Protocol):
    """Remembers missing originals for a given time; an unreachable store forgets, never fails."""

    async def remember(
        self,
        source: ImageSource,
        seconds: float,
        reason: FallbackReason = FallbackReason.ORIGIN_NOT_FOUND,
    ) -> None:
        """Remember `source` as missing, for `reason`, for `seconds` (nothing when <= 0)."""
        ...

    async def recall(self, source: ImageSource) -> Missing | None:
        """Seconds `source` is still remembered as missing and why, or None when it is not."""
        ...

    async def remaining(self, source: ImageSource) -> float | None:
        """Seconds `source` is still remembered as missing, or None when it is not."""
        ...

    async def forget_tenant(self, tenant: str) -> int:
        """Forget every missing original of `tenant`; raises `CacheUnavailable` if unreachable."""
        ...
