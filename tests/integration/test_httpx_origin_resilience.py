"""HttpxOriginFetcher against misbehaving loopback origins: retries, backoff, the breaker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from adapters.httpx import HttpxOriginFetcher, OriginTimeouts
from adapters.memory import FixedClock
from application.errors import (
    CircuitOpen,
    OriginError,
    OriginNotFound,
    OriginTimeout,
    OriginUnavailable,
)
from application.origin_circuits import OriginCircuits
from domain.breaker import BreakerPolicy, BreakerState
from domain.request import ImageSource, SourceKind
from domain.retry import RetryPolicy
from tests.support.origin_bodies import CAPS, FAST, PNG
from tests.support.origin_server import LoopbackOrigin, Reply
from tests.support.scripts import Script, Switch

IMAGE = Reply(headers={"Content-Type": "image/png"}, body=PNG)
UNAVAILABLE = Reply(503, body=b"try later")
QUICK_RETRIES = RetryPolicy(max_retries=2, base_delay=0.01, max_delay=2.0)
FAST_HALF = OriginTimeouts(read=0.3, total=0.5)
PATH = "/static/images/cat.png"
CAT = ImageSource(SourceKind.STATIC, "public", "cat.png")


def fetcher_for(origin: LoopbackOrigin, **options: Any) -> HttpxOriginFetcher:
    settings = {"timeouts": FAST, "caps": CAPS, "retry": QUICK_RETRIES, **options}
    return HttpxOriginFetcher(origin.base_url, **settings)


def outcomes(fetcher: HttpxOriginFetcher, times: int = 1) -> list[bytes | type[OriginError]]:
    """Fetch `CAT` `times` times in one event loop: the bytes, or the error class raised."""

    async def scenario() -> list[bytes | type[OriginError]]:
        results: list[bytes | type[OriginError]] = []
        try:
            for _ in range(times):
                try:
                    results.append((await fetcher.fetch(CAT)).data)
                except OriginError as exc:
                    results.append(type(exc))
        finally:
            await fetcher.close()
        return results

    return asyncio.run(scenario())


def serve(route: Callable[..., Reply] | Reply) -> LoopbackOrigin:
    return LoopbackOrigin({PATH: route})


# --- retries --------------------------------------------------------------------------------


def test_a_503_then_200_is_retried_and_served() -> None:
    script = Script(UNAVAILABLE, IMAGE)
    with serve(script) as origin:
        assert outcomes(fetcher_for(origin)) == [PNG]
        assert origin.paths == [PATH, PATH]


def test_a_slow_answer_times_out_and_the_retry_succeeds() -> None:
    script = Script(Reply(body=PNG, delay=3.0), IMAGE)
    with serve(script) as origin:
        started = time.monotonic()
        assert outcomes(fetcher_for(origin, timeouts=OriginTimeouts(read=0.2, total=3.0))) == [PNG]
        elapsed = time.monotonic() - started
        assert len(origin.paths) == 2
    assert elapsed < 2.0  # the first answer would have taken 3 s


def test_an_attempt_longer_than_http_timeout_is_cut_and_retried() -> None:
    # a body that trickles in: every read is quick, the whole answer would take seconds
    trickle = Reply(body=PNG, chunk_size=8, chunk_delay=0.1)
    with serve(Script(trickle, IMAGE)) as origin:
        started = time.monotonic()
        timeouts = OriginTimeouts(read=1.0, total=5.0, attempt=0.4)
        assert len(PNG) // 8 * 0.1 > 1.0  # so the first answer really is slow
        assert outcomes(fetcher_for(origin, timeouts=timeouts)) == [PNG]
        elapsed = time.monotonic() - started
        assert len(origin.paths) == 2
    assert elapsed < 1.0


def test_a_dropped_connection_is_retried() -> None:
    with serve(Script(Reply(abort=True), IMAGE)) as origin:
        assert outcomes(fetcher_for(origin)) == [PNG]
        assert len(origin.paths) == 2


def test_408_and_429_are_retried() -> None:
    with serve(Script(Reply(408), Reply(429), IMAGE)) as origin:
        assert outcomes(fetcher_for(origin)) == [PNG]
        assert len(origin.paths) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 418])
def test_other_4xx_are_never_retried(status: int) -> None:
    with serve(Script(Reply(status), IMAGE)) as origin:
        assert outcomes(fetcher_for(origin)) == [OriginNotFound]
        assert len(origin.paths) == 1


def test_retries_stop_after_max_retries() -> None:
    with serve(UNAVAILABLE) as origin:
        assert outcomes(fetcher_for(origin)) == [OriginUnavailable]
        assert len(origin.paths) == 3  # the attempt and two retries


def test_the_backoff_sleeps_the_jittered_share_of_a_doubling_ceiling() -> None:
    script = Script(UNAVAILABLE, UNAVAILABLE, IMAGE)
    retry = RetryPolicy(max_retries=2, base_delay=0.2, max_delay=1.0)
    with serve(script) as origin:
        assert outcomes(fetcher_for(origin, retry=retry, jitter=lambda: 0.5)) == [PNG]
    first, second = script.gaps
    assert 0.1 <= first < 0.19  # 0.5 x 0.2 s, plus the exchange itself (not the full 0.2 s)
    assert 0.2 <= second < 0.39  # 0.5 x 0.4 s (not the full 0.4 s)


def test_retry_after_is_honoured_instead_of_the_backoff() -> None:
    script = Script(Reply(503, {"Retry-After": "1"}), IMAGE)
    with serve(script) as origin:
        assert outcomes(fetcher_for(origin, jitter=lambda: 0.0)) == [PNG]
    assert script.gaps[0] >= 0.95


def test_a_retry_after_beyond_the_max_delay_gives_up_at_once() -> None:
    script = Script(Reply(429, {"Retry-After": "30"}), IMAGE)
    with serve(script) as origin:
        started = time.monotonic()
        assert outcomes(fetcher_for(origin)) == [OriginUnavailable]
        elapsed = time.monotonic() - started
        assert len(origin.paths) == 1
    assert elapsed < 1.0


def test_the_deadline_bounds_the_retries() -> None:
    retry = RetryPolicy(max_retries=10, base_delay=0.15, max_delay=0.15)
    with serve(UNAVAILABLE) as origin:
        fetcher = fetcher_for(origin, retry=retry, jitter=lambda: 0.99, timeouts=FAST_HALF)
        started = time.monotonic()
        assert outcomes(fetcher) == [OriginUnavailable]
        elapsed = time.monotonic() - started
        assert 2 <= len(origin.paths) <= 4  # not the 11 the policy alone would allow
    assert elapsed < 0.9  # the 0.5 s deadline, not the 1.5 s of ten backoffs


def test_a_deadline_hit_while_waiting_is_a_timeout() -> None:
    with serve(Reply(body=PNG, delay=3.0)) as origin:
        fetcher = fetcher_for(origin, timeouts=OriginTimeouts(read=1.0, total=0.3))
        assert outcomes(fetcher) == [OriginTimeout]


# --- circuit breaker -------------------------------------------------------------------------

BREAKER = BreakerPolicy(
    window=60, minimum_requests=4, failure_percentage=50, open_for=30, half_open_probes=2
)


def breaker_world(route: Switch) -> tuple[LoopbackOrigin, OriginCircuits, FixedClock]:
    clock = FixedClock(1_000_000.0)
    return serve(route), OriginCircuits(BREAKER, clock), clock


def state_of(circuits: OriginCircuits, origin: LoopbackOrigin) -> BreakerState:
    return circuits.snapshots()[f"127.0.0.1:{origin.port}"].state


def test_a_flapping_origin_opens_the_breaker_and_a_recovered_one_closes_it() -> None:
    switch = Switch(up=IMAGE, down=UNAVAILABLE)
    origin, circuits, clock = breaker_world(switch)
    no_retry = {"circuits": circuits, "retry": RetryPolicy(max_retries=0)}
    with origin:
        assert outcomes(fetcher_for(origin, **no_retry), 2) == [PNG, PNG]
        switch.is_up = False
        assert outcomes(fetcher_for(origin, **no_retry), 2) == [OriginUnavailable] * 2
        assert state_of(circuits, origin) is BreakerState.OPEN  # 2 failures of 4 = 50 %

        asked = switch.requests
        assert outcomes(fetcher_for(origin, **no_retry), 3) == [CircuitOpen] * 3
        assert switch.requests == asked  # the origin was not asked while open

        clock.advance(30)  # half-open: probes go through, and one failure reopens
        assert outcomes(fetcher_for(origin, **no_retry)) == [OriginUnavailable]
        assert state_of(circuits, origin) is BreakerState.OPEN

        clock.advance(30)
        switch.is_up = True
        assert outcomes(fetcher_for(origin, **no_retry), 1) == [PNG]
        assert state_of(circuits, origin) is BreakerState.HALF_OPEN  # one of two probes
        assert outcomes(fetcher_for(origin, **no_retry), 1) == [PNG]
        assert state_of(circuits, origin) is BreakerState.CLOSED
        assert switch.requests == asked + 3


def test_a_404_never_trips_the_breaker() -> None:
    switch = Switch(up=Reply(404), down=Reply(404))
    origin, circuits, _ = breaker_world(switch)
    with origin:
        assert outcomes(fetcher_for(origin, circuits=circuits), 10) == [OriginNotFound] * 10
        snapshot = circuits.snapshots()[f"127.0.0.1:{origin.port}"]
    assert (snapshot.state, snapshot.requests, snapshot.failures) == (BreakerState.CLOSED, 10, 0)


def test_a_fetch_and_its_retries_count_once() -> None:
    switch = Switch(up=UNAVAILABLE, down=UNAVAILABLE)
    origin, circuits, _ = breaker_world(switch)
    with origin:
        assert outcomes(fetcher_for(origin, circuits=circuits)) == [OriginUnavailable]
        snapshot = circuits.snapshots()[f"127.0.0.1:{origin.port}"]
    assert switch.requests == 3
    assert (snapshot.requests, snapshot.failures) == (1, 1)


def test_timeouts_count_as_failures() -> None:
    switch = Switch(up=Reply(body=PNG, delay=3.0), down=IMAGE)
    origin, circuits, _ = breaker_world(switch)
    fast = {"circuits": circuits, "retry": RetryPolicy(max_retries=0)}
    with origin:
        fetcher = fetcher_for(origin, timeouts=OriginTimeouts(read=0.1, total=1.0), **fast)
        assert outcomes(fetcher, 4) == [OriginTimeout] * 4
        assert state_of(circuits, origin) is BreakerState.OPEN


# --- the pool ---------------------------------------------------------------------------------


def test_waiting_for_a_pooled_connection_is_bounded_and_not_the_origins_fault() -> None:
    switch = Switch(up=Reply(body=PNG, delay=0.6), down=IMAGE)
    origin, circuits, _ = breaker_world(switch)
    timeouts = OriginTimeouts(read=2.0, pool=0.1, total=3.0)

    async def two_at_once(fetcher: HttpxOriginFetcher) -> list[object]:
        try:
            return await asyncio.gather(
                fetcher.fetch(CAT), fetcher.fetch(CAT), return_exceptions=True
            )
        finally:
            await fetcher.close()

    with origin:
        fetcher = fetcher_for(origin, max_connections=1, timeouts=timeouts, circuits=circuits)
        first, second = asyncio.run(two_at_once(fetcher))
        snapshot = circuits.snapshots()[f"127.0.0.1:{origin.port}"]

    assert getattr(first, "data", None) == PNG
    assert isinstance(second, OriginTimeout)
    assert switch.requests == 1  # the second fetch never got a connection, nor a retry
    assert (snapshot.requests, snapshot.failures) == (1, 0)  # and did not count against it
