"""Rate-limit counters in this process."""

from __future__ import annotations

from collections import OrderedDict

from application.ports.clock import Clock
from application.ports.rate_limiter import RateLimiter
from domain.rate_limit import RateDecision, RateLimitRule


class MemoryRateLimiter(RateLimiter):
    """Counts in a dict, so only this node's requests count (the limiter of a node without
    Redis, and the fallback while Redis is down).

    At most `max_keys` buckets are kept, the least recently hit dropped first: clients that
    rotate addresses cannot grow the process without bound, they only forget their own counts.
    """

    def __init__(self, clock: Clock, *, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._max_keys = max_keys
        # key -> (start of the window `current` counts in, previous count, current count)
        self._buckets: OrderedDict[str, tuple[int, int, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    async def hit(self, key: str, rule: RateLimitRule) -> RateDecision:
        now = round(self._clock.now() * 1000)
        start = rule.window_start(now)
        previous = current = 0
        stored = self._buckets.get(key)
        if stored is not None:
            stored_start, stored_previous, stored_current = stored
            if stored_start == start:
                previous, current = stored_previous, stored_current
            elif stored_start == start - rule.window_ms:
                previous = stored_current
        decision = rule.hit(previous, current, now - start, now)
        if decision.allowed:
            buckets = self._buckets
            buckets[key] = (start, previous, current + 1)
            buckets.move_to_end(key)
            if len(buckets) > self._max_keys:
                buckets.popitem(last=False)
        return decision

    async def close(self) -> None:
        self._buckets.clear()
