"""Admitting requests: buckets per client, limits that tighten under load, failover counting."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from adapters.memory.clock import FixedClock
from adapters.memory.load_gauge import FixedLoadGauge
from adapters.memory.rate_limiter import MemoryRateLimiter
from application.admit_request import AdmitRequest, Visit
from application.failover_rate_limiter import FailoverRateLimiter
from domain.clients import TrustedProxies
from domain.rate_limit import RateDecision, RateLimitPolicy, RateLimitRule, WindowStrategy
from tests.fakes.rate_limiter import UnreliableRateLimiter
from tests.support.visits import visit_to

IMAGE = "/media_stream-image/media/{tenant}/uploads/a.jpg/10/10/cover/center/FFF/0/80.webp"
POLICY = RateLimitPolicy(
    window_ms=60_000, max_requests=5, image_max_requests=10, strategy=WindowStrategy.FIXED
)
RULE = RateLimitRule(3, 60_000, WindowStrategy.FIXED)


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


def image(tenant: str = "acme", peer: str = "198.51.100.1", forwarded: str | None = None) -> Visit:
    path = IMAGE.format(tenant=tenant)
    return visit_to(path, peer, forwarded_for=forwarded)


def admission(
    gauge: FixedLoadGauge | None = None, proxies: TrustedProxies | None = None
) -> AdmitRequest:
    return AdmitRequest(
        policy=POLICY,
        limiter=MemoryRateLimiter(FixedClock(1_000_000.0)),
        gauge=gauge or FixedLoadGauge(),
        proxies=proxies or TrustedProxies(),
    )


async def allowed(admit: AdmitRequest, visit: Visit, times: int) -> list[bool]:
    decisions = [await admit(visit) for _ in range(times)]
    return [decision is not None and decision.allowed for decision in decisions]


def test_image_requests_count_per_tenant_and_client() -> None:
    async def scenario() -> None:
        admit = admission()
        assert await allowed(admit, image(), 11) == [True] * 10 + [False]
        assert await allowed(admit, image(tenant="other"), 1) == [True]
        assert await allowed(admit, image(peer="198.51.100.2"), 1) == [True]

    run(scenario)


def test_other_requests_count_per_kind_and_client_and_health_never() -> None:
    async def scenario() -> None:
        admit = admission()
        page = visit_to("/robots.txt", "198.51.100.1")
        api = visit_to("/metrics", "198.51.100.1")
        probe = visit_to("/health/ready", "198.51.100.1")

        assert await allowed(admit, page, 6) == [True] * 5 + [False]
        assert await allowed(admit, api, 1) == [True]
        assert [await admit(probe) for _ in range(50)] == [None] * 50

    run(scenario)


def test_clients_behind_a_trusted_proxy_are_told_apart_by_x_forwarded_for() -> None:
    async def scenario() -> None:
        admit = admission(proxies=TrustedProxies.parse(["10.0.0.0/8"]))
        first = image(peer="10.0.0.9", forwarded="203.0.113.1")
        second = image(peer="10.0.0.9", forwarded="203.0.113.2, 10.0.0.3")
        spoofing = image(peer="198.51.100.7", forwarded="203.0.113.1")

        assert await allowed(admit, first, 11) == [True] * 10 + [False]
        assert await allowed(admit, second, 1) == [True]
        assert await allowed(admit, spoofing, 1) == [True]  # its own bucket, not 203.0.113.1's

    run(scenario)


def test_limits_tighten_under_load_and_recover() -> None:
    async def scenario() -> None:
        gauge = FixedLoadGauge()
        admit = admission(gauge)

        gauge.set(cpu=1.0)
        busy = await admit(image(tenant="busy"))
        gauge.set(cpu=0.1, loop_lag_ms=500)
        lagging = await admit(image(tenant="lagging"))
        gauge.set(loop_lag_ms=0, queue_fill=0.625)
        queued = await admit(image(tenant="queued"))
        gauge.set(queue_fill=0.0)
        calm = await admit(image(tenant="calm"))

        assert [decision.limit for decision in (busy, lagging, queued, calm) if decision] == [
            2,
            2,
            6,
            10,
        ]

    run(scenario)


def test_a_bucket_already_past_a_tightened_limit_is_refused_until_load_falls() -> None:
    async def scenario() -> None:
        gauge = FixedLoadGauge()
        admit = admission(gauge)
        assert await allowed(admit, image(), 5) == [True] * 5

        gauge.set(cpu=1.0)  # the limit falls to 2, and 5 were counted
        assert await allowed(admit, image(), 2) == [False, False]
        gauge.set(cpu=0.2)
        assert await allowed(admit, image(), 6) == [True] * 5 + [False]

    run(scenario)


# --- the failover limiter ------------------------------------------------------------------


def failover(clock: FixedClock) -> tuple[FailoverRateLimiter, UnreliableRateLimiter]:
    shared = UnreliableRateLimiter(MemoryRateLimiter(clock))
    limiter = FailoverRateLimiter(
        shared, MemoryRateLimiter(clock), clock, budget=0.05, retry_after=5.0
    )
    return limiter, shared


async def hits(limiter: FailoverRateLimiter, times: int) -> list[RateDecision]:
    return [await limiter.hit("k", RULE) for _ in range(times)]


def test_while_the_store_is_down_counting_goes_on_in_the_process() -> None:
    async def scenario() -> None:
        clock = FixedClock(100.0)
        limiter, shared = failover(clock)
        shared.state = "down"

        decisions = await hits(limiter, 4)

        assert [decision.allowed for decision in decisions] == [True, True, True, False]
        assert shared.calls == 1  # tried once, then left alone
        assert not limiter.shared_in_use

    run(scenario)


def test_the_store_is_probed_again_after_a_pause_and_used_when_back() -> None:
    async def scenario() -> None:
        clock = FixedClock(100.0)
        limiter, shared = failover(clock)
        shared.state = "down"
        await hits(limiter, 2)

        clock.advance(4.9)
        await hits(limiter, 1)
        assert shared.calls == 1
        clock.advance(0.2)
        shared.state = "up"
        await hits(limiter, 2)

        assert shared.calls == 3
        assert limiter.shared_in_use

    run(scenario)


def test_a_hanging_store_costs_one_short_budget_not_one_per_request() -> None:
    async def scenario() -> None:
        clock = FixedClock(100.0)
        limiter, shared = failover(clock)
        shared.state = "hanging"
        loop = asyncio.get_running_loop()
        started = loop.time()

        decisions = await hits(limiter, 20)

        assert loop.time() - started < 1.0  # one 50 ms budget, then local counting
        assert shared.calls == 1
        assert [decision.allowed for decision in decisions] == [True] * 3 + [False] * 17

    run(scenario)


def test_while_one_request_probes_the_store_the_others_count_locally() -> None:
    async def scenario() -> None:
        clock = FixedClock(100.0)
        limiter, shared = failover(clock)
        shared.state = "down"
        await hits(limiter, 1)
        clock.advance(6)
        shared.state = "hanging"

        probe = asyncio.create_task(limiter.hit("k", RULE))
        await asyncio.sleep(0)
        others = await hits(limiter, 2)
        await probe

        assert shared.calls == 2  # the first failure and the one probe
        assert [decision.allowed for decision in others] == [True, True]

    run(scenario)
