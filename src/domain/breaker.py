"""A circuit breaker for one origin: stop asking an origin that keeps failing, then probe it.

    CLOSED ──(≥ minimum requests in the window and failure % ≥ threshold)──► OPEN
      ▲                                                                      │
      │                                                        (open_for elapsed)
      │                                                                      ▼
      └──(every probe succeeded)── HALF_OPEN ──(a probe failed)──► OPEN (again, for open_for)

- CLOSED: every request goes through; outcomes are counted in a rolling window of
  `BUCKETS` time buckets spanning `window` seconds.
- OPEN: nothing goes through (`acquire` answers None) until `open_for` has passed.
- HALF_OPEN: at most `half_open_probes` requests go through at a time; when that many have
  succeeded the breaker closes (with an empty window), the first failure opens it again.

Only `Outcome.FAILURE` (network errors, timeouts, 5xx) counts against an origin. A 4xx is an
origin that answered: `Outcome.SUCCESS`. `Outcome.NEUTRAL` (refused before connecting,
cancelled) is not counted at all and only gives a half-open probe slot back.

The breaker is pure: the caller passes the time to every call. A `Permit` remembers which
generation of the state it was given in, so an answer that arrives after the state changed
(a slow request let in while closed, finishing while half-open) is ignored.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum

BUCKETS = 10


class BreakerState(StrEnum):
    """Whether requests go through."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class Outcome(StrEnum):
    """What one request says about the origin's health."""

    SUCCESS = "success"  # the origin answered (2xx, 3xx, 4xx, a body we refused)
    FAILURE = "failure"  # network error, timeout, 5xx
    NEUTRAL = "neutral"  # says nothing: refused before connecting, or cancelled

    @classmethod
    def of_status(cls, status: int) -> Outcome:
        """A 5xx is a failure; anything else the origin answered is a success."""
        return cls.FAILURE if status >= 500 else cls.SUCCESS


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    """When to open and how to recover; durations in seconds."""

    window: float = 60.0
    minimum_requests: int = 10
    failure_percentage: float = 50.0
    open_for: float = 30.0
    half_open_probes: int = 3

    def __post_init__(self) -> None:
        if self.window <= 0 or self.open_for <= 0:
            raise ValueError("window and open_for must be positive")
        if self.minimum_requests < 1 or self.half_open_probes < 1:
            raise ValueError("minimum_requests and half_open_probes must be at least 1")
        if not 0 < self.failure_percentage <= 100:
            raise ValueError(
                f"failure_percentage must be in (0, 100], got {self.failure_percentage}"
            )

    def trips(self, requests: int, failures: int) -> bool:
        """True when `failures` out of `requests` in the window should open the breaker."""
        return requests >= self.minimum_requests and (
            failures * 100 >= self.failure_percentage * requests
        )


@dataclass(frozen=True, slots=True)
class Permit:
    """Leave to send one request; hand it back with the request's outcome."""

    generation: int
    probe: bool


@dataclass(frozen=True, slots=True)
class BreakerSnapshot:
    """The state of one breaker at one moment, for health reports."""

    state: BreakerState
    requests: int  # counted in the window (closed) or probes answered (half-open)
    failures: int
    opened_at: float | None
    retry_at: float | None  # when an open breaker lets probes through
    probes_in_flight: int


@dataclass(slots=True)
class _Bucket:
    start: float
    requests: int = 0
    failures: int = 0


class CircuitBreaker:
    """The breaker of one origin; see the module docstring for its states."""

    def __init__(self, policy: BreakerPolicy) -> None:
        self._policy = policy
        self._state = BreakerState.CLOSED
        self._generation = 0
        self._opened_at: float | None = None
        self._buckets: deque[_Bucket] = deque()
        self._probes_in_flight = 0
        self._probe_successes = 0

    def acquire(self, now: float) -> Permit | None:
        """A permit to send a request now, or None while the breaker is open (or all probes
        of a half-open breaker are out)."""
        self._advance(now)
        if self._state is BreakerState.CLOSED:
            return Permit(self._generation, probe=False)
        if self._state is BreakerState.HALF_OPEN and (
            self._probes_in_flight < self._policy.half_open_probes
        ):
            self._probes_in_flight += 1
            return Permit(self._generation, probe=True)
        return None

    def record(self, permit: Permit, outcome: Outcome, now: float) -> None:
        """Count the outcome of the request `permit` let through."""
        self._advance(now)
        if permit.generation != self._generation:
            return  # the state moved on while this request was out
        if permit.probe:
            self._record_probe(outcome, now)
        elif outcome is not Outcome.NEUTRAL:
            self._count(outcome is Outcome.FAILURE, now)

    def state(self, now: float) -> BreakerState:
        self._advance(now)
        return self._state

    def snapshot(self, now: float) -> BreakerSnapshot:
        self._advance(now)
        requests, failures = self._totals(now)
        if self._state is BreakerState.HALF_OPEN:
            requests, failures = self._probe_successes, 0
        return BreakerSnapshot(
            state=self._state,
            requests=requests,
            failures=failures,
            opened_at=self._opened_at,
            retry_at=self._retry_at(),
            probes_in_flight=self._probes_in_flight,
        )

    def reset(self) -> None:
        """Close the breaker and forget the window (an operator's decision)."""
        self._close()

    def _advance(self, now: float) -> None:
        retry_at = self._retry_at()
        if self._state is BreakerState.OPEN and retry_at is not None and now >= retry_at:
            self._state = BreakerState.HALF_OPEN
            self._generation += 1
            self._probes_in_flight = 0
            self._probe_successes = 0

    def _retry_at(self) -> float | None:
        if self._state is not BreakerState.OPEN or self._opened_at is None:
            return None
        return self._opened_at + self._policy.open_for

    def _record_probe(self, outcome: Outcome, now: float) -> None:
        self._probes_in_flight -= 1
        if outcome is Outcome.FAILURE:
            self._open(now)
        elif outcome is Outcome.SUCCESS:
            self._probe_successes += 1
            if self._probe_successes >= self._policy.half_open_probes:
                self._close()

    def _count(self, failed: bool, now: float) -> None:
        width = self._policy.window / BUCKETS
        start = now - now % width
        if not self._buckets or self._buckets[-1].start < start:
            self._buckets.append(_Bucket(start))
        bucket = self._buckets[-1]
        bucket.requests += 1
        bucket.failures += int(failed)
        requests, failures = self._totals(now)
        if self._policy.trips(requests, failures):
            self._open(now)

    def _totals(self, now: float) -> tuple[int, int]:
        horizon = now - self._policy.window
        while self._buckets and self._buckets[0].start <= horizon:
            self._buckets.popleft()
        requests = sum(bucket.requests for bucket in self._buckets)
        return requests, sum(bucket.failures for bucket in self._buckets)

    def _open(self, now: float) -> None:
        self._state = BreakerState.OPEN
        self._opened_at = now
        self._generation += 1
        self._buckets.clear()
        self._probes_in_flight = 0

    def _close(self) -> None:
        self._state = BreakerState.CLOSED
        self._opened_at = None
        self._generation += 1
        self._buckets.clear()
        self._probes_in_flight = 0
        self._probe_successes = 0
