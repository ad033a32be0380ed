"""A rate limiter whose store can be taken down or made to hang, for failover tests.

Test-only features:

- `state` is "up" (count in the wrapped in-memory limiter), "down" (raise
  `RateLimitStoreDown` at once) or "hanging" (never answer, until cancelled);
- `calls` counts every hit that reached it, whatever the state.
"""

from __future__ import annotations

import asyncio
from typing import Literal

from adapters.memory.rate_limiter import MemoryRateLimiter
from application.errors import RateLimitStoreDown
from application.ports.rate_limiter import RateLimiter
from domain.rate_limit import RateDecision, RateLimitRule

State = Literal["up", "down", "hanging"]


class UnreliableRateLimiter(RateLimiter):
    """Delegates to `working` while up; fails as `state` says otherwise."""

    def __init__(self, working: MemoryRateLimiter) -> None:
        self.working = working
        self.state: State = "up"
        self.calls = 0

    async def hit(self, key: str, rule: RateLimitRule) -> RateDecision:
        self.calls += 1
        if self.state == "down":
            raise RateLimitStoreDown("scripted outage")
        if self.state == "hanging":
            await asyncio.Event().wait()
        return await self.working.hit(key, rule)

    async def close(self) -> None:
        await self.working.close()
