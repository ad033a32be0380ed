"""Rate limiting rules: which bucket a request counts in, how large it is, and what a hit answers.

Requests come in kinds (images, health probes, static pages and assets, the rest), told apart
at the HTTP edge, which knows the routes; each kind has its own limit and window. Some are
never counted, as the Node service's bypasses had it (`Bypasses`):
health probes, static assets, known crawlers calling from an internal address, and internal
callers whose `Referer` or `Origin` names a whitelisted or tenant domain.

A bucket is a key (`image:<tenant>:<client>` or `<kind>:<client>`) counted in windows of
`window_ms`. `fixed` counts per window; `sliding` weighs the previous window's count by how
much of it still overlaps the last `window_ms` (the sliding-window counter: two numbers per
key instead of one timestamp per request). A hit that would exceed the limit is refused and
not counted, so a client hammering a limit still gets its `limit` requests per window through.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

UNKNOWN_TENANT = "-"  # an image path whose tenant cannot be read (it will be a 400 anyway)


class WindowStrategy(StrEnum):
    """How requests are counted in time (`RATE_LIMIT_STRATEGY`)."""

    FIXED = "fixed"
    SLIDING = "sliding"


class RequestKind(StrEnum):
    """What a request is, for choosing its bucket and limit."""

    IMAGE = "image"
    HEALTH = "health"  # bypassed by default: probes must reach a node that is under attack
    STATIC = "static"  # a static page (`/`, `/robots.txt`)
    ASSET = "asset"  # a static file by its name (`/default.png`, `*.css`): bypassed by default
    API = "api"


# Crawlers and link unfurlers whose user agents the Node service let through from internal
# addresses (a server-side renderer or a preview service fetching on a visitor's behalf).
_BOT_TOKENS = (
    "facebook", "facebot", "twitterbot", "linkedinbot", "whatsapp", "telegrambot", "slackbot",
    "discordbot", "slack-imgproxy", "googlebot", "bingbot", "baiduspider", "yandexbot",
    "duckduckbot", "slurp", "applebot", "ahrefsbot", "semrushbot", "mj12bot", "dotbot",
    "screaming frog", "seokicks", "pingdombot", "uptimerobot", "statuscake", "lighthouse",
    "pagespeed", "gtmetrix", "headlesschrome", "phantomjs", "prerender",
)  # fmt: skip


@lru_cache(maxsize=1024)  # a node sees few distinct user agents, each again and again
def is_bot(user_agent: str) -> bool:
    """Whether `user_agent` names a known crawler, link unfurler or monitoring robot."""
    agent = user_agent.lower()
    return bool(agent) and any(token in agent for token in _BOT_TOKENS)


def host_matches(host: str, patterns: tuple[str, ...]) -> bool:
    """`host` is a pattern (`shop.example`), a subdomain of one, or matches `*.shop.example`
    (which takes `shop.example` itself too), compared lower-case."""
    host = host.lower().rstrip(".")
    for pattern in patterns:
        base = pattern.lower().removeprefix("*.")
        if base and (host == base or host.endswith("." + base)):
            return True
    return False


@dataclass(frozen=True, slots=True)
class Bypasses:
    """Requests never counted (`RATE_LIMIT_BYPASS_*`, as in the Node service).

    `bots` and `whitelisted_domains` are believed only from internal callers: a user agent,
    `Referer` and `Origin` are the client's own claims, so from outside they bypass nothing.
    """

    health_checks: bool = True
    static_assets: bool = True
    bots: bool = True
    whitelisted_domains: tuple[str, ...] = ()

    def by_route(self, kind: RequestKind) -> bool:
        """Skipped for what it asks: a health probe or a static asset."""
        if kind is RequestKind.HEALTH:
            return self.health_checks
        return kind is RequestKind.ASSET and self.static_assets

    def by_caller(self, user_agent: str, referring_hosts: tuple[str, ...]) -> bool:
        """Skipped for who asks (an internal caller): a crawler, or a whitelisted page's host."""
        if self.bots and is_bot(user_agent):
            return True
        return any(host_matches(host, self.whitelisted_domains) for host in referring_hosts)


@dataclass(frozen=True, slots=True)
class RateLimitRule:
    """`limit` requests per `window_ms`, counted with `strategy`."""

    limit: int
    window_ms: int
    strategy: WindowStrategy

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window_ms < 1:
            raise ValueError(f"a rate limit needs limit >= 1 and window >= 1 ms, got {self}")

    def window_start(self, now_ms: int) -> int:
        """The start of the fixed window `now_ms` falls in."""
        return now_ms - now_ms % self.window_ms

    def estimate(self, counts: WindowCounts) -> float:
        """How many requests the bucket holds now."""
        if self.strategy is WindowStrategy.FIXED:
            return float(counts.current)
        overlap = (self.window_ms - counts.elapsed_ms) / self.window_ms
        return counts.previous * overlap + counts.current

    def admits(self, counts: WindowCounts) -> bool:
        """Whether one more request stays within the limit."""
        return self.estimate(counts) + 1 <= self.limit

    def decision(self, counts: WindowCounts, *, allowed: bool, now_ms: int) -> RateDecision:
        """What to answer after a hit; `counts` are the counts after it."""
        remaining = max(0, math.floor(self.limit - self.estimate(counts)))
        reset_ms = self.window_ms - counts.elapsed_ms
        retry_ms = 0 if allowed else self._wait_ms(counts)
        return RateDecision(
            allowed=allowed,
            limit=self.limit,
            remaining=remaining,
            reset_at=math.ceil((now_ms + reset_ms) / 1000),
            retry_after=max(1, math.ceil(retry_ms / 1000)) if not allowed else 0,
        )

    def hit(self, previous: int, current: int, elapsed_ms: int, now_ms: int) -> RateDecision:
        """The answer to one more request in a bucket with these counts (before it): what
        `admits` and `decision` say, in plain numbers, for a limiter that counts the request
        itself when the answer allows it (the memory limiter, on every request)."""
        # the same arithmetic as `estimate` before and after the hit, to the last bit
        if self.strategy is WindowStrategy.FIXED:
            before, after = float(current), float(current + 1)
        else:
            weighted = previous * ((self.window_ms - elapsed_ms) / self.window_ms)
            before, after = weighted + current, weighted + (current + 1)
        if before + 1 <= self.limit:
            remaining = max(0, math.floor(self.limit - after))
            reset_at = math.ceil((now_ms + (self.window_ms - elapsed_ms)) / 1000)
            return RateDecision(True, self.limit, remaining, reset_at, 0)
        counts = WindowCounts(previous, current, elapsed_ms)
        return self.decision(counts, allowed=False, now_ms=now_ms)

    def _wait_ms(self, counts: WindowCounts) -> float:
        """How long until one more request would be admitted."""
        to_next_window = self.window_ms - counts.elapsed_ms
        if self.strategy is WindowStrategy.FIXED:
            return to_next_window if counts.current + 1 > self.limit else 0.0
        room = self.limit - 1 - counts.current
        if room >= 0:  # the previous window's weight must fade below `room`
            if counts.previous == 0:
                return 0.0
            overlap_needed = room / counts.previous
            return max(0.0, (1 - overlap_needed) * self.window_ms - counts.elapsed_ms)
        # the current window becomes the previous one, and must fade in turn
        overlap_needed = (self.limit - 1) / counts.current
        return to_next_window + (1 - overlap_needed) * self.window_ms


@dataclass(frozen=True, slots=True)
class WindowCounts:
    """A bucket's counts: in the previous and the current window, and how far into it we are."""

    previous: int
    current: int
    elapsed_ms: int


@dataclass(frozen=True, slots=True)
class RateDecision:
    """The answer to one hit, with what the `X-RateLimit-*` and `Retry-After` headers say.

    `reset_at` is when the current window ends (epoch seconds, as GitHub and express-rate-limit
    send `X-RateLimit-Reset`); `retry_after` is the seconds to wait when refused (else 0).
    """

    allowed: bool
    limit: int
    remaining: int
    reset_at: int
    retry_after: int


@dataclass(frozen=True, slots=True)
class RateLimitPolicy:
    """The configured limits (`RATE_LIMIT_*`); `factor` (0..1] tightens them under load.

    `window_ms` and `max_requests` are the default rule (static files and other routes);
    images and health probes have their own (a window of None is the default window).
    """

    window_ms: int
    max_requests: int
    image_max_requests: int
    strategy: WindowStrategy
    image_window_ms: int | None = None
    health_window_ms: int = 10_000
    health_max_requests: int = 1_000
    bypasses: Bypasses = Bypasses()

    def bucket(self, kind: RequestKind, client: str, tenant: str = UNKNOWN_TENANT) -> str | None:
        """The key a request counts under (an image's per `tenant` too), or None when its
        kind is never limited. Static assets, when counted, count with the static pages."""
        if self.bypasses.by_route(kind):
            return None
        if kind is RequestKind.IMAGE:
            return f"image:{tenant}:{client}"
        if kind is RequestKind.ASSET:
            return f"{RequestKind.STATIC.value}:{client}"
        return f"{kind.value}:{client}"

    def rule(self, kind: RequestKind, factor: float = 1.0) -> RateLimitRule:
        """The rule for `kind`, its limit scaled by `factor` (never below one request)."""
        base, window = self._limit_of(kind)
        # the epsilon keeps 10 * 0.2 (= 1.999...) at 2
        limit = max(1, math.floor(base * min(1.0, max(0.0, factor)) + 1e-9))
        return RateLimitRule(limit, window, self.strategy)

    def _limit_of(self, kind: RequestKind) -> tuple[int, int]:
        if kind is RequestKind.IMAGE:
            return self.image_max_requests, self.image_window_ms or self.window_ms
        if kind is RequestKind.HEALTH:
            return self.health_max_requests, self.health_window_ms
        return self.max_requests, self.window_ms
