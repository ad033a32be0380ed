"""Breaker transitions (domain/breaker.py) and the per-origin registry, on a FixedClock."""

from __future__ import annotations

import pytest

from adapters.memory import FixedClock
from application.origin_circuits import OriginCircuits
from domain.breaker import BreakerPolicy, BreakerState, CircuitBreaker, Outcome, Permit

POLICY = BreakerPolicy(
    window=10.0, minimum_requests=4, failure_percentage=50, open_for=5.0, half_open_probes=2
)
T0 = 1_000.0


def run(breaker: CircuitBreaker, now: float, *outcomes: Outcome) -> None:
    """Send one request per outcome at `now`, each admitted before it is recorded."""
    for outcome in outcomes:
        permit = breaker.acquire(now)
        assert permit is not None
        breaker.record(permit, outcome, now)


S, F, N = Outcome.SUCCESS, Outcome.FAILURE, Outcome.NEUTRAL


def open_breaker() -> CircuitBreaker:
    breaker = CircuitBreaker(POLICY)
    run(breaker, T0, S, S, F, F)
    assert breaker.state(T0) is BreakerState.OPEN
    return breaker


def test_it_stays_closed_below_the_minimum_number_of_requests() -> None:
    breaker = CircuitBreaker(POLICY)
    run(breaker, T0, F, F, F)
    assert breaker.state(T0) is BreakerState.CLOSED


def test_it_stays_closed_below_the_failure_percentage() -> None:
    breaker = CircuitBreaker(POLICY)
    run(breaker, T0, S, S, S, F, S, F)  # 2 of 6 = 33 %
    assert breaker.state(T0) is BreakerState.CLOSED


def test_it_opens_at_the_failure_percentage() -> None:
    breaker = open_breaker()
    snapshot = breaker.snapshot(T0 + 1)
    assert snapshot.state is BreakerState.OPEN
    assert (snapshot.opened_at, snapshot.retry_at) == (T0, T0 + 5.0)


def test_neutral_outcomes_are_not_counted() -> None:
    breaker = CircuitBreaker(POLICY)
    run(breaker, T0, F, F, N, N, N, N)
    assert breaker.state(T0) is BreakerState.CLOSED
    assert breaker.snapshot(T0).requests == 2


def test_failures_older_than_the_window_are_forgotten() -> None:
    breaker = CircuitBreaker(POLICY)
    run(breaker, T0, F, F, F)
    run(breaker, T0 + 11, F)  # the first three fell out of the 10 s window
    assert breaker.state(T0 + 11) is BreakerState.CLOSED
    assert breaker.snapshot(T0 + 11).requests == 1


def test_while_open_nothing_goes_through() -> None:
    breaker = open_breaker()
    assert breaker.acquire(T0) is None
    assert breaker.acquire(T0 + 4.99) is None


def test_after_the_open_time_a_few_probes_go_through() -> None:
    breaker = open_breaker()
    first, second = breaker.acquire(T0 + 5), breaker.acquire(T0 + 5)
    assert breaker.state(T0 + 5) is BreakerState.HALF_OPEN
    assert first is not None
    assert first.probe
    assert second is not None
    assert second.probe
    assert breaker.acquire(T0 + 5) is None  # only half_open_probes at a time


def test_successful_probes_close_it() -> None:
    breaker = open_breaker()
    run(breaker, T0 + 5, S)
    assert breaker.state(T0 + 5) is BreakerState.HALF_OPEN
    run(breaker, T0 + 5, S)
    assert breaker.state(T0 + 5) is BreakerState.CLOSED
    assert breaker.snapshot(T0 + 5).requests == 0  # a fresh window


def test_a_failed_probe_opens_it_again_for_the_whole_open_time() -> None:
    breaker = open_breaker()
    run(breaker, T0 + 6, S, F)
    assert breaker.state(T0 + 6) is BreakerState.OPEN
    assert breaker.acquire(T0 + 10.9) is None
    assert breaker.acquire(T0 + 11) is not None


def test_a_neutral_probe_gives_its_slot_back() -> None:
    breaker = open_breaker()
    probes = [breaker.acquire(T0 + 5), breaker.acquire(T0 + 5)]
    assert probes[0] is not None
    breaker.record(probes[0], N, T0 + 5)
    assert breaker.state(T0 + 5) is BreakerState.HALF_OPEN
    assert breaker.acquire(T0 + 5) is not None


def test_a_probe_answering_after_its_half_open_period_is_ignored() -> None:
    breaker = open_breaker()
    late = breaker.acquire(T0 + 5)  # a probe that takes its time...
    failing = breaker.acquire(T0 + 5)
    assert late is not None
    assert failing is not None
    breaker.record(failing, F, T0 + 5)  # ...while the other probe reopens the breaker
    run(breaker, T0 + 10, S)  # half-open again, one good probe of two
    breaker.record(late, S, T0 + 10)  # the late success must not be the second probe
    assert breaker.state(T0 + 10) is BreakerState.HALF_OPEN


def test_a_stale_permit_does_not_count_in_a_new_window() -> None:
    breaker = open_breaker()
    breaker.reset()
    breaker.record(Permit(generation=0, probe=False), F, T0)
    assert breaker.snapshot(T0).requests == 0


def test_reset_closes_at_once() -> None:
    breaker = open_breaker()
    breaker.reset()
    assert breaker.state(T0) is BreakerState.CLOSED
    assert breaker.acquire(T0) is not None


@pytest.mark.parametrize(
    ("status", "outcome"), [(200, S), (302, S), (404, S), (429, S), (500, F), (503, F), (599, F)]
)
def test_only_5xx_statuses_are_failures(status: int, outcome: Outcome) -> None:
    assert Outcome.of_status(status) is outcome


@pytest.mark.parametrize(
    "options",
    [
        {"window": 0},
        {"open_for": -1},
        {"minimum_requests": 0},
        {"half_open_probes": 0},
        {"failure_percentage": 0},
        {"failure_percentage": 101},
    ],
)
def test_an_impossible_policy_is_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        BreakerPolicy(**options)  # type: ignore[arg-type]


# --- OriginCircuits: one breaker per origin, on the injected clock ---------------------------


def test_each_origin_has_its_own_breaker_on_the_injected_clock() -> None:
    clock = FixedClock(T0)
    circuits = OriginCircuits(POLICY, clock)
    for outcome in (S, S, F, F):
        permit = circuits.acquire("a:80")
        assert permit is not None
        circuits.record("a:80", permit, outcome)

    assert circuits.acquire("a:80") is None
    assert circuits.acquire("b:80") is not None
    clock.advance(5)
    assert circuits.acquire("a:80") is not None  # half-open on the FixedClock's word
    states = {origin: snapshot.state for origin, snapshot in circuits.snapshots().items()}
    assert states == {"a:80": BreakerState.HALF_OPEN, "b:80": BreakerState.CLOSED}


def test_reset_closes_every_breaker_and_names_the_ones_that_were_not_closed() -> None:
    circuits = OriginCircuits(POLICY, FixedClock(T0))
    for origin in ("a:80", "b:80"):
        for outcome in (F, F, F, F) if origin == "a:80" else (S,):
            permit = circuits.acquire(origin)
            assert permit is not None
            circuits.record(origin, permit, outcome)

    assert circuits.reset() == ["a:80"]
    assert {s.state for s in circuits.snapshots().values()} == {BreakerState.CLOSED}
