"""A rate limiter that keeps limiting when its shared store is down."""

from __future__ import annotations

import asyncio
import logging

from application.errors import RateLimitStoreDown
from application.ports.clock import Clock
from application.ports.rate_limiter import RateLimiter
from domain.rate_limit import RateDecision, RateLimitRule

log = logging.getLogger(__name__)


class FailoverRateLimiter(RateLimiter):
    """Counts in `shared` (Redis: one limit for every node); while it fails, in `local`.

    Each call to `shared` gets at most `budget` seconds. After a failure the shared store is
    left alone for `retry_after` seconds, then one request probes it while the others keep
    counting locally: a store that is down costs one short timeout per `retry_after`, never
    one per request.
    """

    def __init__(
        self,
        shared: RateLimiter,
        local: RateLimiter,
        clock: Clock,
        *,
        budget: float = 0.25,
        retry_after: float = 5.0,
    ) -> None:
        self._shared = shared
        self._local = local
        self._clock = clock
        self._budget = budget
        self._retry_after = retry_after
        self._down_until: float | None = None
        self._probing = False

    @property
    def shared_in_use(self) -> bool:
        """False while the shared store is left alone after a failure."""
        return self._down_until is None

    async def hit(self, key: str, rule: RateLimitRule) -> RateDecision:
        if not self._may_try_shared():
            return await self._local.hit(key, rule)
        was_down = self._down_until is not None
        self._probing = was_down
        try:
            async with asyncio.timeout(self._budget):
                decision = await self._shared.hit(key, rule)
        except (RateLimitStoreDown, TimeoutError) as exc:
            if not was_down:
                log.warning("rate-limit store unavailable, counting in-process: %r", exc)
            self._down_until = self._clock.now() + self._retry_after
            return await self._local.hit(key, rule)
        finally:
            self._probing = False
        if was_down:
            log.warning("rate-limit store is back, counting there again")
        self._down_until = None
        return decision

    async def close(self) -> None:
        await self._shared.close()
        await self._local.close()

    def _may_try_shared(self) -> bool:
        if self._down_until is None:
            return True
        return not self._probing and self._clock.now() >= self._down_until
