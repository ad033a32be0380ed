"""One circuit breaker per origin, on one clock: what the HTTP origin asks before each request."""

from __future__ import annotations

from application.ports.clock import Clock
from application.ports.metrics import NO_METRICS, Metrics
from domain.breaker import (
    BreakerPolicy,
    BreakerSnapshot,
    BreakerState,
    CircuitBreaker,
    Outcome,
    Permit,
)

MAX_ORIGINS = 1024


class OriginCircuits:
    """The breakers of every origin (`host:port`) this process has talked to.

    State is per process: each `media-stream serve` process keeps its own breakers, reported at
    `/health/circuit-breaker` and reset at `/health/circuit-breaker/reset` of that process.
    Origins are limited by the host allow-list, and at most `MAX_ORIGINS` breakers are kept
    (closed ones are dropped first when a new origin would exceed that).
    """

    def __init__(self, policy: BreakerPolicy, clock: Clock, metrics: Metrics = NO_METRICS) -> None:
        self._policy = policy
        self._clock = clock
        self._metrics = metrics
        self._breakers: dict[str, CircuitBreaker] = {}

    @property
    def policy(self) -> BreakerPolicy:
        return self._policy

    def acquire(self, origin: str) -> Permit | None:
        """Leave to send one request to `origin` now, or None while its breaker is open."""
        breaker, now = self._breaker(origin), self._clock.now()
        before = breaker.state(now)
        permit = breaker.acquire(now)
        self._report(origin, before, breaker.state(now))
        return permit

    def record(self, origin: str, permit: Permit, outcome: Outcome) -> None:
        """Count the outcome of a request that `acquire` let through."""
        breaker, now = self._breaker(origin), self._clock.now()
        before = breaker.state(now)
        breaker.record(permit, outcome, now)
        self._report(origin, before, breaker.state(now))

    def snapshots(self) -> dict[str, BreakerSnapshot]:
        """The state of every known origin's breaker, by origin."""
        now = self._clock.now()
        return {origin: breaker.snapshot(now) for origin, breaker in sorted(self._breakers.items())}

    def reset(self) -> list[str]:
        """Close every breaker; answers the origins whose breaker was not closed."""
        now = self._clock.now()
        affected = [
            origin
            for origin, breaker in sorted(self._breakers.items())
            if breaker.state(now) is not BreakerState.CLOSED
        ]
        for breaker in self._breakers.values():
            breaker.reset()
        for origin in affected:
            self._report(origin, BreakerState.OPEN, BreakerState.CLOSED)
        return affected

    def _report(self, origin: str, before: BreakerState, after: BreakerState) -> None:
        if before is not after:
            self._metrics.breaker_state(origin=origin, state=after.value)

    def _breaker(self, origin: str) -> CircuitBreaker:
        breaker = self._breakers.get(origin)
        if breaker is None:
            if len(self._breakers) >= MAX_ORIGINS:
                self._forget_a_closed_one()
            breaker = self._breakers[origin] = CircuitBreaker(self._policy)
        return breaker

    def _forget_a_closed_one(self) -> None:
        now = self._clock.now()
        for origin, breaker in self._breakers.items():
            if breaker.state(now) is BreakerState.CLOSED:
                del self._breakers[origin]
                return
