"""Port: count requests per bucket in time windows, shared by every node that uses the store."""

from __future__ import annotations

from typing import Protocol

from domain.rate_limit import RateDecision, RateLimitRule


class RateLimiter(Protocol):
    """Counts one hit of `key` under `rule`, atomically, unless it would exceed the limit;
    raises `RateLimitStoreDown` when its store cannot be reached."""

    async def hit(self, key: str, rule: RateLimitRule) -> RateDecision: ...

    async def close(self) -> None: ...
