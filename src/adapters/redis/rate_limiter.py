"""Rate-limit counters in Redis, shared by every node, updated by one atomic Lua script."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import RedisError

from application.errors import RateLimitStoreDown
from application.ports.clock import Clock
from application.ports.rate_limiter import RateLimiter
from domain.rate_limit import RateDecision, RateLimitRule, WindowCounts, WindowStrategy

# KEYS[1]: the current window's counter, KEYS[2]: the previous window's
# ARGV: limit, window (ms), time into the current window (ms), 1 when sliding
# Reads both counts, admits the hit only if it stays within the limit, and counts it then;
# a counter lives for two windows so it can serve as the previous one. Returns
# {admitted (0/1), previous count, current count after the hit}.
HIT_SCRIPT = """
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local elapsed = tonumber(ARGV[3])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = 0
if ARGV[4] == '1' then
  previous = tonumber(redis.call('GET', KEYS[2]) or '0')
end
if current + previous * (window - elapsed) / window + 1 > limit then
  return {0, previous, current}
end
current = redis.call('INCR', KEYS[1])
if current == 1 then
  redis.call('PEXPIRE', KEYS[1], window * 2)
end
return {1, previous, current}
"""


class RedisRateLimiter(RateLimiter):
    """Counts in Redis under `prefix`, so one limit holds for every node sharing the server.

    Each bucket has one counter per window (`<prefix>{<key>}:<window start ms>`; the braces
    keep a bucket's counters in one cluster slot). Time comes from `clock`, not from Redis, so
    the same tests run on this and on the in-memory limiter. Any Redis failure is raised as
    `RateLimitStoreDown`. The client is shared and closed by whoever made it.
    """

    def __init__(self, redis: Redis, clock: Clock, *, prefix: str) -> None:
        self._redis = redis
        self._clock = clock
        self._prefix = prefix
        self._script = redis.register_script(HIT_SCRIPT)

    async def hit(self, key: str, rule: RateLimitRule) -> RateDecision:
        now = round(self._clock.now() * 1000)
        start = rule.window_start(now)
        elapsed = now - start
        sliding = rule.strategy is WindowStrategy.SLIDING
        keys = [self._counter(key, start), self._counter(key, start - rule.window_ms)]
        try:
            admitted, previous, current = await self._script(
                keys=keys, args=[rule.limit, rule.window_ms, elapsed, int(sliding)]
            )
        except (RedisError, OSError) as exc:
            raise RateLimitStoreDown(f"redis did not count the hit: {exc!r}") from exc
        counts = WindowCounts(int(previous), int(current), elapsed)
        return rule.decision(counts, allowed=bool(admitted), now_ms=now)

    async def close(self) -> None:
        """Nothing of its own to release: the client is shared."""

    def _counter(self, key: str, window_start: int) -> str:
        return f"{self._prefix}{{{key}}}:{window_start}"
