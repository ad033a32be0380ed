"""The rate-limit policy of the domain: buckets, windows, decisions, clients and load."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.clients import TrustedProxies, network_of
from domain.load import AdaptiveLimits, LoadReading
from domain.rate_limit import (
    UNKNOWN_TENANT,
    RateLimitPolicy,
    RateLimitRule,
    RequestKind,
    WindowCounts,
    WindowStrategy,
)
from entrypoints.http.request_kinds import classify


def kind_of(path: str) -> RequestKind:
    return classify(path, "GET", path)[0]


def tenant_of(raw_path: str) -> str:
    return classify(raw_path, "GET", raw_path)[1]


FIXED = WindowStrategy.FIXED
SLIDING = WindowStrategy.SLIDING
IMAGE = "/media_stream-image/media/acme/uploads/a.jpg/10/10/cover/center/transparent/0/80.webp"


# --- kinds and buckets -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (IMAGE, RequestKind.IMAGE),
        ("/media_stream-image/anything", RequestKind.IMAGE),
        ("/health", RequestKind.HEALTH),
        ("/health/live", RequestKind.HEALTH),
        ("/health/detailed", RequestKind.HEALTH),
        ("/healthy", RequestKind.API),
        ("/", RequestKind.STATIC),
        ("/robots.txt", RequestKind.STATIC),
        ("/default.png", RequestKind.ASSET),
        ("/favicon.ico", RequestKind.ASSET),
        ("/metrics", RequestKind.API),
        ("/schema/openapi.json", RequestKind.API),
    ],
)
def test_kind_of(path: str, kind: RequestKind) -> None:
    assert kind_of(path) is kind


@pytest.mark.parametrize(
    ("raw_path", "tenant"),
    [
        (IMAGE, "acme"),
        ("/media_stream-image/media/data/uploads/x.png/1/1/fill/center/FFF/0/1.png", "data"),
        ("/media_stream-image/media/%61cme/uploads/a.jpg/1/1/fill/center/FFF/0/1.png", "acme"),
        ("/media_stream-image/static/images/logo.png/0/0/contain/center/FFF/0/80.png", "public"),
        ("/media_stream-image/media/Acme/uploads/a.jpg", UNKNOWN_TENANT),
        ("/media_stream-image/media/9lives/uploads/a.jpg", UNKNOWN_TENANT),
        ("/media_stream-image/media/" + "a" * 64 + "/uploads/a.jpg", UNKNOWN_TENANT),
        ("/media_stream-image/media/acme/a.jpg", UNKNOWN_TENANT),
        ("/media_stream-image/media/acme/uploads/%zz", UNKNOWN_TENANT),
        ("/media_stream-image/media/acme/uploads/%00", UNKNOWN_TENANT),
    ],
)
def test_tenant_of_reads_only_a_valid_tenant(raw_path: str, tenant: str) -> None:
    assert tenant_of(raw_path) == tenant


def test_buckets_by_tenant_and_client_for_images_and_by_kind_for_the_rest() -> None:
    policy = RateLimitPolicy(60_000, 10, 100, FIXED)

    assert policy.bucket(RequestKind.IMAGE, "1.2.3.4", "acme") == "image:acme:1.2.3.4"
    assert policy.bucket(RequestKind.STATIC, "1.2.3.4") == "static:1.2.3.4"
    assert policy.bucket(RequestKind.API, "1.2.3.4") == "api:1.2.3.4"
    assert policy.bucket(RequestKind.HEALTH, "1.2.3.4") is None
    assert policy.bucket(RequestKind.ASSET, "1.2.3.4") is None


def test_images_have_their_own_limit_and_load_scales_both() -> None:
    policy = RateLimitPolicy(1_000, 10, 100, SLIDING)

    assert policy.rule(RequestKind.IMAGE) == RateLimitRule(100, 1_000, SLIDING)
    assert policy.rule(RequestKind.API).limit == 10
    assert policy.rule(RequestKind.IMAGE, factor=0.25).limit == 25
    assert policy.rule(RequestKind.API, factor=0.01).limit == 1  # never zero


# --- windows ---------------------------------------------------------------------------------


def test_a_fixed_window_admits_the_limit_and_then_refuses_until_it_ends() -> None:
    rule = RateLimitRule(3, 1_000, FIXED)

    assert rule.admits(WindowCounts(previous=50, current=2, elapsed_ms=10))
    assert not rule.admits(WindowCounts(previous=0, current=3, elapsed_ms=10))
    refused = rule.decision(WindowCounts(0, 3, 250), allowed=False, now_ms=10_250)
    assert (refused.allowed, refused.remaining, refused.limit) == (False, 0, 3)
    assert refused.reset_at == 11  # the window ends at 11.000 s
    assert refused.retry_after == 1  # 750 ms, rounded up to a whole second


def test_a_sliding_window_weighs_the_previous_window_by_its_overlap() -> None:
    rule = RateLimitRule(10, 1_000, SLIDING)

    # 75 % of the previous window still overlaps: 8 * 0.75 + 3 = 9 requests in the window
    assert rule.estimate(WindowCounts(previous=8, current=3, elapsed_ms=250)) == pytest.approx(9)
    assert rule.admits(WindowCounts(previous=8, current=3, elapsed_ms=250))
    assert not rule.admits(WindowCounts(previous=8, current=4, elapsed_ms=250))
    assert rule.admits(WindowCounts(previous=8, current=4, elapsed_ms=500))


def test_sliding_retry_after_waits_for_the_previous_window_to_fade() -> None:
    rule = RateLimitRule(10, 10_000, SLIDING)
    counts = WindowCounts(previous=10, current=4, elapsed_ms=1_000)  # 13 in the window

    decision = rule.decision(counts, allowed=False, now_ms=41_000)

    # room for 5 more once the previous window weighs under 5: at half of it, 5 s in
    assert decision.retry_after == 4
    assert rule.admits(WindowCounts(10, 4, 5_000))
    assert not rule.admits(WindowCounts(10, 4, 4_999))


def test_sliding_retry_after_spans_into_the_next_window_when_this_one_is_full() -> None:
    rule = RateLimitRule(10, 10_000, SLIDING)
    counts = WindowCounts(previous=0, current=20, elapsed_ms=2_000)

    decision = rule.decision(counts, allowed=False, now_ms=2_000)

    # 8 s to the next window, then 20 * (1 - s/10) + 1 <= 10 from s = 5.5 s
    assert decision.retry_after == 14  # 13.5 s rounded up
    assert not RateLimitRule(10, 10_000, SLIDING).admits(WindowCounts(20, 0, 5_499))
    assert RateLimitRule(10, 10_000, SLIDING).admits(WindowCounts(20, 0, 5_500))


def test_an_admitted_hit_has_no_retry_after_and_counts_in_remaining() -> None:
    rule = RateLimitRule(5, 60_000, SLIDING)

    decision = rule.decision(WindowCounts(0, 2, 0), allowed=True, now_ms=60_000)

    assert (decision.allowed, decision.remaining, decision.retry_after) == (True, 3, 0)
    assert decision.reset_at == 120


def test_a_rule_needs_a_positive_limit_and_window() -> None:
    with pytest.raises(ValueError, match="limit"):
        RateLimitRule(0, 1_000, FIXED)
    with pytest.raises(ValueError, match="window"):
        RateLimitRule(1, 0, FIXED)


# --- clients ---------------------------------------------------------------------------------

PROXIES = TrustedProxies.parse(["10.0.0.0/8", "2001:db8::/32", "127.0.0.1"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.7", None, "203.0.113.7"),
        ("203.0.113.7", "1.1.1.1", "203.0.113.7"),  # an untrusted peer's header is ignored
        ("10.0.0.5", "198.51.100.9", "198.51.100.9"),
        ("10.0.0.5", "6.6.6.6, 198.51.100.9, 10.1.2.3", "198.51.100.9"),  # right-most untrusted
        ("10.0.0.5", "10.9.9.9, 10.1.1.1", "10.9.9.9"),  # trusted all the way: the first hop
        ("10.0.0.5", "198.51.100.9, not-an-ip", "10.0.0.5"),  # a broken chain stops here
        ("10.0.0.5", "[2001:db9::1]:4711", "2001:db9::1"),
        ("10.0.0.5", "198.51.100.9:5555", "198.51.100.9"),
        ("::ffff:10.0.0.5", "198.51.100.9", "198.51.100.9"),  # IPv4-mapped peer
        ("127.0.0.1", "", "127.0.0.1"),
        ("testclient", "1.2.3.4", "testclient"),
    ],
)
def test_the_client_is_the_right_most_untrusted_forwarded_address(
    peer: str, forwarded: str | None, client: str
) -> None:
    assert PROXIES.client(peer, forwarded) == client


def test_without_trusted_proxies_forwarded_for_is_never_believed() -> None:
    assert TrustedProxies().client("127.0.0.1", "1.2.3.4") == "127.0.0.1"


def test_a_forwarded_chain_is_read_from_the_right_only_so_far() -> None:
    spoofed = ", ".join(["1.1.1.1"] + ["10.0.0.1"] * 100)
    assert PROXIES.client("10.0.0.5", spoofed) == "10.0.0.1"  # the chain is cut at 32 hops


def test_a_bad_proxy_entry_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"'10\.0\.0\.256'"):
        TrustedProxies.parse(["10.0.0.0/8", "10.0.0.256"])


def test_ipv6_clients_share_a_bucket_per_64() -> None:
    assert network_of("2001:db8:1:2:aaaa::1") == network_of("2001:db8:1:2:ffff::9")
    assert network_of("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert network_of("2001:db8:1:3::1") != network_of("2001:db8:1:2::1")
    assert network_of("198.51.100.9") == "198.51.100.9"
    assert network_of("testclient") == "testclient"


# --- load ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reading", "factor"),
    [
        (LoadReading(), 1.0),
        (LoadReading(cpu=0.75, loop_lag_ms=50, queue_fill=0.25), 1.0),  # busy, not pressed
        (LoadReading(cpu=1.0), 0.2),
        (LoadReading(loop_lag_ms=275), 0.6),  # half-way from busy to saturated
        (LoadReading(queue_fill=1.0), 0.2),
        (LoadReading(cpu=0.5, loop_lag_ms=5_000, queue_fill=0.0), 0.2),  # the worst signal counts
    ],
)
def test_load_scales_the_limits_down_from_busy_to_saturated(
    reading: LoadReading, factor: float
) -> None:
    assert AdaptiveLimits().factor(reading) == pytest.approx(factor)


@given(
    limit=st.integers(1, 50),
    window_ms=st.integers(1, 120_000),
    strategy=st.sampled_from(list(WindowStrategy)),
    previous=st.integers(0, 80),
    current=st.integers(0, 80),
    elapsed=st.floats(0, 1),
    now_ms=st.integers(0, 10**13),
)
def test_a_hit_in_plain_numbers_answers_what_admits_and_decision_answer(
    limit: int,
    window_ms: int,
    strategy: WindowStrategy,
    previous: int,
    current: int,
    elapsed: float,
    now_ms: int,
) -> None:
    """`hit` (the memory limiter's one call) is `admits`, then `decision` on the counts after
    the hit when admitted, or as they were when refused, to the last bit."""
    rule = RateLimitRule(limit, window_ms, strategy)
    elapsed_ms = min(window_ms - 1, int(elapsed * window_ms))
    before = WindowCounts(previous, current, elapsed_ms)
    admitted = rule.admits(before)
    after = WindowCounts(previous, current + 1, elapsed_ms) if admitted else before

    expected = rule.decision(after, allowed=admitted, now_ms=now_ms)
    assert rule.hit(previous, current, elapsed_ms, now_ms) == expected
