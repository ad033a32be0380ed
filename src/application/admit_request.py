"""Use case: decide whether a request may go on, under rate limits that tighten with load."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from application.ports.load_gauge import LoadGauge
from application.ports.metrics import NO_METRICS, Metrics
from application.ports.rate_limiter import RateLimiter
from domain.clients import TrustedProxies, network_of
from domain.load import AdaptiveLimits, LoadReading
from domain.network import is_internal_address
from domain.policy import HostPolicy
from domain.rate_limit import (
    UNKNOWN_TENANT,
    RateDecision,
    RateLimitPolicy,
    RateLimitRule,
    RequestKind,
)

# rules remembered per kind and load factor (the factor is 1.0 unless the node is loaded)
MAX_REMEMBERED_RULES = 256
# what the policy says of a visit, remembered per visit (clients, their user agents and pages)
MAX_REMEMBERED_CALLERS = 4096


@dataclass(frozen=True, slots=True)
class Visit:
    """What the rate limits look at in a request (its kind and tenant told by the HTTP edge)."""

    kind: RequestKind
    peer: str  # the address the connection comes from
    tenant: str = UNKNOWN_TENANT  # the tenant an image request names
    forwarded_for: str | None = None  # every X-Forwarded-For header, joined by commas
    user_agent: str = ""
    referer: str = ""
    origin: str = ""

    def referring_hosts(self) -> tuple[str, ...]:
        """The hosts the `Referer` and `Origin` headers name (unparseable ones left out)."""
        hosts = []
        for url in (self.referer, self.origin):
            try:
                host = urlsplit(url).hostname if url else None
            except ValueError:
                host = None
            if host:
                hosts.append(host)
        return tuple(hosts)


@dataclass(frozen=True, slots=True)
class _Caller:
    """What the policy says of a visit: its bucket (None: not limited), whether the bypasses
    trust it, and for an internal caller they do not trust, the hosts of its pages."""

    bucket: str | None
    trusted: bool
    hosts: tuple[str, ...]


class AdmitRequest:
    """Counts a request in its bucket (tenant and client for images, kind and client for the
    rest) against a limit scaled down while the node is busy.

    Answers None for a request that is not limited, else the decision to send as headers;
    a refused decision is answered 429 by the caller. Not limited: what the policy's
    bypasses let through by route (health probes, static assets), and internal callers
    that are crawlers or come from a whitelisted page or a tenant's domain (`tenant_hosts`).
    """

    def __init__(
        self,
        *,
        policy: RateLimitPolicy,
        limiter: RateLimiter,
        gauge: LoadGauge,
        proxies: TrustedProxies,
        adaptive: AdaptiveLimits | None = None,
        metrics: Metrics = NO_METRICS,
        tenant_hosts: HostPolicy | None = None,
    ) -> None:
        self._policy = policy
        self._limiter = limiter
        self._gauge = gauge
        self._proxies = proxies
        self._adaptive = adaptive or AdaptiveLimits()
        self._metrics = metrics
        self._tenant_hosts = tenant_hosts
        self._rules: dict[tuple[RequestKind, float], RateLimitRule] = {}
        self._load: tuple[LoadReading, float] | None = None  # the last reading and its factor
        self._callers: dict[Visit, _Caller] = {}

    async def __call__(self, visit: Visit) -> RateDecision | None:
        caller = self._callers.get(visit)
        if caller is None:
            caller = self._caller(visit)
        if caller.bucket is None or caller.trusted:
            return None
        # an internal caller on a page of a tenant's domain (they are refreshed: asked each time)
        tenants = self._tenant_hosts
        if caller.hosts and tenants is not None and any(map(tenants.permits, caller.hosts)):
            return None
        kind = visit.kind
        factor = self._factor(self._gauge.reading())
        decision = await self._limiter.hit(caller.bucket, self._rule(kind, factor))
        self._metrics.rate_limit(
            decision="allowed" if decision.allowed else "blocked", limiter=kind.value
        )
        return decision

    def _caller(self, visit: Visit) -> _Caller:
        """What the policy says of who asks: their bucket, and for an internal caller whether
        the bypasses let them through (the tenants' domains change: asked on every request)."""
        address = self._proxies.client(visit.peer, visit.forwarded_for)
        bucket = self._policy.bucket(visit.kind, network_of(address), visit.tenant)
        trusted, hosts = False, tuple[str, ...]()
        if bucket is not None and is_internal_address(address):
            hosts = visit.referring_hosts()
            trusted = self._policy.bypasses.by_caller(visit.user_agent, hosts)
        caller = _Caller(bucket, trusted, hosts)
        if len(self._callers) >= MAX_REMEMBERED_CALLERS:
            self._callers.clear()
        self._callers[visit] = caller
        return caller

    def _factor(self, reading: LoadReading) -> float:
        if self._load is None or self._load[0] is not reading:  # gauges reuse a steady reading
            self._load = (reading, self._adaptive.factor(reading))
        return self._load[1]

    def _rule(self, kind: RequestKind, factor: float) -> RateLimitRule:
        rule = self._rules.get((kind, factor))
        if rule is None:
            if len(self._rules) >= MAX_REMEMBERED_RULES:
                self._rules.clear()
            rule = self._rules[(kind, factor)] = self._policy.rule(kind, factor)
        return rule

    def use_policy(self, policy: RateLimitPolicy) -> None:
        """Apply new limits from the next request on (settings reloaded while serving)."""
        self._policy = policy
        self._rules = {}
        self._callers = {}

    async def close(self) -> None:
        """Release the limiter's store and the gauge's probe."""
        await self._limiter.close()
        await self._gauge.close()
