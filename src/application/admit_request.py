"""Use case: decide whether a request may go on, under rate limits that tighten with load."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports.load_gauge import LoadGauge
from application.ports.metrics import Metrics
from application.ports.rate_limiter import RateLimiter
from domain.clients import TrustedProxies, network_of
from domain.load import AdaptiveLimits
from domain.rate_limit import RateDecision, RateLimitPolicy, kind_of


@dataclass(frozen=True, slots=True)
class Visit:
    """What the rate limits look at in a request."""

    path: str  # as decoded by the server, for telling the kind of request
    raw_path: str  # as sent, for reading the tenant of an image path
    peer: str  # the address the connection comes from
    forwarded_for: str | None = None  # every X-Forwarded-For header, joined by commas


class AdmitRequest:
    """Counts a request in its bucket (tenant and client for images, kind and client for the
    rest; health probes never) against a limit scaled down while the node is busy.

    Answers None for a request that is not limited, else the decision to send as headers;
    a refused decision is answered 429 by the caller.
    """

    def __init__(
        self,
        *,
        policy: RateLimitPolicy,
        limiter: RateLimiter,
        gauge: LoadGauge,
        proxies: TrustedProxies,
        adaptive: AdaptiveLimits | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._policy = policy
        self._limiter = limiter
        self._gauge = gauge
        self._proxies = proxies
        self._adaptive = adaptive or AdaptiveLimits()
        self._metrics = metrics

    async def __call__(self, visit: Visit) -> RateDecision | None:
        kind = kind_of(visit.path)
        client = network_of(self._proxies.client(visit.peer, visit.forwarded_for))
        bucket = self._policy.bucket(kind, client, visit.raw_path)
        if bucket is None:
            return None
        factor = self._adaptive.factor(self._gauge.reading())
        decision = await self._limiter.hit(bucket, self._policy.rule(kind, factor))
        if self._metrics is not None:
            verdict = "allowed" if decision.allowed else "blocked"
            self._metrics.rate_limit(decision=verdict, limiter=kind.value)
        return decision

    def use_policy(self, policy: RateLimitPolicy) -> None:
        """Apply new limits from the next request on (settings reloaded while serving)."""
        self._policy = policy

    async def close(self) -> None:
        """Release the limiter's store and the gauge's probe."""
        await self._limiter.close()
        await self._gauge.close()
